#!/bin/bash
# A window started by hand whose --join fails says why in a dialog, and
# exits (2) once it is closed; it vanished, the reason on standard error
# only.  One that a console or demo drives (--commands) exits at once, as
# before: its console tells why.  Skipped (77) when Xvfb or xdotool is
# missing.
#   test-join-dialog.sh GROUPY
set -euo pipefail
app=$1

for tool in Xvfb xdotool; do
  command -v "$tool" >/dev/null || { echo "skipped: $tool is not installed"; exit 77; }
done

work=$(mktemp -d)
wpid=""
xvfb=""
cleanup() {
  if [ -n "$wpid" ]; then kill -9 "$wpid" 2>/dev/null || true; wait "$wpid" 2>/dev/null || true; fi
  if [ -n "$xvfb" ]; then kill "$xvfb" 2>/dev/null || true; wait "$xvfb" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

. "$(dirname "$0")/xvfb.sh"
start_xvfb 1200x800
. "$(dirname "$0")/wait-for.sh"
gone() { ! kill -0 "$wpid" 2>/dev/null; }

# Port 1 of loopback: nothing listens there, the join is refused at once.
"$app" --name by-hand --join 127.0.0.1:1 --crash-rate 0 > "$work/out" 2> "$work/err" &
wpid=$!
dialog=$(timeout 30 xdotool search --sync --onlyvisible --pid "$wpid" --name "^Could Not Join$" |
         head -n 1) || { echo "no dialog said why the join failed"; cat "$work/err"; exit 1; }
echo "the dialog is window $dialog"
kill -0 "$wpid" || { echo "the window did not wait for its dialog to be read"; exit 1; }
grep -q "could not join the group" "$work/err"
xdotool windowfocus --sync "$dialog" key Escape
wait_for "the window to end once its dialog is closed" gone
status=0
wait "$wpid" || status=$?
wpid=""
[ "$status" = 2 ] || { echo "exit status $status, not 2"; exit 1; }

# Driven by a console: no dialog, it ends at once.
"$app" --name driven --commands --join 127.0.0.1:1 --crash-rate 0 < /dev/null \
  > "$work/out2" 2> "$work/err2" &
wpid=$!
wait_for "the driven window to end" gone
status=0
wait "$wpid" || status=$?
wpid=""
[ "$status" = 2 ] || { echo "driven: exit status $status, not 2"; exit 1; }
grep -q "could not join the group" "$work/err2"
echo "ok: a dialog by hand, none when driven"
