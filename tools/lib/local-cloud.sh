# shellcheck shell=bash
# start_local_cloud LOG: starts the local cloud on a port it picks, waits for its URL and exports the
# standard AWS variables that point the SAM CLI, boto3 and the AWS SDKs at it (never at a real account).
# The shell starter of the one launcher contract (`strata-local-cloud --port 0 --url-file F`; the Node.js
# one is local-cloud/launch.cjs, the Python one strata_local_cloud/launch.py).
start_local_cloud() {
  local log=$1 url_file
  url_file=$(mktemp)
  rm -f "$url_file"
  .venv/bin/strata-local-cloud --port 0 --url-file "$url_file" >"$log" 2>&1 &
  LOCAL_CLOUD_PID=$!
  for _ in $(seq 600); do
    [ -s "$url_file" ] && break
    kill -0 "$LOCAL_CLOUD_PID" 2>/dev/null || { cat "$log" >&2; echo "the local cloud did not start" >&2; return 1; }
    sleep 0.1
  done
  [ -s "$url_file" ] || { echo "the local cloud did not start within 60 s" >&2; return 1; }
  AWS_ENDPOINT_URL=$(cat "$url_file")
  rm -f "$url_file"
  unset AWS_PROFILE AWS_SESSION_TOKEN
  export LOCAL_CLOUD_PID AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
}

stop_local_cloud() {
  if [ -n "${LOCAL_CLOUD_PID:-}" ] && kill -0 "$LOCAL_CLOUD_PID" 2>/dev/null; then
    kill "$LOCAL_CLOUD_PID" 2>/dev/null || true
    wait "$LOCAL_CLOUD_PID" 2>/dev/null || true
  fi
}
