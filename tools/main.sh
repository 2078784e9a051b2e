#!/usr/bin/env bash
# The main job: set-up, lint and build, then deploy the account layer and the whole baseline to the local cloud with
# the same `sam deploy --config-env account-local` / `--config-env local` used against AWS, and print what was
# deployed. Every log of a run is in its own .strata/runs/<time>-<pid>/ (.strata/runs/latest is the newest).
#
#   npm start                # deploy, summarise, stop the local cloud (its state is in memory)
#   npm start -- --keep      # leave the local cloud running: `source .strata/local-cloud.env` to use it,
#                            # `npm run local -- status|stop` to see or stop it
set -euo pipefail
cd "$(dirname "$0")/.."
keep=false
for arg in "$@"; do
  case "$arg" in
    --keep) keep=true ;;
    -h | --help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $arg (expected --keep)" >&2; exit 64 ;;
  esac
done
started=$SECONDS
# Nothing here reaches a real account: no profile, session or keys of one, and the local config-envs' profile
# (strata-local-cloud) from the local cloud's own AWS configuration, before the cloud exists (sam build
# --config-env account-local resolves it too). start_local_cloud adds the endpoint.
# shellcheck source=tools/lib/local-cloud.sh
source tools/lib/local-cloud.sh
eval "$(local_only_env)"
unset AWS_ENDPOINT_URL
# telemetry off for every tool this job runs (local_only_env says so too; this job must not depend on it)
export SAM_CLI_TELEMETRY=0 TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
# shellcheck source=tools/lib/steps.sh
source tools/lib/steps.sh
heading "set-up"
bash tools/setup.sh

# This run's logs: never shared with a run beside it; the newest 20 runs are kept.
run=".strata/runs/$(date -u +%Y%m%dT%H%M%SZ)-$$"
mkdir -p "$run"
ln -sfn "$(basename "$run")" .strata/runs/latest
find .strata/runs -mindepth 1 -maxdepth 1 -type d -name '20*' | sort | head -n -20 | xargs -r rm -rf

