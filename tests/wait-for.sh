# Sourced by the shell tests.  wait_for DESCRIPTION COMMAND...: run COMMAND
# every 50 ms until it succeeds, for at most WAIT_SECONDS (default 20); on
# timeout say what was awaited, show the ends of the logs in $work, exit 1.
wait_for() {
  local what=$1; shift
  local tries=$(( ${WAIT_SECONDS:-20} * 20 ))
  for _ in $(seq 1 "$tries"); do
    if "$@"; then return 0; fi
    sleep 0.05
  done
  echo "timed out waiting for $what"
  tail -n 3 "$work"/*.log 2>/dev/null || true
  exit 1
}
