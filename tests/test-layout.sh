#!/bin/bash
# The console and its five member windows on a laptop's screen (1280x800,
# 1366x768) and larger ones (1600x1000, 1920x1080; tests/meson.build runs
# them), under a private Xvfb: the console fits the screen, no member window
# covers it, every member window lies on the screen, and where they overlap
# one another each shows its top-left corner (its Crash button, name and
# role: 190x190 px) over every window above it in the stacking order.  The
# windows covered the console on screens narrower than about 1500 px.
# With FAKE-CM (tests/fake-cm.c) GTK believes a compositing window manager
# runs, as under GNOME, and draws each window's shadow inside its X window
# (_GTK_FRAME_EXTENTS): what is checked is what is seen, the X window less
# its shadow.  A bare Xvfb has no shadows, so the test passed while under
# GNOME the windows stood a shadow's width (61 x 55 px) right of and below
# their places, past the screen's edges.  Screenshots are kept in
# $GROUPY_LAYOUT_SHOTS when it is set.  Skipped (77) when Xvfb, xdotool,
# xwininfo, xprop or ImageMagick is missing.
#
# With MEMBERS (an environment variable; 5 by default) past the six places
# the console's windows take, the windows of the later rounds lie over
# those of the first: then what must show of each, under every window
# above it, is its header (its Crash button, name and role: 190x44 px).
# Each of a later round took its place exactly, and hid the one there.
#   test-layout.sh GROUPY-CONSOLE WIDTHxHEIGHT [FAKE-CM]
set -euo pipefail
console=$1
size=$2
fake_cm=${3:-}
members=${MEMBERS:-5}
corner_h=190
[ "$members" -le 6 ] || corner_h=44

for tool in Xvfb xdotool xwininfo xprop import; do
  command -v "$tool" >/dev/null || { echo "skipped: $tool is not installed"; exit 77; }
done

work=$(mktemp -d)
cpid=""
xvfb=""
cmpid=""
stop() {
  if [ -n "$cpid" ]; then
    kill "$cpid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$cpid" 2>/dev/null || true
    wait "$cpid" 2>/dev/null || true
  fi
  pkill -9 -f -- "$work/logs/" 2>/dev/null || true
  if [ -n "$cmpid" ]; then kill "$cmpid" 2>/dev/null || true; wait "$cmpid" 2>/dev/null || true; fi
  cmpid=""
  if [ -n "$xvfb" ]; then kill "$xvfb" 2>/dev/null || true; wait "$xvfb" 2>/dev/null || true; fi
  cpid=""
  xvfb=""
}
cleanup() {
  local status=$?
  if [ "$status" != 0 ] && [ -s "$work/why" ]; then
    cat "$work/why"; cat "$work/windows" 2>/dev/null || true
  fi
  if [ "$status" != 0 ] && [ -s "$work/console-err.log" ]; then
    echo "the console's stderr:"; tail -n 20 "$work/console-err.log"
    # Once, under the whole gui suite, the console could not open a display
    # that had just answered: say what the server was doing then.
    echo "DISPLAY=${DISPLAY:-} Xvfb pid ${xvfb:-none}: $(kill -0 "${xvfb:-0}" 2>/dev/null &&
      echo alive || echo gone); answers: $(xdotool getdisplaygeometry 2>&1 || true)"
    ls -la /tmp/.X11-unix/ 2>&1 | tail -n 5
  fi
  stop
  rm -rf "$work"
}
trap cleanup EXIT

. "$(dirname "$0")/xvfb.sh"
. "$(dirname "$0")/wait-for.sh"

