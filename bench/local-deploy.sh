#!/usr/bin/env bash
# One local deploy, as the dev-loop bench times it: start the local cloud, `sam deploy --config-env local` of
# the built templates (run `sam build` first), stop the local cloud. Exits non-zero when the deploy fails.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .strata
# shellcheck source=tools/lib/local-cloud.sh
source tools/lib/local-cloud.sh
start_local_cloud .strata/bench-local-cloud.log
trap stop_local_cloud EXIT
.venv/bin/python -c "import boto3; boto3.client('s3').create_bucket(Bucket='strata-local-artifacts')"
SAM_CLI_TELEMETRY=0 .venv/bin/sam deploy --config-env local --no-progressbar >.strata/bench-local-deploy.log 2>&1