# cfn-lint reads the source templates and names the file and line of a problem, a YAML error included (sam build
# would only say "line 60" of some template). It runs on one core while the build and the local cloud's start use
# the other; nothing is deployed before it has passed. (`npm test` also runs sam validate --lint and checkov.)
# A template whose inputs (its text, the project rules, the pinned cfn-lint with its schemas) are those of the last run
# in which it passed is not linted again: the same inputs give the same findings, and linting is the longest step of a
# warm start. The root template's inputs include the nested ones: cfn-lint reads a nested stack's template to check
# the parameters it is given (E3043). After an edit to one layer, that layer and the root are linted.
heading "lint (cfn-lint with the project policy rules, in the background) and build; the local cloud starts meanwhile"
templates=(template.yaml nested/*.yaml account/template.yaml)
lint=(.venv/bin/cfn-lint --append-rules policies/cfn-lint --)
lint_rules_key=$({ printf '%s\n' "${lint[@]}"; cat policies/cfn-lint/*.py tools/constraints.txt; } | sha256sum | cut -d' ' -f1)
lint_passed=.strata/lint-passed  # "<key> <template>" for each template that passed
lint_keys=()  # every template's line, written once all have passed
kept=()  # the lines of the templates that passed and are unchanged
stale=()  # the templates to lint now
for template in "${templates[@]}"; do
  key=$({ echo "$lint_rules_key"; cat "$template"; [ "$template" != template.yaml ] || cat nested/*.yaml; } | sha256sum | cut -d' ' -f1)
  lint_keys+=("$key $template")
  if grep -qxF "$key $template" "$lint_passed" 2>/dev/null; then kept+=("$key $template"); else stale+=("$template"); fi
done
lint_pid=
if [ ${#stale[@]} -eq 0 ]; then
  lint_result="no findings (not run again: the templates, the rules and cfn-lint are as they were when it last passed)"
else
  # until the lint passes, only what is unchanged counts as passed (a failed or interrupted run adds nothing)
  if [ ${#kept[@]} -gt 0 ]; then printf '%s\n' "${kept[@]}" >"$lint_passed"; else rm -f "$lint_passed"; fi
  "${lint[@]}" "${stale[@]}" >"$run/lint.log" 2>&1 &
  lint_pid=$!
  if [ ${#kept[@]} -eq 0 ]; then
    lint_result="no findings"
  else
    lint_result="no findings in ${stale[*]} (the other templates are as they were when they last passed)"
  fi
fi
lint_failed() {
  [ -n "$lint_pid" ] || return 1
  if awaited "$lint_pid" "cfn-lint on ${stale[*]}"; then
    printf '%s\n' "${lint_keys[@]}" >"$lint_passed"
    lint_pid=
    return 1
  fi
  cat "$run/lint.log"
  echo "cfn-lint found the problems above; fix them and run npm start again (log: $run/lint.log)" >&2
}
build_failed() {  # $1: what failed, $2: its log. A template cfn-lint refuses explains a failed build better than sam build does.
  lint_failed && exit 1
  tail -40 "$2"
  echo "$1 failed (log: $2)" >&2
  exit 1
}
# The local cloud, however this job ends (done, a failed build or deploy, Ctrl-C): stopped, its state being in memory.
# Only a run that succeeds with --keep leaves it running (it drops this trap), with the file that reaches it.
trap 'echo "   stopping the local cloud (its state was in memory; npm start -- --keep keeps it after a run that succeeds)"; stop_local_cloud; kill $(jobs -p) 2>/dev/null || true' EXIT
logged "$run/build.log" "turbo run build (the functions)" npx turbo run build --output-logs=errors-only || build_failed "the function build" "$run/build.log"
# The two sam builds copy the bundles turbo made, each into its own build directory and cache (samconfig.toml), so
# they run side by side, while the local cloud starts.
echo "   sam build, and sam build --config-env account-local beside it"
.venv/bin/sam build >>"$run/build.log" 2>&1 &
build_pid=$!
.venv/bin/sam build --config-env account-local >>"$run/build-account.log" 2>&1 &
account_build_pid=$!
start_local_cloud "$run/local-cloud.log"
echo "   $AWS_ENDPOINT_URL (moto with Strata's extensions; log: $run/local-cloud.log)"
.venv/bin/python -c "
import boto3
s3 = boto3.client('s3')
s3.create_bucket(Bucket='strata-local-artifacts')
# The Guard hook reads its rules from S3 (GuardRulesUri in samconfig.toml [account-local]).
s3.upload_file('account/guard/strata.guard', 'strata-local-artifacts', 'strata-account/guard/strata.guard')"
awaited "$build_pid" "sam build" || build_failed "sam build" "$run/build.log"
awaited "$account_build_pid" "sam build --config-env account-local" \
  || build_failed "sam build --config-env account-local" "$run/build-account.log"
echo "   built: .aws-sam/build/template.yaml and one template per layer; the account layer in .aws-sam/account/build"

if lint_failed; then exit 1; fi
echo "   cfn-lint: $lint_result"

heading "deploy the account layer: sam deploy --config-env account-local"
.venv/bin/python tools/deploy.py --config-env account-local --log "$run/deploy-account.log"
.venv/bin/python tools/summary.py --stack strata-account --account

heading "deploy the environment: sam deploy --config-env local"
.venv/bin/python tools/deploy.py --config-env local --log "$run/deploy-local.log"

heading "what was deployed"
.venv/bin/python tools/summary.py --stack strata-local
echo "   logs of this run: $run/; the custom resources' own logs are in the local cloud's CloudWatch Logs"
echo "   (.venv/bin/sam logs --stack-name strata-local, with a kept cloud's variables)"

if $keep; then
  trap - EXIT
  env_file=".strata/clouds/$LOCAL_CLOUD_PID.env"
  write_local_cloud_env "$env_file" "$run"
  ln -sfn "clouds/$LOCAL_CLOUD_PID.env" .strata/local-cloud.env
  cat <<KEPT

== the local cloud keeps running (pid $LOCAL_CLOUD_PID, $AWS_ENDPOINT_URL)
  source .strata/local-cloud.env           in another shell: the variables that reach it and never AWS
                                           (this cloud's own file: $env_file)
  npm run local -- status                  the kept local clouds of this checkout and their stacks
  npm run local -- stop                    stop them
  .venv/bin/python tools/connect.py --stack strata-local       (with its variables) log in to the database over TLS
KEPT
fi

cat <<NEXT

== try next
  npm start -- --keep                      keep the local cloud running after this, then, after sourcing its variables:
    edit one layer (say the flow-log retention in nested/network.yaml), then
    .venv/bin/sam build && .venv/bin/sam deploy --config-env local     only that layer's nested stack updates
    (or .venv/bin/python tools/deploy.py --config-env local: the same deploy, with progress as npm start shows it)
    .venv/bin/sam delete --config-env local --no-prompts               tear it all down
  npm run invoke -- az-discovery events/az-discovery-create.json --local-cloud      one custom resource, on a local cloud of its own
  npm test                                 every test, including deploy/update/delete against the local cloud
NEXT
echo
echo "== done in $((SECONDS - started)) s"