# "ID X Y W H NAME" of every top-level window shown, bottom of the stack
# first: what is seen of it, without the shadow GTK draws inside it.
windows() {
  xwininfo -root -children | sed -n 's/^ *\(0x[0-9a-f]*\) "\(.*\)": .*/\1 \2/p' |
    while read -r id name; do
      local geo shadow
      geo=$(xwininfo -id "$id" 2>/dev/null) || continue
      grep -q "Map State: IsViewable" <<< "$geo" || continue
      # "_GTK_FRAME_EXTENTS(CARDINAL) = LEFT, RIGHT, TOP, BOTTOM", or none.
      shadow=$(xprop -id "$id" _GTK_FRAME_EXTENTS 2>/dev/null | sed -n 's/.*= //p' | tr -d ,)
      echo "$id $(awk -v e="${shadow:-0 0 0 0}" '
                        /Absolute upper-left X/ { x = $NF } /Absolute upper-left Y/ { y = $NF }
                        /^ *Width/ { w = $NF } /^ *Height/ { h = $NF }
                        END { split(e, s, " ")
                              print x + s[1], y + s[3], w - s[1] - s[2], h - s[3] - s[4] }' \
                  <<< "$geo") $name"
    done | tac
}
all_members() { [ "$(windows | grep -c ' — ')" -ge "$members" ]; }

sw=${size%x*}
sh=${size#*x}
start_xvfb "$size"
if [ -n "$fake_cm" ]; then
  "$fake_cm" > "$work/cm.out" &
  cmpid=$!
  cm_ready() { grep -q ready "$work/cm.out"; }
  WAIT_SECONDS=10 wait_for "the fake compositing manager" cm_ready
fi
"$console" --members "$members" --crash-rate 0 --sleep 500 --log-dir "$work/logs" \
  > "$work/console-out.log" 2> "$work/console-err.log" &
cpid=$!
WAIT_SECONDS=90 wait_for "the console and $members member windows at $size" all_members

# The layout, read from the X server: 0 when it is right, else 1 with the
# reason in $work/why.  The windows map in any order and restack for 4 s
# after (src/app/grp-place.c), so it is awaited rather than read once.
layout_ok() {
  windows | tac > "$work/windows"
  read -r cid cx cy cw ch _ < <(grep " Groupy Console$" "$work/windows")
  # With fake-cm, the case it is for: GTK drew a shadow inside the window.
  if [ -n "$fake_cm" ] && ! xprop -id "$cid" _GTK_FRAME_EXTENTS | grep -q "= [1-9]"; then
    echo "$size: GTK drew no shadow inside the console under fake-cm" > "$work/why"
    return 1
  fi
  # The console: on the screen, and readable (its story has room).
  if (( cx < 0 || cy < 0 || cx + cw > sw || cy + ch > sh || cw < 700 || ch < 560 )); then
    echo "$size: the console at ${cw}x${ch}+${cx}+${cy} does not fit the screen" > "$work/why"
    return 1
  fi
  # Top to bottom of the stack: each member window is on the screen, off
  # the console, and its corner is not under a window stacked above it.
  above=()
  while read -r _ x y w h name; do
    case $name in *" — "*) ;; *) continue ;; esac
    if (( x < 0 || y < 0 || x + w > sw || y + h > sh )); then
      echo "$size: $name at ${w}x${h}+${x}+${y} is not on the screen" > "$work/why"
      return 1
    fi
    if (( x < cx + cw && x + w > cx && y < cy + ch && y + h > cy )); then
      echo "$size: $name at ${w}x${h}+${x}+${y} covers the console" > "$work/why"
      return 1
    fi
    for a in "${above[@]}"; do
      read -r ax ay aw ah aname <<< "$a"
      if (( ax < x + 190 && ax + aw > x && ay < y + corner_h && ay + ah > y )); then
        echo "$size: $aname covers the corner of $name" > "$work/why"
        return 1
      fi
    done
    above+=("$x $y $w $h $name")
  done < "$work/windows"
}
WAIT_SECONDS=15 wait_for "a layout that fits at $size" layout_ok
if [ -n "${GROUPY_LAYOUT_SHOTS:-}" ]; then
  mkdir -p "$GROUPY_LAYOUT_SHOTS"
  import -window root "$GROUPY_LAYOUT_SHOTS/console-$size${fake_cm:+-shadows}.png"
fi
cat "$work/windows"
if grep -E "CRITICAL|WARNING|ERROR" "$work/console-err.log"; then
  echo "$size: the console warned"; exit 1
fi
echo "ok at $size${fake_cm:+ with shadows}: the console ${cw}x${ch}," \
  "${#above[@]} member windows beside it"
