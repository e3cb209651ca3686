# Sourced by the shell tests.  wait_for DESCRIPTION COMMAND...: run COMMAND
# every 50 ms until it succeeds, for at most WAIT_SECONDS (default 20); on
# timeout say what was awaited, show the ends of the logs in $work (and its
# logs/) and the processes still running from it, exit 1.
wait_for() {
  local what=$1; shift
  # A deadline on the clock, not a number of tries: a slow COMMAND (an OCR
  # pass takes a second or more on a busy machine) must not stretch the wait.
  # (date, not $SECONDS: some tests run under a plain POSIX sh.)
  local deadline=$(( $(date +%s) + ${WAIT_SECONDS:-20} ))
  while :; do
    if "$@"; then return 0; fi
    [ "$(date +%s)" -lt "$deadline" ] || break
    sleep 0.05
  done
  echo "timed out waiting for $what"
  [ -f "$work/story" ] && tail -n 15 "$work/story"
  tail -n 3 "$work"/*.log "$work"/logs/*.log "$work"/logs/*.err 2>/dev/null || true
  # Who is still running, and in what state (a process stopped or spinning).
  pgrep -f -- "$work" | while read -r pid; do
    ps -o pid=,stat=,pcpu=,etime=,args= -p "$pid" 2>/dev/null | cut -c 1-160
  done
  exit 1
}
