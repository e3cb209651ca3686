#!/bin/bash
# with-xvfb.sh COMMAND...: run COMMAND with DISPLAY on a private Xvfb
# (tests/xvfb.sh), then stop the server.  Exit 77 (skip) when Xvfb or
# xdotool is not installed.
set -euo pipefail
for tool in Xvfb xdotool; do
  command -v "$tool" >/dev/null || { echo "1..0 # SKIP $tool is not installed"; exit 77; }
done
work=$(mktemp -d)
xvfb=""
cleanup() {
  if [ -n "$xvfb" ]; then kill "$xvfb" 2>/dev/null || true; wait "$xvfb" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
. "$(dirname "$0")/xvfb.sh"
start_xvfb 1700x1100
"$@"
