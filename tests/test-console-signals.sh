#!/bin/bash
# groupy-console ended by a signal -- SIGTERM (kill, the session's end),
# SIGINT (Ctrl-C in the terminal it was started from) or SIGHUP (that
# terminal closed) -- ends as its close
# button does: the members leave one at a time, the logs are checked, and
# its temporary log folder is removed.  It died at once instead: its folder
# stayed in $TMPDIR, one more each run, and its members, all told to go at
# once by their parent's death, waited out their leave timeouts.  Skipped
# (77) when Xvfb or xdotool is missing.
#   test-console-signals.sh GROUPY-CONSOLE
set -euo pipefail
console=$1

for tool in Xvfb xdotool; do
  command -v "$tool" >/dev/null || { echo "skipped: $tool is not installed"; exit 77; }
done

work=$(mktemp -d)
cpid=""
xvfb=""
cleanup() {
  if [ -n "$cpid" ]; then kill -9 "$cpid" 2>/dev/null || true; wait "$cpid" 2>/dev/null || true; fi
  pkill -9 -f -- "$work/tmp/" 2>/dev/null || true
  pkill -9 -f -- "$work/bin/" 2>/dev/null || true
  if [ -n "$xvfb" ]; then kill "$xvfb" 2>/dev/null || true; wait "$xvfb" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

. "$(dirname "$0")/xvfb.sh"
start_xvfb 1400x900
. "$(dirname "$0")/wait-for.sh"
. "$(dirname "$0")/stand-in.sh"

mkdir "$work/tmp"
three_in_view() {
  local f
  for f in "$work"/tmp/groupy-demo-*/w3.log; do
    [ -f "$f" ] && grep -q '"ev":"view"' "$f"
  done
}
console_gone() { ! kill -0 "$cpid" 2>/dev/null; }

# And an option out of its range is named, with its range (every one but
# --sleep was told "at least 0", the upper bounds unsaid).  The range is the
# members' own: --suspect-timeout 1 to 199 (under twice their heartbeat) was
# taken, and every member died at its start.
for bad in "--color-rate 2000:--color-rate takes 0 to 1000, not 2000" \
           "--suspect-timeout 150:--suspect-timeout takes 200 to 600000, not 150"; do
  status=0
  # shellcheck disable=SC2086 # the option and its value are two words
  timeout 20 "$console" --headless ${bad%%:*} > "$work/console.out" 2> "$work/console.err" ||
    status=$?
  if [ "$status" != 2 ] || ! grep -qF -- "groupy-console: ${bad#*:}" "$work/console.err"; then
    echo "${bad%%:*} (status $status) was not told \"${bad#*:}\":"
    cat "$work/console.err"
    exit 1
  fi
done

for sig in TERM INT HUP; do
  TMPDIR=$work/tmp "$console" --headless --members 3 --crash-rate 0 --sleep 200 \
    > "$work/console.out" 2> "$work/console.err" &
  cpid=$!
  WAIT_SECONDS=30 wait_for "three members in view" three_in_view
  # A shell's background job ignores SIGINT: kill sends it all the same
  # once the console handles it, but before it was ignored, not fatal.
  kill "-$sig" "$cpid"
  WAIT_SECONDS=60 wait_for "the console to end after SIG$sig" console_gone
  status=0
  wait "$cpid" || status=$?
  cpid=""
  if [ "$status" != 0 ]; then
    echo "the console ended with status $status on SIG$sig"
    cat "$work/console.err"
    exit 1
  fi
  if ls -d "$work"/tmp/groupy-demo-* > /dev/null 2>&1; then
    echo "SIG$sig left the console's log folder behind:"
    ls -R "$work/tmp"
    exit 1
  fi
  if pgrep -f -- "$work/tmp/" > /dev/null; then
    echo "members still running after the console ended on SIG$sig"
    exit 1
  fi
  # The verdict, where it can be read once the window is gone: the
  # terminal.  The logs were checked, and the verdict shown nowhere.
  if ! grep -q "^groupy-console: ✔ 3 logs agree on [0-9,]* positions$" "$work/console.err"; then
    echo "SIG$sig: no verdict in the terminal:"
    cat "$work/console.err"
    exit 1
  fi
  echo "ok: SIG$sig: the members left, the logs were checked (the verdict in the terminal)" \
    "and removed"
done

# A second SIGINT (Ctrl-C twice) while the members leave stops at once: those
# still running are killed, the console says so and ends, its temporary
# folder removed.  The second was ignored, and the console waited out the
# stop's grace (30 s) for members that do not leave.  Its members here are
# stand-ins that ignore SIGTERM, beside a copy of the console (it takes the
# workers it finds beside itself).
mkdir -p "$work/bin" "$work/tmp2"
cp "$console" "$work/bin/groupy-console"
stand_in_node "$work/bin/groupy-node" "trap '' TERM" "" \
  'cat > "$(dirname "$0")/$name.in"
while :; do sleep 1; done'
printf '#!/bin/sh\necho "groupy-check: OK: $# logs, 0 positions"\n' > "$work/bin/groupy-check"
chmod +x "$work/bin/groupy-check"
stand_ins() { pgrep -f -- "$work/bin/.*groupy-node --name" | wc -l; }
three_stand_ins() { [ "$(stand_ins)" = 3 ]; }
TMPDIR=$work/tmp2 "$work/bin/groupy-console" --headless --members 3 --crash-rate 0 --sleep 200 \
  > "$work/console.out" 2> "$work/console.err" &
cpid=$!
WAIT_SECONDS=30 wait_for "three stand-ins" three_stand_ins
kill -INT "$cpid"
# The stop has begun once the stand-ins are told to crash no more (its
# first step): they stay, asked to leave.
stop_begun() { grep -qs "crash-rate 0" "$work/bin/w1.in"; }
WAIT_SECONDS=10 wait_for "the stop to begin" stop_begun
kill -INT "$cpid"
WAIT_SECONDS=10 wait_for "the console to end on a second SIGINT" console_gone
status=0
wait "$cpid" || status=$?
cpid=""
if ! grep -q "stopping at once .*w1, w2, w3 killed" "$work/console.err" ||
   [ "$(stand_ins)" != 0 ] || ls -d "$work"/tmp2/groupy-demo-* > /dev/null 2>&1; then
  echo "a second SIGINT while stopping (status $status):"
  cat "$work/console.err"
  ls -R "$work/tmp2"
  exit 1
fi
echo "ok: a second SIGINT stops at once: the members were killed, the folder removed"
