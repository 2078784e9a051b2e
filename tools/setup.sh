#!/usr/bin/env bash
# Strata set-up, idempotent: npm packages, the pinned Python tools in the project virtualenvs, apt packages.
# Each step is skipped when what it installs from has not changed (a hash stamp), so a no-change run takes
# about a second. Called by the main-job and test commands; run it alone with `npm run setup`.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .strata

stamp() { cat "$@" | sha256sum | cut -c1-16; }
say() { printf '[setup] %s\n' "$*"; }

# apt packages the tests and tools need: MariaDB backs the TLS verification tests, Graphviz draws the
# deploy graph (bench:deploy --graph).
APT_PACKAGES=(mariadb-server mariadb-client openssl make graphviz)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
if [ "${#missing[@]}" -gt 0 ]; then
  say "apt: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The tests start their own servers on free ports; the packaged service is not needed.
  $SUDO service mariadb stop >/dev/null 2>&1 || true
fi

# npm workspace packages.
want=$(stamp package-lock.json)
if [ "$(cat node_modules/.strata-stamp 2>/dev/null || true)" != "$want" ]; then
  say "npm: installing from package-lock.json"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > node_modules/.strata-stamp
fi

# Python tools, pinned, in two virtualenvs (checkov pins a boto3 the SAM CLI cannot share); the main one also
# holds the local cloud (local-cloud/, editable), so its console script is .venv/bin/strata-local-cloud.
venv() {
  local dir=$1 requirements=$2 constraints=$3
  shift 3  # any further files the requirements install from (the local cloud's pyproject.toml)
  local want; want=$(stamp "$requirements" "$constraints" "$@")
  if [ "$(cat "$dir/.strata-stamp" 2>/dev/null || true)" != "$want" ]; then
    say "python: building $dir from $requirements"
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/pip" install -q --disable-pip-version-check -r "$requirements" -c "$constraints"
    echo "$want" > "$dir/.strata-stamp"
  fi
}
# The two are independent: build them side by side (each mostly waits on downloads and unpacking).
venv .venv tools/requirements.txt tools/constraints.txt local-cloud/pyproject.toml &
main_venv=$!
venv .venv-checkov tools/requirements-checkov.txt tools/constraints-checkov.txt &
checkov_venv=$!
status=0
wait "$main_venv" || status=$?
wait "$checkov_venv" || status=$?
[ "$status" -eq 0 ] || { say "python: building a virtualenv failed (exit $status)"; exit "$status"; }
