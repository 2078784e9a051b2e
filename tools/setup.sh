#!/usr/bin/env bash
# Strata set-up, idempotent: npm packages, the pinned Python tools in the project virtualenvs, apt packages.
# Each step is skipped when what it installs from has not changed (a hash stamp), so a no-change run takes
# about a second; each step that runs says what it installs and how long it took. Called by the main-job and
# test commands; run it alone with `npm run setup`.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .strata

stamp() { cat "$@" | sha256sum | cut -c1-16; }
say() { printf '[setup] %s\n' "$*"; }
# step "what": says what it installs now; done_step: how long it took.
step() { step_started=$SECONDS; say "$*"; }
done_step() { say "  done in $((SECONDS - step_started)) s"; }

# apt packages the tests and tools need: MariaDB backs the TLS verification tests, Graphviz draws the
# deploy graph (bench:deploy --graph).
APT_PACKAGES=(mariadb-server mariadb-client openssl make graphviz)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
if [ "${#missing[@]}" -gt 0 ]; then
  step "apt: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The tests start their own servers on free ports; the packaged service is not needed.
  $SUDO service mariadb stop >/dev/null 2>&1 || true
  done_step
fi

# npm workspace packages, beside the Python virtualenvs below (npm mostly waits on unpacking, uv on compiling).
npm_packages() {
  local want; want=$(stamp package-lock.json)
  if [ "$(cat node_modules/.strata-stamp 2>/dev/null || true)" != "$want" ]; then
    step "npm: installing the workspace from package-lock.json (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
    echo "$want" > node_modules/.strata-stamp
    done_step
  fi
}
npm_packages &
npm_job=$!

has_checksum() { [ "$(sha256sum "$1" 2>/dev/null | cut -c1-64)" = "$2" ]; }
# npm_file SPEC MEMBER SHA256 DEST [NOTICE...]: DEST, executable, is the file MEMBER of the pinned npm package SPEC,
# checked against SHA256 first (for tools no package of their own carries); each NOTICE member (a licence) goes beside it.
npm_file() {
  local spec=$1 member=$2 sha=$3 dest=$4 tmp
  shift 4
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$spec" >/dev/null && tar xzf ./*.tgz "$member" "$@") \
    || { rm -rf "$tmp"; say "$spec: could not unpack $member"; return 1; }
  has_checksum "$tmp/$member" "$sha" || { rm -rf "$tmp"; say "$spec: $member does not have its pinned checksum"; return 1; }
  mkdir -p "$(dirname "$dest")"
  install -m 0755 "$tmp/$member" "$dest"
  for notice in "$@"; do install -m 0644 "$tmp/$notice" "$(dirname "$dest")/"; done
  rm -rf "$tmp"
}

# The Node.js the local cloud runs the functions on: their runtime is nodejs22.x, and Lambda runs it on Node.js 22
# (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html), whatever Node this machine's tools use. The
# Node.js project publishes its Linux builds on npm as node-linux-<arch>; set-up unpacks the one for this machine from
# that pinned package into .strata/runtimes/nodejs22.x, checks it against its pinned checksum, and links the directory
# into the virtualenv, where the local cloud looks (local-cloud/strata_local_cloud/lambda_runtime/runtimes.py).
LAMBDA_NODE_VERSION=22.23.5
case "$(uname -m)" in
  x86_64) node_arch=x64 node_sha=2f822d544601dfff107f57d945b649d15c5bf6302595735a6bd9cdc7ee9669bd ;;
  aarch64 | arm64) node_arch=arm64 node_sha=bb71f797d1b3d156d012c59b152c413cf7d4940156cafcde28f1731201ceaf1c ;;
  *) say "node: no Linux build for $(uname -m) on npm (node-linux-<arch>)"; exit 1 ;;
esac
lambda_node=.strata/runtimes/nodejs22.x/bin/node
lambda_runtime() {
  has_checksum "$lambda_node" "$node_sha" && return 0
  step "node: unpacking Node.js $LAMBDA_NODE_VERSION for the functions' runtime (nodejs22.x) from node-linux-$node_arch@$LAMBDA_NODE_VERSION"
  npm_file "node-linux-$node_arch@$LAMBDA_NODE_VERSION" package/bin/node "$node_sha" "$lambda_node" package/LICENSE || return 1
  done_step
}
lambda_runtime &
node_job=$!

