#!/bin/bash
# The shell tests' own helpers (tests/wait-for.sh), on logs of the size a
# member writes in a minute: seen_after finds a line after another however
# long the log, under pipefail as the tests run, and finds none where there
# is none.
set -euo pipefail
here=$(dirname "$0")
. "$here/wait-for.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

deliveries() { # n: that many delivery lines, as a member logs them
  local i
  for i in $(seq 1 "$1"); do
    echo '{"ev":"deliver","seq":'"$i"',"from":"d","id":913,"color":[80,9,98],"t":1796519101109}'
  done
}
{ deliveries 10; echo '{"ev":"excluded","t":1}'; echo '{"ev":"state","seq":9,"t":2}'
  deliveries 3000; } > "$work/rejoined.log"
{ echo '{"ev":"state","seq":9,"t":2}'; deliveries 3000; echo '{"ev":"excluded","t":1}'
  deliveries 10; } > "$work/out.log"

# 300 KB after the first line: the pipe it replaced failed every time here.
for i in $(seq 1 20); do
  seen_after "$work/rejoined.log" '"ev":"excluded"' '"ev":"state"' ||
    { echo "seen_after missed the state after excluded (try $i)"; exit 1; }
done
if seen_after "$work/out.log" '"ev":"excluded"' '"ev":"state"'; then
  echo "seen_after found a state that comes only before excluded"; exit 1
fi
if seen_after "$work/rejoined.log" '"ev":"blocked"' '"ev":"state"'; then
  echo "seen_after found a line after one that is not there"; exit 1
fi
echo "ok: seen_after"
