# Shared by run.sh and compare.sh (sourced, not run).
#
# A work directory and the processes started into it are removed and
# stopped on exit: start a process with `... & pids+=($!)`.
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# wait_addr LOG NAME: the address from the "<NAME> listening" JSON log line.
wait_addr() {
  for _ in $(seq 1 300); do
    line=$(grep -m1 "\"$2 listening\"" "$1" 2>/dev/null || true)
    if [ -n "$line" ]; then
      echo "$line" | sed 's/.*"addr":"\([^"]*\)".*/\1/'
      return
    fi
    sleep 0.1
  done
  echo "$(basename "$0"): $2 did not start; log:" >&2
  cat "$1" >&2
  exit 1
}
