#!/bin/bash
# The group console under a private Xvfb, used as a person would: read by
# OCR from screenshots, driven by clicks.
#  1. The console lists every member, each with the role its log says
#     (the leader "leader", the others "member").
#  2. Crash on a member's tile kills that member; its log ends with a crash
#     caused by the user, and a replacement joins.
#  3. Freeze on another member's tile stops it (SIGSTOP) past the suspicion
#     timeout: the group goes on without it (a false suspicion), and once
#     thawed it finds out, rejoins with the state, and the group has four
#     members again.
#  4. Stop and Check (Ctrl+S): the checker's verdict appears in the console,
#     for as many logs as the test's own groupy-check reads, after a run
#     with crashes; every member that left at the stop shows one color;
#     nothing was written to stderr.
# Skipped (77) when Xvfb, xdotool, ImageMagick or tesseract is missing.
set -euo pipefail
console=$1
check=$2

for tool in Xvfb xdotool import convert tesseract python3; do
  command -v "$tool" >/dev/null || { echo "skipped: $tool is not installed"; exit 77; }
done

work=$(mktemp -d)
cpid=""
xvfb=""
cleanup() {
  if [ -n "$cpid" ]; then kill "$cpid" 2>/dev/null || true; wait "$cpid" 2>/dev/null || true; fi
  if [ -n "$xvfb" ]; then kill "$xvfb" 2>/dev/null || true; wait "$xvfb" 2>/dev/null || true; fi
  if [ "${keep:-0}" = 1 ]; then echo "logs and screenshots kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
keep=1

. "$(dirname "$0")/xvfb.sh"
start_xvfb 1400x900
echo "Xvfb on $DISPLAY"

. "$(dirname "$0")/wait-for.sh"

logs=$work/logs
# Members without windows (tiles only); a short suspicion timeout, so that a
# 5 s freeze is a false suspicion.
"$console" --headless --members 4 --crash-rate 0 --sleep 100 --suspect-timeout 1000 \
  --log-dir "$logs" > "$work/console.out" 2> "$work/console.err" &
cpid=$!
wid=$(timeout 30 xdotool search --sync --onlyvisible --pid "$cpid" --name "^Groupy Console$" |
      head -n 1)
xdotool windowmove "$wid" 0 0
xdotool windowsize "$wid" 1300 860

last_view() { grep '"ev":"view"' "$1" | tail -n 1; }
leader_of() { last_view "$1" | sed 's/.*"leader":"\([^"]*\)".*/\1/'; }
n_members() { last_view "$1" | grep -o '"members":\[[^]]*\]' | grep -o '"w[0-9]*"' | wc -l; }
alive_logs() { # logs of members that neither crashed nor left
  for f in "$logs"/w*.log; do
    grep -q '"ev":"crash"\|"ev":"exit"' "$f" || echo "$f"
  done
}
group_of_four() {
  local n=0
  for f in $(alive_logs); do
    [ "$(n_members "$f")" -eq 4 ] || return 1
    n=$((n + 1))
  done
  [ "$n" -eq 4 ]
}

# OCR of the console: one word a line, "TEXT X Y W H" in window pixels.
ocr() {
  import -window "$wid" "$work/console.png"
  convert "$work/console.png" -resize 300% -colorspace Gray "$work/console-big.png"
  tesseract "$work/console-big.png" "$work/console" --psm 11 tsv 2>/dev/null
  # OCR takes w1 for wl, w0 for wO: member names are read back as names.
  awk -F'\t' 'NR > 1 && $12 != "" {
      t = $12
      if (t ~ /^w[0-9lIO|o]+$/) { gsub(/[lI|]/, "1", t); gsub(/[Oo]/, "0", t) }
      printf "%s %d %d %d %d\n", t, $7 / 3, $8 / 3, $9 / 3, $10 / 3 }' \
    "$work/console.tsv" > "$work/words"
}
# The tile of NAME: its name's position among the tiles (left of the
# timeline), "X Y"; empty when not seen.
tile_of() {
  awk -v name="$1" '$1 == name && $2 < 640 && $3 > 60 { print $2, $3; exit }' "$work/words"
}
# The word WORD nearest below the tile of NAME, within the tile: "X Y".
below() {
  local at
  at=$(tile_of "$1")
  [ -n "$at" ] || return 1
  awk -v word="$2" -v x="${at% *}" -v y="${at#* }" '
    $1 ~ word && $3 > y && $3 < y + 200 && $2 > x - 100 && $2 < x + 260 {
      d = ($3 - y) + ($2 > x ? $2 - x : x - $2)
      if (best == "" || d < best) { best = d; out = ($2 + $4 / 2) " " ($3 + $5 / 2) }
    }
    END { if (out == "") exit 1; print out }' "$work/words"
}
# Pixels of the leader badge's gold (#f6d32d) just below NAME in its tile.
gold_near() {
  local at
  at=$(tile_of "$1")
  [ -n "$at" ] || { echo 0; return; }
  convert "$work/console.png" -crop "220x50+$(( ${at% *} - 10 ))+${at#* }" \
    -fill black +opaque "#f6d32d" -fill white -opaque "#f6d32d" \
    -format "%[fx:round(mean*w*h)]" info:
}
click() { # "X Y"
  xdotool mousemove --window "$wid" ${1% *} ${1#* } click 1
}

wait_for "four members in one view" group_of_four

# 1. Every member listed, with the role its log gives it.
roles_right() {
  ocr
  for f in $(alive_logs); do
    local name role
    name=$(basename "$f" .log)
    role=member
    [ "$(leader_of "$f")" = "$name" ] && role=leader
    if [ "$role" = member ]; then
      below "$name" "^member\$" > /dev/null || return 1
      [ "$(gold_near "$name")" -lt 20 ] || return 1
    else
      # The leader's badge: gold, as in the member windows.
      [ "$(gold_near "$name")" -gt 100 ] || return 1
    fi
  done
}
WAIT_SECONDS=60 wait_for "the console to list every member with its role" roles_right
leader=$(leader_of "$(alive_logs | head -n 1)")
echo "1: the console lists $(alive_logs | xargs -n 1 basename | tr '\n' ' ')with $leader as leader"

# 2. Crash on a member's tile.
victim=""
for f in $(alive_logs); do n=$(basename "$f" .log); [ "$n" != "$leader" ] && victim=$n; done
ocr
button=$(below "$victim" "^Crash\$")
click "$button"
crashed_by_user() { grep -q '"ev":"crash","cause":"user"' "$logs/$victim.log"; }
wait_for "$victim's log to say it crashed, asked by the user" crashed_by_user
WAIT_SECONDS=60 wait_for "a replacement in a group of four" group_of_four
echo "2: Crash on $victim's tile:" \
     "$(grep '"ev":"crash"' "$logs/$victim.log" | cut -c1-40)…; replaced"

# 3. Freeze another member past the suspicion timeout.
frozen=""
for f in $(alive_logs); do n=$(basename "$f" .log); [ "$n" != "$leader" ] && frozen=$n; done
WAIT_SECONDS=60 wait_for "$frozen's tile" eval 'ocr; below "$frozen" "^Freeze\$" > /dev/null'
click "$(below "$frozen" "^Freeze\$")"
left_out_alive() { grep -q '"ev":"excluded"' "$logs/$frozen.log"; }
WAIT_SECONDS=60 wait_for "$frozen to find it was left out while alive" left_out_alive
rejoined() { seen_after "$logs/$frozen.log" '"ev":"excluded"' '"ev":"state"'; }
WAIT_SECONDS=60 wait_for "$frozen to rejoin with the state" rejoined
WAIT_SECONDS=60 wait_for "the group of four again" group_of_four
echo "3: Freeze on $frozen's tile: suspected while alive, left out, rejoined;" \
     "the group has four members"

# 4. Stop and Check: the verdict in the console.
xdotool key --window "$wid" ctrl+s
verdict_shown() {
  ocr
  grep -q "^agree " "$work/words"
}
WAIT_SECONDS=90 wait_for "the checker's verdict in the console" verdict_shown
# The group is stopped and checked: nothing is left to lose.
kill -TERM "$cpid"
console_gone() { ! kill -0 "$cpid" 2>/dev/null; }
wait_for "the console to close" console_gone
wait "$cpid" 2>/dev/null || true
cpid=""
ours=$("$check" "$logs"/w*.log)
echo "4: groupy-check here: $ours"
shown=$(awk '{ print $1 }' "$work/words" | tr '\n' ' ' |
        grep -o '[0-9,]* logs agree on [0-9,]* positions' || true)
echo "4: the console shows: ${shown:-$(awk '{ print $1 }' "$work/words" | tr '\n' ' ')}"
n_logs=$(echo "$ours" | sed -n 's/.*OK: \([0-9]*\) logs.*/\1/p')
[ -n "$n_logs" ] || { echo "groupy-check did not agree"; exit 1; }
[[ "$shown" == "$n_logs logs agree on "* ]] ||
  { echo "the console's verdict is not for $n_logs logs"; exit 1; }
# Every member that left at the stop shows the group's last color: the stop
# lets the group go quiet before the first leave.  (Before, each left in
# turn while the others went on changing it, and the tiles ended differing.)
# The last line with a color (a delivery, a view, a state), as the tile's:
# the member frozen in 3 rejoined with a state just before, and its last
# delivery may be one from before it was left out.
ended_colors=$(for f in "$logs"/w*.log; do
                 tail -n 1 "$f" | grep -q '"ev":"exit"' || continue
                 grep '"color":' "$f" | tail -n 1 | grep -o '"color":\[[0-9,]*\]'
               done | sort | uniq -c)
echo "4: the last colors of the members that left at the stop: $ended_colors"
# (None found, the list is empty, and one line too.)
[ -n "$ended_colors" ] && [ "$(wc -l <<<"$ended_colors")" -eq 1 ] ||
  { echo "the members left at the stop showing different colors"; exit 1; }
if grep -E "CRITICAL|WARNING|ERROR" "$work/console.err"; then echo "the console warned"; exit 1; fi
keep=0
echo "ok: roles, Crash, Freeze and the verdict, as a user sees them"
