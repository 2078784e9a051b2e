#!/usr/bin/env bash
# Every test Strata has: set-up, lint, the build, ruff, then the Python suites (policy gates, policy-rule fixtures,
# packaging, the functions against the local cloud, the integration and lifecycle tests; the longest started first,
# tests/conftest.py) with the jest suites (turbo, cached on real inputs), the typecheck and mypy beside them, then one
# summary line `N passed, N failed` summed over all of them. Each phase prints how long it took from its own start.
set -uo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
phase() { printf '[test] %-10s %4ss\n' "$1" "$((SECONDS - mark))"; mark=$SECONDS; }
mark=$SECONDS
bash tools/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
phase setup
export SAM_CLI_TELEMETRY=0 TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1

# One zygote for the whole run (local-cloud/strata_local_cloud/zygote.py): the forty-odd local clouds the jest and
# pytest suites start are forked from it, fresh, instead of each importing and parsing the same modules and models
# again (about 3 s of CPU each). It gets ready while the typecheck runs; a cloud that finds it missing starts on its own.
zygote_dir=$(mktemp -d "${TMPDIR:-/tmp}/strata-zygote-XXXXXX")
mkdir -p .strata
.venv/bin/python -m strata_local_cloud.zygote --socket "$zygote_dir/socket" >.strata/zygote.log 2>&1 &
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$zygote_dir"' EXIT
export STRATA_LOCAL_CLOUD_ZYGOTE=$zygote_dir/socket
# What the tests' processes make from the same inputs (the SAM CLI's parse of a template and zip of a function, a local
# cloud's initial MariaDB data directory) is made once in the run and kept here for the others, the same bytes
# (local-cloud/strata_local_cloud/shared_cache.py); removed with it.
export STRATA_SHARED_CACHE=$zygote_dir/shared-cache

checks=()
# What runs at once: pytest, the longest phase, starts as soon as the build is done, and the jest suites, the typecheck
# (one tsc) and mypy run beside it. The Python suites wait as well as compute (for a stack to settle, a server to
# answer): alone, pytest kept the two cores about four-fifths busy, and the jest phase, run before it, three-quarters.
# Each reports when it is waited for; the output of those in the background is kept in .strata/ and shown then.
npx turbo run typecheck-workspace --output-logs=errors-only >.strata/typecheck.log 2>&1 &
typecheck_job=$!
npx turbo run lint --output-logs=errors-only && checks+=(lint=ok) || checks+=(lint=fail)
phase lint
npx turbo run build --output-logs=errors-only && checks+=(build=ok) || checks+=(build=fail)
phase build
# The local cloud's Python: ruff and mypy with its own configuration (local-cloud/pyproject.toml), zero findings;
# tools/ and tests/ with the root ruff.toml (the same rule set).
(cd local-cloud && ../.venv/bin/ruff check --quiet .) && .venv/bin/ruff check --quiet tools tests && checks+=(ruff=ok) || checks+=(ruff=fail)
(cd local-cloud && ../.venv/bin/mypy) >.strata/mypy.log 2>&1 &
mypy_job=$!
phase ruff

mkdir -p .strata/reports
rm -f .strata/reports/pytest.xml
# pytest-xdist with two workers per core (STRATA_TEST_WORKERS overrides): the tests wait too (for a stack to settle, a
# server to answer), and on two cores four workers kept them busier than three (pytest 146 s against 153 s, the same
# CPU); five did worse (159 s). The tests that share a deployment share a worker (xdist_group marks), so it is
# made once. The longest groups start first, in the order tests/conftest.py gives them (--no-loadscope-reorder:
# xdist would start the groups with the most tests first, whatever their length).
workers=${STRATA_TEST_WORKERS:-$(($(nproc) * 2))}
pytest_started=$SECONDS
.venv/bin/python -m pytest -q -p no:cacheprovider -n "$workers" --dist loadgroup --no-loadscope-reorder \
  --junitxml=.strata/reports/pytest.xml >.strata/pytest.log 2>&1 &
pytest_job=$!
npx turbo run test --continue --output-logs=errors-only || true
phase jest
if wait "$typecheck_job"; then checks+=(typecheck=ok); else cat .strata/typecheck.log; checks+=(typecheck=fail); fi
phase typecheck
wait "$pytest_job"
cat .strata/pytest.log
mark=$pytest_started
phase pytest
if wait "$mypy_job"; then checks+=(mypy=ok); else tail -20 .strata/mypy.log; checks+=(mypy=fail); fi
phase mypy
printf '[test] %-10s %4ss\n' total "$((SECONDS - started))"

node tools/test-totals.mjs "${checks[@]}"
