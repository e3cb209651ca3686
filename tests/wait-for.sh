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

# seen_after FILE FIRST THEN: FILE has a line matching THEN (an extended
# regular expression, as FIRST) at or after its first line matching FIRST.
# One process reads the file.  Not "sed -n '/FIRST/,$p' FILE | grep -q THEN":
# grep -q exits at its match and sed, still writing, dies of SIGPIPE, which
# pipefail makes a failure -- sometimes once the output is over one write
# (4 KB) on a busy machine, always once it is over the pipe's 64 KB, so for
# good as a member goes on logging (the CI run of 02f4bb0 timed out "waiting
# for a to rejoin" while a was back in the group and delivering).
seen_after() { # file first then
  awk -v first="$2" -v later="$3" '
    $0 ~ first { on = 1 }
    on && $0 ~ later { found = 1; exit }
    END { exit !found }' "$1"
}

# until_listening NAME PID OUT ERR: waits until OUT (a member's standard
# output) says it listens, 20 s by the clock (a loaded, sanitized start
# took up to 1 s); fails at once, showing ERR, if PID ended first.
until_listening() { # name pid out err
  local deadline=$(( $(date +%s) + 20 ))
  until grep -q "listening on" "$3" 2>/dev/null; do
    if ! kill -0 "$2" 2>/dev/null || [ "$(date +%s)" -ge "$deadline" ]; then
      echo "$1 did not start:"; cat "$4"; exit 1
    fi
    sleep 0.05
  done
}
