# shellcheck shell=bash
# start_local_cloud LOG: starts the local cloud on a port it picks, waits for its URL and exports the
# variables that point the SAM CLI, boto3 and the AWS SDKs at it (never at a real account).
# The shell starter of the one launcher contract (`strata-local-cloud --port 0 --url-file F`; the Node.js
# one is local-cloud/launch.cjs, the Python one strata_local_cloud/launch.py).
start_local_cloud() {
  local log=$1 url_file
  url_file=$(mktemp)
  rm -f "$url_file"
  # no profile or session of a real account, even in the cloud itself (boto3 in moto reads them at start)
  eval "$(local_only_env)"
  .venv/bin/strata-local-cloud --port 0 --url-file "$url_file" >"$log" 2>&1 &
  LOCAL_CLOUD_PID=$!
  echo "   starting the local cloud (pid $LOCAL_CLOUD_PID)"
  for i in $(seq 600); do
    [ -s "$url_file" ] && break
    kill -0 "$LOCAL_CLOUD_PID" 2>/dev/null || { cat "$log" >&2; echo "the local cloud did not start" >&2; return 1; }
    [ $((i % 30)) -ne 0 ] || echo "   ... $((i / 10)) s: the local cloud is starting"
    sleep 0.1
  done
  [ -s "$url_file" ] || { echo "the local cloud did not start within 60 s" >&2; return 1; }
  AWS_ENDPOINT_URL=$(cat "$url_file")
  rm -f "$url_file"
  LOCAL_CLOUD_LOG=$log
  eval "$(local_cloud_env)"
  export LOCAL_CLOUD_PID LOCAL_CLOUD_LOG
}

# local_only_env: the shell lines that keep a shell off every real account: no profile or session of one, the local
# cloud's keys, the profile samconfig.toml's local config-envs name (its file: strata_local_cloud/aws-config, which
# explains the guard), telemetry off. No endpoint: local_cloud_env adds the running cloud's.
local_only_env() {
  cat <<ENV
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=$PWD/local-cloud/strata_local_cloud/aws-config AWS_SHARED_CREDENTIALS_FILE=/dev/null
export SAM_CLI_TELEMETRY=0 TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
ENV
}

# local_cloud_env: the shell lines that reach this local cloud and nothing else. `sam deploy` asks for the stack's
# state every 0.5 s instead of every 5 s (SAM_CLI_POLL_DELAY; why: strata_local_cloud/launch.py SAM_POLL_DELAY).
local_cloud_env() {
  local_only_env
  echo "export AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL"
  echo "export SAM_CLI_POLL_DELAY=0.5"
}

# write_local_cloud_env FILE RUN: a file to `source` for this (kept) local cloud; `npm run local` reads it too.
write_local_cloud_env() {
  local file=$1 run=$2
  mkdir -p "$(dirname "$file")"
  {
    echo "# The local cloud started by npm start -- --keep at $(date -u +%Y-%m-%dT%H:%M:%SZ) (logs: $run/)."
    echo "# source this file to use it; npm run local -- status|stop to see or stop it."
    local_cloud_env
    echo "export STRATA_LOCAL_CLOUD_PID=$LOCAL_CLOUD_PID STRATA_LOCAL_CLOUD_LOG=$PWD/$LOCAL_CLOUD_LOG"
  } >"$file"
}

stop_local_cloud() {
  if [ -n "${LOCAL_CLOUD_PID:-}" ] && kill -0 "$LOCAL_CLOUD_PID" 2>/dev/null; then
    kill "$LOCAL_CLOUD_PID" 2>/dev/null || true
    wait "$LOCAL_CLOUD_PID" 2>/dev/null || true
  fi
}
