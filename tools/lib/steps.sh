# shellcheck shell=bash
# Steps of the main job that say what they do: a heading with the time each took, and a long command run with its
# output in a log and a line every few seconds while it runs (never silent for long, in a terminal or in CI).

# heading "what": the heading of a step; the previous one, if any, gets its time first.
heading() {
  [ -z "${STEP_STARTED:-}" ] || echo "   ($((SECONDS - STEP_STARTED)) s)"
  STEP_STARTED=$SECONDS
  echo "== $*"
}

# logged LOG LABEL COMMAND...: runs COMMAND with its output appended to LOG; says LABEL as it starts and every 3 s
# while it runs. Returns COMMAND's exit status.
logged() {
  local log=$1 label=$2
  shift 2
  echo "   $label"
  "$@" >>"$log" 2>&1 &
  awaited $! "$label"
}

# awaited PID LABEL: waits for a command started in the background, saying LABEL every 3 s; returns its status.
awaited() {
  local pid=$1 label=$2 started=$SECONDS next
  next=$((SECONDS + 3))
  while kill -0 "$pid" 2>/dev/null; do
    sleep 0.25
    if [ "$SECONDS" -ge "$next" ] && kill -0 "$pid" 2>/dev/null; then
      echo "   ... $((SECONDS - started)) s: $label"
      next=$((SECONDS + 3))
    fi
  done
  wait "$pid"
}
