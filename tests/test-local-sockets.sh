#!/bin/bash
# Members on one host talk over Unix-domain sockets, transparently: each
# listens, beside its TCP address, on the abstract socket "@groupy/ADDR"
# (ADDR its advertised HOST:PORT), which only its own network namespace
# reaches, and a member that finds a peer's dials it there.
#
# 1. Three groupy-node workers on loopback, without and with a group
#    secret: they form one group, deliver in one order (groupy-check), and
#    the connections between them are the Unix-domain ones (seen in
#    /proc/net/unix: connected sockets accepted on "@groupy/..."); with a
#    secret, TLS and the proof of the secret run over them.
# 2. (root, network namespaces) a and c in namespace A, b in namespace B,
#    joined by a veth pair: a and c reach each other over Unix-domain
#    sockets; b, which cannot reach A's abstract sockets, falls back to TCP,
#    and the group of three delivers in one order all the same.
set -euo pipefail
node=$1
check=$2

work=$(mktemp -d)
pids=()
namespaces=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

. "$(dirname "$0")/wait-for.sh"
. "$(dirname "$0")/view-log.sh"

# start DIR NAME [NS] [LISTEN] [JOIN] [OPTIONS...]
start() {
  local dir=$1 name=$2 ns=$3 listen=$4 join=$5
  shift 5
  local run=()
  [ -n "$ns" ] && run=(ip netns exec "$ns")
  "${run[@]}" "$node" --name "$name" ${listen:+--listen "$listen"} --log "$dir/$name.log" \
      ${join:+--join "$join"} --heartbeat 20 --suspect-timeout 400 --sleep 10 --crash-rate 0 \
      "$@" > "$dir/$name.out" 2> "$dir/$name.err" &
  pids+=($!)
  eval "pid_$name=$!"
  until_listening "$name" "$!" "$dir/$name.out" "$dir/$name.err"
}
addr_of() { sed -n 's/.*listening on //p' "$1/$2.out"; }


# Connected sockets accepted on the abstract socket of ADDR, as NS (or
# this namespace) sees them.
local_conns() { # ns addr
  local run=()
  [ -n "$1" ] && run=(ip netns exec "$1")
  "${run[@]}" cat /proc/net/unix | awk -v p="@groupy/$2" '$6 == "03" && $8 == p' | wc -l
}

# Quiet, the same last position at each, and groupy-check on the logs.
same_end() { # dir names...
  local dir=$1; shift
  local p
  for m in "$@"; do eval "p=\$pid_$m"; kill -USR1 "$p"; done
  wait_for "$* to go quiet and reach the same position" ended_together "$dir" "$@"
  for m in "$@"; do eval "p=\$pid_$m"; kill -TERM "$p"; wait "$p"; done
  local logs=()
  for m in "$@"; do logs+=("$dir/$m.log"); done
  "$check" --same-end "${logs[@]}"
}

# More than 20 deliveries in LOG.
delivering() { [ "$(grep -c '"ev":"deliver"' "$1")" -gt 20 ]; }

# ---- 1. one host ---------------------------------------------------------

"$node" --new-secret "$work/group.secret" > /dev/null
for variant in plain secret; do
  dir=$work/$variant
  mkdir -p "$dir"
  opts=()
  [ "$variant" = secret ] && opts=(--secret-file "$work/group.secret")
  start "$dir" a "" "" "" "${opts[@]}"
  a=$(addr_of "$dir" a)
  start "$dir" b "" "" "$a" "${opts[@]}"
  start "$dir" c "" "" "$a" "${opts[@]}"
  wait_for "one view of a, b, c ($variant)" last_view_has "$dir/c.log" a b c
  wait_for "deliveries at c ($variant)" delivering "$dir/c.log"
  b=$(addr_of "$dir" b)
  c=$(addr_of "$dir" c)
  n=$(( $(local_conns "" "$a") + $(local_conns "" "$b") + $(local_conns "" "$c") ))
  # Each of the three dials the two others (a route each way): six.
  if [ "$n" -lt 6 ]; then
    echo "$variant: $n connections over Unix-domain sockets between a, b, c, not 6:"
    grep groupy/ /proc/net/unix || true
    exit 1
  fi
  same_end "$dir" a b c
  echo "ok: $variant, one host: a group of three over $n Unix-domain connections"
done

# ---- 2. another network namespace: TCP --------------------------------------

if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null; then
  echo "ok: (skipped the network namespaces: needs root and iproute2)"
  exit 0
fi
tag=$$
nsa=grp-la-$tag
nsb=grp-lb-$tag
if ! err=$( { ip netns add "$nsa" && ip netns exec "$nsa" true; } 2>&1); then
  ip netns del "$nsa" 2>/dev/null || true
  echo "ok: (skipped the network namespaces: cannot create or enter them here: $err)"
  exit 0
fi
namespaces+=("$nsa" "$nsb")
ip netns add "$nsb"
ip link add "la$tag" type veth peer name "lb$tag"
ip link set "la$tag" netns "$nsa"
ip link set "lb$tag" netns "$nsb"
ip -n "$nsa" addr add 192.0.2.10/24 dev "la$tag"
ip -n "$nsb" addr add 192.0.2.20/24 dev "lb$tag"
for ns in "$nsa" "$nsb"; do ip -n "$ns" link set lo up; done
ip -n "$nsa" link set "la$tag" up
ip -n "$nsb" link set "lb$tag" up

dir=$work/hosts
mkdir -p "$dir"
opts=(--secret-file "$work/group.secret")
start "$dir" a "$nsa" 192.0.2.10:7000 "" "${opts[@]}"
start "$dir" b "$nsb" 192.0.2.20:7000 192.0.2.10:7000 "${opts[@]}"
start "$dir" c "$nsa" 192.0.2.10:7001 192.0.2.10:7000 "${opts[@]}"
wait_for "one view of a, b, c across namespaces" last_view_has "$dir/c.log" a b c
wait_for "deliveries at b" delivering "$dir/b.log"
# a and c, one namespace: a route each way over Unix-domain sockets.
n=$(( $(local_conns "$nsa" 192.0.2.10:7000) + $(local_conns "$nsa" 192.0.2.10:7001) ))
[ "$n" -ge 2 ] || { echo "a and c: $n Unix-domain connections, not 2"; exit 1; }
# b: none of its connections is a Unix-domain one (it cannot reach A's), and
# it holds TCP connections to both in A.
n=$(local_conns "$nsb" 192.0.2.20:7000)
[ "$n" -eq 0 ] || { echo "b: $n Unix-domain connections, not 0"; exit 1; }
tcp_to() { ip netns exec "$nsb" ss -Htn state established dst "$1" | grep -c . ; }
[ "$(tcp_to 192.0.2.10)" -ge 2 ] || { echo "b holds no TCP connections to a and c"; exit 1; }
same_end "$dir" a b c
echo "ok: a and c over Unix-domain sockets in one namespace, b over TCP from another"
