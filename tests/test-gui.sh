#!/bin/bash
# Real windows under a private Xvfb: four `groupy` windows side by side.
#  1. After the deliveries in flight settle, every window shows the same
#     color, equal to the color its --log says (sampled from screenshots).
#  2. Kill the leader window's process and close another window (Ctrl+W);
#     after further changes the survivors again all show one color, and the
#     new leader's window says "leader".
#  3. No window wrote anything to stderr (no warnings), although there is no
#     session bus.
# Skipped (77) only when Xvfb, xdotool or ImageMagick's import is missing.
# With GROUPY_SCREENSHOT=FILE it also saves the four windows as a PNG.
set -euo pipefail
app=$1
check=$2

for tool in Xvfb xdotool import; do
  command -v "$tool" >/dev/null || { echo "skipped: $tool is not installed"; exit 77; }
done

work=$(mktemp -d)
pids=()
xvfb=""
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  # Wait for the X server to go: it removes its socket on the way out, and
  # must not remove the socket of the next server to take the same number.
  if [ -n "$xvfb" ]; then kill "$xvfb" 2>/dev/null || true; wait "$xvfb" 2>/dev/null || true; fi
  if [ "${keep:-0}" = 1 ]; then echo "logs and screenshots kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
keep=1

# Our own X server, on a display number it picks.
exec 3> "$work/display"
# Only the socket file in /tmp/.X11-unix: no TCP, and no abstract socket that
# another X server (in another chroot or container) could already hold.
Xvfb -displayfd 3 -screen 0 1400x400x24 -nolisten tcp -nolisten local > "$work/xvfb.log" 2>&1 &
xvfb=$!
for _ in $(seq 1 100); do [ -s "$work/display" ] && break; sleep 0.05; done
export DISPLAY=":$(head -n 1 "$work/display")"
unset DBUS_SESSION_BUS_ADDRESS WAYLAND_DISPLAY
echo "Xvfb on $DISPLAY"

. "$(dirname "$0")/wait-for.sh"

# A generous suspicion timeout: kill -9 is seen at once (the connection
# closes), and a window starved of CPU by the rest of the suite must not be
# taken for dead (nor a dying one be suspected before its sockets close).
opts=(--sleep 40 --crash-rate 0 --heartbeat 50 --suspect-timeout 2000)
names=(w0 w1 w2 w3)
declare -A pid wid

start() { # name [join]
  local name=$1 join=${2:-}
  "$app" --name "$name" --log "$work/$name.log" ${join:+--join "$join"} "${opts[@]}" \
      > "$work/$name.out" 2> "$work/$name.err" &
  pid[$name]=$!
  pids+=($!)
  wait_for "$name to listen" grep -q "listening on" "$work/$name.out"
}

start w0
addr=$(sed -n 's/.*listening on //p' "$work/w0.out")
for n in w1 w2 w3; do start "$n" "$addr"; done

# Place the windows side by side, as a person would.
x=0
for n in "${names[@]}"; do
  wid[$n]=$(timeout 20 xdotool search --sync --name "^$n —" | head -n 1)
  xdotool windowmove "${wid[$n]}" "$x" 0
  x=$((x + 330))
done