# Python tools, pinned, in two virtualenvs (checkov pins a boto3 the SAM CLI cannot share); the main one also
# holds the local cloud (local-cloud/, editable), so its console script is .venv/bin/strata-local-cloud.
# uv builds them from the frozen pins (tools/constraints*.txt), linking packages from its cache: seconds where
# pip took about two minutes. uv itself is pinned and comes from PyPI with the Python's own pip.
UV_VERSION=0.13.8
UV=.strata/uv/bin/uv
export UV_PYTHON_DOWNLOADS=never UV_NO_PROGRESS=1
if [ "$("$UV" --version 2>/dev/null | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  step "uv: installing uv $UV_VERSION from PyPI"
  rm -rf .strata/uv
  # --target needs no virtualenv of its own; a Python whose pip refuses it (PEP 668) gets one.
  python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore --no-warn-script-location \
      --target .strata/uv "uv==$UV_VERSION" 2>/dev/null \
    || { rm -rf .strata/uv && python3 -m venv .strata/uv && .strata/uv/bin/pip install -q --disable-pip-version-check "uv==$UV_VERSION"; }
  done_step
fi
venv() {
  local dir=$1 requirements=$2 constraints=$3
  shift 3  # any further files the requirements install from (the local cloud's pyproject.toml)
  local want; want=$(stamp "$requirements" "$constraints" "$@")
  if [ "$(cat "$dir/.strata-stamp" 2>/dev/null || true)" != "$want" ]; then
    step "python: building $dir from $requirements (pins: $constraints)"
    rm -rf "$dir"
    "$UV" venv -q --python python3 "$dir"
    # --compile-bytecode: the .pyc files pip wrote at install time; without them every Python process compiles its
    # imports again where PYTHONDONTWRITEBYTECODE is set (as on this CI), seconds per sam or local-cloud start
    "$UV" pip install -q --compile-bytecode --python "$dir/bin/python" -r "$requirements" -c "$constraints"
    echo "$want" > "$dir/.strata-stamp"
    done_step
  fi
}
# The two are independent, and compiling the bytecode keeps a core busy each: build them side by side.
venv .venv tools/requirements.txt tools/constraints.txt local-cloud/pyproject.toml &
main_venv=$!
venv .venv-checkov tools/requirements-checkov.txt tools/constraints-checkov.txt &
checkov_venv=$!
status=0
wait "$main_venv" || status=$?
wait "$checkov_venv" || status=$?
[ "$status" -eq 0 ] || { say "python: building a virtualenv failed (exit $status)"; exit "$status"; }
wait "$npm_job" || { status=$?; say "npm: npm ci failed (exit $status)"; exit "$status"; }
wait "$node_job" || { status=$?; say "node: unpacking the functions' Node.js failed (exit $status)"; exit "$status"; }
# a relative link: the virtualenv is rebuilt whenever its pins change, and the runtime stays
[ "$(readlink .venv/runtimes 2>/dev/null || true)" = ../.strata/runtimes ] || ln -sfn ../.strata/runtimes .venv/runtimes

# The project's own Python (the local cloud, installed editable; the tools; the tests' helpers) compiled to bytecode,
# as uv compiled the virtualenvs' packages: where PYTHONDONTWRITEBYTECODE is set (as on this CI) nothing writes it,
# and each process that imports them compiled them again. compileall rewrites only what changed since.
python_sources=(local-cloud/strata_local_cloud tools tests/strata_testing.py tests/integration/deployment.py)
.venv/bin/python -m compileall -q "${python_sources[@]}" >/dev/null || { say "python: compiling the project's sources failed"; exit 1; }

# cfn-guard, the CloudFormation Guard CLI (the account layer's Guard hook rules are tested with it, and the local
# cloud runs it for that hook). No package of its own carries the current release; AWS's
# @cdklabs/cdk-validator-cfnguard ships its Linux builds on npm, so set-up unpacks the one for this machine from
# that pinned package and checks it against its pinned checksum (cfn-guard 3.1.1).
GUARD_PACKAGE=@cdklabs/cdk-validator-cfnguard@0.0.62
case "$(uname -m)" in
  x86_64) guard_arch=x86_64 guard_sha=9c7a820318676dc7372f6756ddfc7ca5f0c019299fb5505fda6dfd54718c58bd ;;
  aarch64 | arm64) guard_arch=aarch64 guard_sha=f596043df77b6e839759e90e3d08671b5384c6e07d4a9c34f6d0bfbc76148154 ;;
  *) say "cfn-guard: no Linux build for $(uname -m) in $GUARD_PACKAGE"; exit 1 ;;
esac
if ! has_checksum .venv/bin/cfn-guard "$guard_sha"; then
  step "cfn-guard: unpacking the $guard_arch build from $GUARD_PACKAGE"
  npm_file "$GUARD_PACKAGE" "package/bin/ubuntu/$guard_arch/cfn-guard" "$guard_sha" .venv/bin/cfn-guard || exit 1
  done_step
fi
