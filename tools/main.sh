#!/usr/bin/env bash
# The main job: set-up, build everything, validate every environment, and print per environment what a
# deploy creates (layers, resource counts, the per-environment choices).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
export SAM_CLI_TELEMETRY=0 TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1

echo "== build"
npx turbo run build --output-logs=errors-only
.venv/bin/sam build >/dev/null
echo "   sam build: .aws-sam/build/template.yaml and one template per layer"

echo "== validate"
.venv/bin/cfn-lint --append-rules policies/cfn-lint -- template.yaml nested/*.yaml
.venv/bin/sam validate --lint >/dev/null 2>&1 || .venv/bin/sam validate --lint
echo "   cfn-lint (with the project policy rules) and sam validate --lint: no findings"

echo "== what each config-env deploys"
node packages/cfn-model/dist/describe.js .
