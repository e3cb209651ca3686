#!/bin/bash
# The exercise's gms2 in real windows under a private Xvfb: a headless
# leader and two `groupy --protocol gms2` windows.  The leader crashes
# part-way through a broadcast (the exercise's injected crash: it is told to
# by command once both windows joined, and its --seed fixes the cut: the
# first window gets the message, the second does not).  The first window
# takes over; nothing is sent again.  Then:
#  - the two windows show different colors on the screenshot, each the
#    color its own log ends with, and go on doing so as they apply the same
#    changes (they drifted apart for good);
#  - groupy-check names the first position where their logs differ;
#  - neither window wrote to stderr.
# Skipped (77) only when Xvfb, xdotool or ImageMagick's import is missing.
# With GROUPY_SCREENSHOT=FILE it also saves the two windows as a PNG
# (tools/screenshot: docs/tutorial-gms2.png).
#   test-stages-gui.sh GROUPY GROUPY-NODE GROUPY-CHECK
set -euo pipefail
app=$1
node=$2
check=$3

for tool in Xvfb xdotool import python3; do
  command -v "$tool" >/dev/null || { echo "skipped: $tool is not installed"; exit 77; }
done

work=$(mktemp -d)
pids=()
xvfb=""
cleanup() {
  exec 3>&- 2>/dev/null || true
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  if [ -n "$xvfb" ]; then kill "$xvfb" 2>/dev/null || true; wait "$xvfb" 2>/dev/null || true; fi
  if [ "${keep:-0}" = 1 ]; then echo "logs and screenshots kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
keep=1

. "$(dirname "$0")/xvfb.sh"
start_xvfb 1400x800
echo "Xvfb on $DISPLAY"
. "$(dirname "$0")/wait-for.sh"

# Failure detection as the GUI test's: a killed leader is seen at once, and
# a window starved of CPU must not be taken for dead.
timing=(--heartbeat 50 --suspect-timeout 2000)
declare -A pid wid

# The leader: no window, no changes of its own, crash injection off until
# told (its commands come from a pipe).
mkfifo "$work/commands"
"$node" --protocol gms2 --name L --log "$work/L.log" --sleep 3600000 --crash-rate 0 --commands \
  --seed 1 "${timing[@]}" < "$work/commands" > "$work/L.out" 2> "$work/L.err" &
pid[L]=$!
disown "${pid[L]}" # its death is the point: no job notice
pids+=($!)
exec 3> "$work/commands"
wait_for "the leader to listen" grep -q "listening on" "$work/L.out"
addr=$(sed -n 's/.*listening on //p' "$work/L.out")

view_size() {
  grep '"ev":"view"' "$1" | tail -n 1 | grep -o '"members":\[[^]]*\]' | tr -cd ',' | wc -c
}
in_view_of() { # size names...
  local size=$1; shift
  for n in "$@"; do
    [ -s "$work/$n.log" ] && [ "$(view_size "$work/$n.log")" -eq $((size - 1)) ] || return 1
  done
}

# The windows join one at a time: the list, and so the order of the
# leader's sends, is the order of the joins.
x=0
for n in a b; do
  "$app" --protocol gms2 --name "$n" --log "$work/$n.log" --join "$addr" --sleep 150 \
    --crash-rate 0 "${timing[@]}" > "$work/$n.out" 2> "$work/$n.err" &
  pid[$n]=$!
  pids+=($!)
  wait_for "$n to listen" grep -q "listening on" "$work/$n.out"
  wid[$n]=$(timeout 20 xdotool search --sync --onlyvisible --pid "${pid[$n]}" --name "^$n —" |
            head -n 1)
  xdotool windowmove "${wid[$n]}" "$x" 0
  x=$((x + 345))
  if [ "$n" = a ]; then
    wait_for "a to join" in_view_of 2 a
  else
    wait_for "b to join" in_view_of 3 a b
  fi
done
title_says_gms2() { xdotool getwindowname "${wid[a]}" | grep -q "^a — member (gms2)$"; }
wait_for "a's window to say it runs gms2" title_says_gms2

# The exercise's fault, now: the leader's next broadcast is cut part-way.
echo "crash-rate 1" >&3
crashed() { grep -q '"ev":"crash","cause":"injected"' "$work/L.log"; }
wait_for "the leader to crash part-way through a broadcast" crashed
wait_for "the windows to elect a" in_view_of 2 a b
deliveries() { grep -c '"ev":"deliver"' "$work/$1.log" || true; }
more=$(( $(deliveries b) + 20 ))
went_on() { [ "$(deliveries b)" -ge "$more" ]; }
wait_for "20 more deliveries" went_on

# Quiet, and settled: each window delivered every change either window
# sent since the election (what was sent to the dead leader is lost).
kill -USR1 "${pid[a]}" "${pid[b]}"
settled() {
  python3 - "$work/a.log" "$work/b.log" <<'PY'
import json, sys
logs = {}
for path in sys.argv[1:]:
    name = path.rsplit('/', 1)[-1][:-4]
    events = []
    for line in open(path):
        try:
            events.append(json.loads(line))
        except ValueError:
            pass  # a line being written
    views = [i for i, e in enumerate(events) if e["ev"] == "view"]
    logs[name] = (events, views[-1] if views else 0)
for name, (events, since) in logs.items():
    if not any(e["ev"] == "quiet" for e in events):
        sys.exit(1)
    sent = {e["id"] for e in events[since:] if e["ev"] == "send"}
    for other, (oevents, _) in logs.items():
        got = {e["id"] for e in oevents if e["ev"] == "deliver" and e["from"] == name}
        if not sent <= got:
            sys.exit(1)
PY
}
wait_for "the windows to deliver every change sent since the election" settled

. "$(dirname "$0")/window-colors.sh"
shows_own_color() { [ "$(pixel "${wid[$1]}")" = "$(last_color "$work/$1.log")" ]; }
wait_for "a's window to show its log's color" shows_own_color a
wait_for "b's window to show its log's color" shows_own_color b
ca=$(pixel "${wid[a]}")
cb=$(pixel "${wid[b]}")
if [ -n "${GROUPY_SCREENSHOT:-}" ]; then
  import -window root -crop 690x365+0+0 "$GROUPY_SCREENSHOT"
fi
echo "a's window shows #$ca, b's #$cb, each its own log's last color"
if [ "$ca" = "$cb" ]; then echo "the two windows agree: gms2 did not drift"; exit 1; fi

# The checker names where the histories part.
set +e
verdict=$("$check" "$work/L.log" "$work/a.log" "$work/b.log")
status=$?
set -e
echo "$verdict"
[ "$status" -eq 1 ] || { echo "groupy-check exited $status, not 1"; exit 1; }
case "$verdict" in
  *"VIOLATION: position "*) ;;
  *) echo "groupy-check did not name a position where the logs differ"; exit 1 ;;
esac

kill -TERM "${pid[a]}" "${pid[b]}"
wait "${pid[a]}" "${pid[b]}"
for n in a b; do
  if [ -s "$work/$n.err" ]; then echo "$n wrote to stderr:"; cat "$work/$n.err"; exit 1; fi
done
keep=0
echo "ok: two gms2 windows drifted apart after a crash part-way through a broadcast"
