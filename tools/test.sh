#!/usr/bin/env bash
# Every test Strata has: set-up, then typecheck, lint and the jest suites (turbo, cached on real inputs),
# then the Python suites (policy gates, policy-rule fixtures, packaging and local-cloud integration), then
# one summary line `N passed, N failed` summed over all of them.
set -uo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
export SAM_CLI_TELEMETRY=0 TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1

checks=()
npx turbo run typecheck --output-logs=errors-only && checks+=(typecheck=ok) || checks+=(typecheck=fail)
npx turbo run lint --output-logs=errors-only && checks+=(lint=ok) || checks+=(lint=fail)
npx turbo run test --continue --output-logs=errors-only || true
npx turbo run build --output-logs=errors-only && checks+=(build=ok) || checks+=(build=fail)

mkdir -p .strata/reports
rm -f .strata/reports/pytest.xml
.venv/bin/python -m pytest -q -p no:cacheprovider --junitxml=.strata/reports/pytest.xml || true

node tools/summarize.mjs "${checks[@]}"
