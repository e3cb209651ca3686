#!/bin/bash
# The shell tests' own helpers (tests/wait-for.sh, tests/view-log.sh):
# 1. on logs of the size a member writes in a minute, seen_after finds a
#    line after another however long the log, under pipefail as the tests
#    run, and finds none where there is none;
# 2. ended_together lets members be stopped for groupy-check --same-end only
#    once every one is quiet and has its own last multicast delivered, not
#    as soon as one is quiet and their last positions agree (what a loaded
#    machine shows for a moment while a multicast is in flight).
set -euo pipefail
here=$(dirname "$0")
. "$here/wait-for.sh"
. "$here/view-log.sh"
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

# A member's lines: "send" of its multicast ID, and the delivery of FROM's
# multicast ID at SEQ.
sent() { echo '{"ev":"send","id":'"$1"',"change":3,"t":1}'; }
got() { # seq from id
  echo '{"ev":"deliver","seq":'"$1"',"from":"'"$2"'","id":'"$3"',"change":3,"color":[1,2,3],"t":1}'
}
quiet='{"ev":"quiet","t":2}'
mkdir "$work/e"
together() { # case: the case's logs are in $work/e
  if ! ended_together "$work/e" b c; then echo "ended_together refused $1"; exit 1; fi
}
apart() { # case
  if ended_together "$work/e" b c; then echo "ended_together accepted $1"; exit 1; fi
}
# Both quiet, each one's multicasts delivered, at one position.
{ sent 1; got 1 b 1; got 2 c 1; echo "$quiet"; } > "$work/e/b.log"
{ got 1 b 1; sent 1; got 2 c 1; echo "$quiet"; } > "$work/e/c.log"
together "two members quiet at one position, their multicasts delivered"
# c not yet quiet (its SIGUSR1 not handled yet): b's "quiet" is no answer.
{ got 1 b 1; sent 1; got 2 c 1; } > "$work/e/c.log"
apart "c, not quiet yet"
# c quiet with its multicast 2 sent but not yet delivered: one position now,
# not at the end.
{ got 1 b 1; sent 1; got 2 c 1; sent 2; echo "$quiet"; } > "$work/e/c.log"
apart "c, its last multicast still on its way"
# Left out with it undelivered: nothing of that incarnation is on its way.
{ got 1 b 1; sent 1; got 2 c 1; sent 2; echo '{"ev":"excluded","t":3}'
  echo "$quiet"; } > "$work/e/c.log"
together "c, left out with its last multicast undelivered"
# Quiet, every multicast delivered, at two positions.
{ got 1 b 1; sent 1; got 2 c 1; got 3 b 2; echo "$quiet"; } > "$work/e/c.log"
apart "two positions"
echo "ok: ended_together"
