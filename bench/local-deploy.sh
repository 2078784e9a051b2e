#!/usr/bin/env bash
# One local deploy, as the dev-loop bench times it: start the local cloud, deploy the account layer
# (`sam deploy --config-env account-local`, which every environment needs first) and `sam deploy --config-env
# local` of the built templates (run `sam build` and `sam build --config-env account-local` first), stop the
# local cloud. Exits non-zero when a deploy fails.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .strata
# shellcheck source=tools/lib/local-cloud.sh
source tools/lib/local-cloud.sh
# The local config-envs name the local cloud's own profile (samconfig.toml), which sam build resolves too.
export AWS_CONFIG_FILE=$PWD/local-cloud/strata_local_cloud/aws-config AWS_SHARED_CREDENTIALS_FILE=/dev/null
# The cold `sam build` case removes .aws-sam, the account layer's build with it.
[ -f .aws-sam/account/build/template.yaml ] || SAM_CLI_TELEMETRY=0 .venv/bin/sam build --config-env account-local >.strata/bench-account-build.log 2>&1
start_local_cloud .strata/bench-local-cloud.log
trap stop_local_cloud EXIT
.venv/bin/python -c "import boto3; s3 = boto3.client('s3'); s3.create_bucket(Bucket='strata-local-artifacts'); s3.upload_file('account/guard/strata.guard', 'strata-local-artifacts', 'strata-account/guard/strata.guard')"
SAM_CLI_TELEMETRY=0 .venv/bin/sam deploy --config-env account-local --no-progressbar >.strata/bench-local-deploy-account.log 2>&1
SAM_CLI_TELEMETRY=0 .venv/bin/sam deploy --config-env local --no-progressbar >.strata/bench-local-deploy.log 2>&1