last_view_members() { grep '"ev":"view"' "$1" | tail -n 1 | grep -o '"members":\[[^]]*\]' | tr -cd ',' | wc -c; }
all_in_view() { # count names...
  local count=$1; shift
  for n in "$@"; do
    [ "$(last_view_members "$work/$n.log")" -eq $((count - 1)) ] || return 1
  done
}
last_color() { # log -> RRGGBB of the last delivery
  grep '"ev":"deliver"' "$1" | tail -n 1 | sed 's/.*"color":\[\([0-9]*\),\([0-9]*\),\([0-9]*\)\].*/\1 \2 \3/' |
    { read -r r g b; printf '%02X%02X%02X' "$r" "$g" "$b"; }
}
pixel() { # window -> RRGGBB at a spot of the color area (right edge, middle)
  local geo w h
  geo=$(xdotool getwindowgeometry "$1" | sed -n 's/.*Geometry: //p')
  w=${geo%x*}; h=${geo#*x}
  import -window "$1" -crop "1x1+$((w - 12))+$((h / 2))" txt:- 2>/dev/null |
    sed -n 's/.*srgb(\([0-9]*\),\([0-9]*\),\([0-9]*\)).*/\1 \2 \3/p' |
    { read -r r g b; printf '%02X%02X%02X' "$r" "$g" "$b"; }
}
quiet_count() { grep -c '"ev":"quiet"' "$1" || true; }
all_quiet() { # expected-quiet-count names...
  local want=$1; shift
  local seq=""
  for n in "$@"; do
    [ "$(quiet_count "$work/$n.log")" -ge "$want" ] || return 1
    local s
    s=$(grep '"ev":"deliver"' "$work/$n.log" | tail -n 1 | grep -o '"seq":[0-9]*')
    [ -z "$seq" ] || [ "$s" = "$seq" ] || return 1
    seq=$s
  done
}
windows_show_log_color() { # names...
  local first=""
  for n in "$@"; do
    local want got
    want=$(last_color "$work/$n.log")
    got=$(pixel "${wid[$n]}")
    [ "$got" = "$want" ] || return 1
    [ -z "$first" ] || [ "$got" = "$first" ] || return 1
    first=$got
  done
}
shoot() { import -window root "$work/$1.png"; }

wait_for "one view of four" all_in_view 4 "${names[@]}"
more=$(( $(grep -c '"ev":"deliver"' "$work/w3.log") + 30 ))
sleep_free_wait() { [ "$(grep -c '"ev":"deliver"' "$work/w3.log")" -ge "$more" ]; }
wait_for "30 more deliveries" sleep_free_wait

# 1. Let the deliveries in flight settle, then look at the windows.
for n in "${names[@]}"; do kill -USR1 "${pid[$n]}"; done
wait_for "the group to go quiet" all_quiet 1 "${names[@]}"
wait_for "every window to show its log's color" windows_show_log_color "${names[@]}"
shoot phase1
if [ -n "${GROUPY_SCREENSHOT:-}" ]; then
  # tools/screenshot: the four windows, for the README.
  import -window root -crop 1320x270+0+0 "$GROUPY_SCREENSHOT"
fi
echo "phase 1: all four windows show #$(pixel "${wid[w0]}"), the color their logs end with"

# 2. kill -9 the leader window's process, close another window.
leader=$(grep '"ev":"view"' "$work/w1.log" | tail -n 1 | sed 's/.*"leader":"\([^"]*\)".*/\1/')
case "$leader" in w0|w1|w2|w3) ;; *) echo "no leader found"; exit 1 ;; esac
closed=""
for n in "${names[@]}"; do [ "$n" != "$leader" ] && [ -z "$closed" ] && closed=$n; done
survivors=()
for n in "${names[@]}"; do [ "$n" != "$leader" ] && [ "$n" != "$closed" ] && survivors+=("$n"); done
for n in "${survivors[@]}"; do kill -USR2 "${pid[$n]}"; done
kill -9 "${pid[$leader]}"
xdotool windowfocus --sync "${wid[$closed]}"
# Typed (XTEST) into the focused window, as a person would; the window is
# gone before the key is released, which is the point.
xdotool key --clearmodifiers ctrl+w
closed_exit() { ! kill -0 "${pid[$closed]}" 2>/dev/null; }
wait_for "$closed's window to close" closed_exit
echo "phase 2: killed $leader (the leader), closed $closed's window"
wait_for "the survivors' view" all_in_view 2 "${survivors[@]}"
more=$(( $(grep -c '"ev":"deliver"' "$work/${survivors[0]}.log") + 20 ))
further() { [ "$(grep -c '"ev":"deliver"' "$work/${survivors[0]}.log")" -ge "$more" ]; }
wait_for "further changes" further
for n in "${survivors[@]}"; do kill -USR1 "${pid[$n]}"; done
wait_for "the survivors to go quiet" all_quiet 2 "${survivors[@]}"
wait_for "the survivors' windows to agree with their logs" windows_show_log_color "${survivors[@]}"
new_leader=$(grep '"ev":"view"' "$work/${survivors[0]}.log" | tail -n 1 | sed 's/.*"leader":"\([^"]*\)".*/\1/')
title_says_leader() { xdotool getwindowname "${wid[$new_leader]}" | grep -q "^$new_leader — leader$"; }
wait_for "$new_leader's window to say leader" title_says_leader
shoot phase2
echo "phase 2: ${survivors[*]} show #$(pixel "${wid[${survivors[0]}]}"); $new_leader's window says: $(xdotool getwindowname "${wid[$new_leader]}")"

# 3. Stop the survivors cleanly; nobody warned about anything.
for n in "${survivors[@]}"; do kill -TERM "${pid[$n]}"; done
for n in "${survivors[@]}"; do wait "${pid[$n]}"; done
for n in "${names[@]}"; do
  if [ -s "$work/$n.err" ]; then echo "$n wrote to stderr:"; cat "$work/$n.err"; exit 1; fi
done
"$check" "$work"/w*.log
keep=0
echo "ok: windows agree with each other and with their logs, before and after the leader died"
