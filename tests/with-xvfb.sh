#!/bin/bash
# with-xvfb.sh COMMAND...: run COMMAND with DISPLAY on a private Xvfb (the
# X server picks its display number), then stop the server.  Exit 77 (skip)
# when Xvfb is not installed.
set -euo pipefail
command -v Xvfb >/dev/null || { echo "1..0 # SKIP Xvfb is not installed"; exit 77; }
work=$(mktemp -d)
xvfb=""
cleanup() {
  if [ -n "$xvfb" ]; then kill "$xvfb" 2>/dev/null || true; wait "$xvfb" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
exec 3> "$work/display"
Xvfb -displayfd 3 -screen 0 1700x1100x24 -nolisten tcp -nolisten local > "$work/xvfb.log" 2>&1 &
xvfb=$!
for _ in $(seq 1 200); do [ -s "$work/display" ] && break; sleep 0.05; done
[ -s "$work/display" ] || { echo "Xvfb did not start:"; cat "$work/xvfb.log"; exit 1; }
export DISPLAY=":$(head -n 1 "$work/display")"
unset DBUS_SESSION_BUS_ADDRESS WAYLAND_DISPLAY
# Software GL costs a loaded machine far more than cairo for the same pixels.
export GSK_RENDERER=${GSK_RENDERER:-cairo}
"$@"
