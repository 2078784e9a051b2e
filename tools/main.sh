#!/usr/bin/env bash
# The main job: set-up, build, validate, then deploy the account layer and the whole baseline to the local
# cloud with the same `sam deploy --config-env account-local` / `--config-env local` used against AWS, and
# print what was deployed.
#
#   npm start                # deploy, summarise, stop the local cloud (its state is in memory)
#   npm start -- --keep      # leave the local cloud running and print how to use it (sam delete works too)
set -euo pipefail
cd "$(dirname "$0")/.."
keep=false
for arg in "$@"; do
  case "$arg" in
    --keep) keep=true ;;
    -h | --help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $arg (expected --keep)" >&2; exit 64 ;;
  esac
done
bash tools/setup.sh
export SAM_CLI_TELEMETRY=0 TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
mkdir -p .strata

echo "== build"
npx turbo run build --output-logs=errors-only
.venv/bin/sam build >.strata/sam-build.log 2>&1 || { cat .strata/sam-build.log; exit 1; }
.venv/bin/sam build --config-env account-local >>.strata/sam-build.log 2>&1 || { cat .strata/sam-build.log; exit 1; }
echo "   sam build: .aws-sam/build/template.yaml and one template per layer; the account layer in .aws-sam/account"

echo "== validate"
.venv/bin/cfn-lint --append-rules policies/cfn-lint -- template.yaml nested/*.yaml account/template.yaml
for t in template.yaml account/template.yaml; do
  .venv/bin/sam validate --lint --template-file "$t" >/dev/null 2>&1 || .venv/bin/sam validate --lint --template-file "$t"
done
echo "   cfn-lint (with the project policy rules) and sam validate --lint: no findings"

echo "== local cloud"
# shellcheck source=tools/lib/local-cloud.sh
source tools/lib/local-cloud.sh
start_local_cloud .strata/local-cloud.log
$keep || trap stop_local_cloud EXIT
echo "   $AWS_ENDPOINT_URL (moto with Strata's extensions; log: .strata/local-cloud.log)"

.venv/bin/python -c "import boto3; boto3.client('s3').create_bucket(Bucket='strata-local-artifacts')"
echo "== deploy the account layer: sam deploy --config-env account-local"
# The Guard hook reads its rules from S3 (GuardRulesUri in samconfig.toml [account-local]).
.venv/bin/python -c "import boto3; boto3.client('s3').upload_file('account/guard/strata.guard', 'strata-local-artifacts', 'strata-account/guard/strata.guard')"
if ! .venv/bin/sam deploy --config-env account-local --no-progressbar >.strata/deploy-account.log 2>&1; then
  tail -40 .strata/deploy-account.log
  .venv/bin/python tools/summary.py --stack strata-account --why || true
  echo "sam deploy of the account layer failed; the whole output is in .strata/deploy-account.log" >&2
  exit 1
fi
.venv/bin/python tools/summary.py --stack strata-account --account

echo "== deploy the environment: sam deploy --config-env local"
if ! .venv/bin/sam deploy --config-env local --no-progressbar >.strata/deploy-local.log 2>&1; then
  tail -40 .strata/deploy-local.log
  .venv/bin/python tools/summary.py --stack strata-local --why || true
  echo "sam deploy failed; the whole output is in .strata/deploy-local.log" >&2
  exit 1
fi
echo "   full output: .strata/deploy-local.log"

echo "== what was deployed"
.venv/bin/python tools/summary.py --stack strata-local

cat <<NEXT

== try next
  npm start -- --keep                      keep the local cloud running after this, then with the variables it prints:
    edit one layer (say the flow-log retention in nested/network.yaml), then
    .venv/bin/sam build && .venv/bin/sam deploy --config-env local     only that layer's nested stack updates
    .venv/bin/sam delete --config-env local --no-prompts               tear it all down
  npm run invoke -- tls-verification events/tls-verification-create.json --local-cloud          one custom resource
  npm test                                 every test, including deploy/update/delete against the local cloud
NEXT

if $keep; then
  echo
  echo "The local cloud keeps running (pid $LOCAL_CLOUD_PID). In another shell:"
  echo "  export AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1"
  echo "Stop it with: kill $LOCAL_CLOUD_PID"
fi
