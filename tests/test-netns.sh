#!/bin/bash
# The README's two-machine example ("Across machines"), with two network
# namespaces standing in for the machines: A (192.0.2.10) and B
# (192.0.2.20), joined by a veth pair; the addresses exist only inside the
# namespaces this test creates.  a listens on A:7000, b on B:7000 and joins
# through A:7000, as the README says, with the secret it made; c joins on
# B:7001.  Then A loses its member to kill -9: the two on B carry on.
# groupy-check verifies the logs.  Tests/test-hosts.sh has five hosts and
# the faults of a network.  Needs root and a system that can create network
# namespaces; skipped (77), saying why, otherwise.
set -euo pipefail
node=$1
check=$2

if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null; then
  echo "skipped: needs root and iproute2 for network namespaces"
  exit 77
fi

tag=$$
nsa=grp-a-$tag
nsb=grp-b-$tag
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  ip netns del "$nsa" 2>/dev/null || true
  ip netns del "$nsb" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Where namespaces cannot be made at all (a chroot, a restricted container),
# say so and skip; anywhere they can, every step below must work.
if ! err=$( { ip netns add "$nsa" && ip netns exec "$nsa" true; } 2>&1); then
  echo "skipped: cannot create or enter network namespaces here: $err"
  exit 77
fi
ip netns add "$nsb"
ip link add "ga$tag" type veth peer name "gb$tag"
ip link set "ga$tag" netns "$nsa"
ip link set "gb$tag" netns "$nsb"
ip -n "$nsa" addr add 192.0.2.10/24 dev "ga$tag"
ip -n "$nsb" addr add 192.0.2.20/24 dev "gb$tag"
for ns in "$nsa" "$nsb"; do
  ip -n "$ns" link set lo up
done
ip -n "$nsa" link set "ga$tag" up
ip -n "$nsb" link set "gb$tag" up

"$node" --new-secret "$work/secret" > /dev/null
opts=(--heartbeat 20 --suspect-timeout 400 --sleep 10 --crash-rate 0 --secret-file "$work/secret")

start() { # ns name listen [join]
  local ns=$1 name=$2 listen=$3 join=${4:-}
  ip netns exec "$ns" "$node" --name "$name" --listen "$listen" --log "$work/$name.log" \
      ${join:+--join "$join"} "${opts[@]}" > "$work/$name.out" 2> "$work/$name.err" &
  pids+=($!)
  eval "pid_$name=$!"
  until_listening "$name" "$!" "$work/$name.out" "$work/$name.err"
}

. "$(dirname "$0")/wait-for.sh"
. "$(dirname "$0")/view-log.sh"


start "$nsa" a 192.0.2.10:7000
addr=$(sed -n 's/.*listening on //p' "$work/a.out")
[ "$addr" = 192.0.2.10:7000 ] || { echo "a listens on $addr, not 192.0.2.10:7000"; exit 1; }
start "$nsb" b 192.0.2.20:7000 192.0.2.10:7000
start "$nsb" c 192.0.2.20:7001 192.0.2.10:7000
wait_for "one view of a, b, c" last_view_has "$work/c.log" a b c

# A member that listens on loopback only, on B, joining through A: A could
# not reach it, and took it in and put it out again until its join timed
# out.  Its join fails at once, saying why, and no view ever holds it.
if ip netns exec "$nsb" timeout 30 "$node" --name d --listen 127.0.0.1:0 \
    --join 192.0.2.10:7000 --log "$work/d.log" "${opts[@]}" > "$work/d.out" 2> "$work/d.err"; then
  echo "d, listening on loopback on B, joined through A"; exit 1
fi
grep -q "other machines cannot reach" "$work/d.err" || { echo "d:"; cat "$work/d.err"; exit 1; }
echo "d, on loopback: $(tail -n 1 "$work/d.err")"
if grep -q '"ev":"view".*"d"' "$work/a.log" "$work/b.log"; then
  echo "d was in a view"; exit 1
fi

# The leader's host loses it.
kill -9 "$pid_a"
wait_for "b and c to go on without a" last_view_has "$work/b.log" b c
wait_for "c to see the same view" last_view_has "$work/c.log" b c
before=$(grep -c '"ev":"deliver"' "$work/c.log")
more_deliveries() { [ "$(grep -c '"ev":"deliver"' "$work/c.log")" -gt $((before + 20)) ]; }
wait_for "deliveries after the failover" more_deliveries

kill -USR1 "$pid_b" "$pid_c"
wait_for "b and c to go quiet and reach the same position" ended_together "$work" b c
kill -TERM "$pid_b" "$pid_c"
wait "$pid_b" "$pid_c"
"$check" --same-end "$work"/a.log "$work"/b.log "$work"/c.log
echo "ok: a group across two network namespaces survived kill -9 of its leader"
