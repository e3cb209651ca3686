# Sourced by tests/test-hosts.sh and tools/bench-hosts: machines made of
# network namespaces, members on them, and the faults of a network.
#
#   hosts_setup N        N hosts (namespaces) on a bridge (in a namespace of
#                        its own): host i has 10.79.0.i/24 on eth0, and
#                        nothing else reaches these addresses
#   slow_net_up D J L    a second network: host i has 10.79.1.i/24 on tap0,
#                        the hosts joined by tests/slow-switch (D ± J ms, L %
#                        loss on every link), since the kernel may lack netem
#   member HOST NAME [JOIN] [OPTION...]
#                        groupy-node NAME on HOST, listening on its address
#                        (the slow network's if slow=1), joining JOIN
#                        (HOST:PORT, "" to found a group); returns once it
#                        listens; sets pid_NAME and addr_NAME
#   cut_off HOST [both|in|out]   drop the host's traffic (nftables, inside it)
#   partition "HOSTS" "HOSTS"    two sides that cannot reach each other
#   heal [HOST...]           remove every fault (of these hosts)
#
# Everything made (processes, namespaces, files) is removed on exit, also
# when a step fails.  Needs root, iproute2 and nftables (tools/setup.sh);
# where namespaces cannot be made at all, the caller skips (exit 77).
#
# Callers set: node (groupy-node), work (a directory for the logs), secret
# (a group secret file), and source tests/wait-for.sh.

. "$(dirname "${BASH_SOURCE[0]}")/view-log.sh"

tag=grp$$
hosts_n=0
slow=0
member_pids=()
member_names=()
switch_pid=
other_pids=()     # anything else a caller starts (busy loops)

host_ns() { echo "$tag-h$1"; }
host_addr() { if [ "$slow" = 1 ]; then echo "10.79.1.$1"; else echo "10.79.0.$1"; fi; }

hosts_cleanup() {
  local ns
  for p in "${member_pids[@]}" "${other_pids[@]}" $switch_pid; do
    kill -9 "$p" 2>/dev/null || true
  done
  # Anything else still running in our namespaces was started by us.
  for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }' | grep "^$tag-" || true); do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
}

# Skip (77) where namespaces cannot be made; fail where a tool is missing.
hosts_can_run() {
  if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null; then
    echo "skipped: needs root and iproute2 for network namespaces"
    exit 77
  fi
  local err
  if ! err=$( { ip netns add "$tag-probe" && ip netns exec "$tag-probe" true; } 2>&1); then
    ip netns del "$tag-probe" 2>/dev/null || true
    echo "skipped: cannot create or enter network namespaces here: $err"
    exit 77
  fi
  ip netns del "$tag-probe"
  if ! command -v nft >/dev/null; then
    echo "nft (nftables) is missing: tools/setup.sh installs it"
    exit 1
  fi
}

hosts_setup() {
  local n=$1 i ns sw="$tag-sw"
  hosts_n=$n
  ip netns add "$sw"
  ip -n "$sw" link set lo up
  ip -n "$sw" link add br0 type bridge
  ip -n "$sw" link set br0 up
  for i in $(seq 1 "$n"); do
    ns=$(host_ns "$i")
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip -n "$sw" link add "p$i" type veth peer name eth0 netns "$ns"
    ip -n "$sw" link set "p$i" master br0 up
    ip -n "$ns" addr add "10.79.0.$i/24" dev eth0
    ip -n "$ns" link set eth0 up
    # Fault rules live in this table; empty chains until a fault is made.
    ip netns exec "$ns" nft -f - <<EOF
table inet fault {
  chain in { type filter hook input priority 0; policy accept; }
  chain out { type filter hook output priority 0; policy accept; }
}
EOF
  done
  wait_for "the bridge to forward on every port" bridge_ready
}

# Every port of the bridge forwards (no STP: as soon as it is up) and every
# host's eth0 has a carrier.
bridge_ready() {
  local i
  [ "$(bridge -n "$tag-sw" link | grep -c 'state forwarding')" -eq "$hosts_n" ] || return 1
  for i in $(seq 1 "$hosts_n"); do
    ip -n "$(host_ns "$i")" link show eth0 | grep -q LOWER_UP || return 1
  done
}

# Every host's tap0 has a carrier: the switch is attached to it.
taps_ready() {
  local i
  for i in $(seq 1 "$hosts_n"); do
    ip -n "$(host_ns "$i")" link show tap0 | grep -q LOWER_UP || return 1
  done
}

slow_net_up() { # delay jitter loss [seed]
  local i ns ports=()
  for i in $(seq 1 "$hosts_n"); do
    ns=$(host_ns "$i")
    ip -n "$ns" tuntap add mode tap name tap0
    ip -n "$ns" addr add "10.79.1.$i/24" dev tap0
    ip -n "$ns" link set tap0 up
    ports+=("$ns/tap0")
  done
  "$slow_switch" --delay "$1" --jitter "$2" --loss "$3" ${4:+--seed "$4"} "${ports[@]}" \
      > "$work/switch.out" 2> "$work/switch.err" &
  switch_pid=$!
  wait_for "the slow switch" grep -q ready "$work/switch.out"
  slow=1
  wait_for "the slow switch to attach to every host" taps_ready
}

# The counts the switch prints when it ends (frames forwarded, lost, ...).
slow_net_down() {
  [ -n "$switch_pid" ] || return 0
  kill -TERM "$switch_pid" 2>/dev/null || true
  wait "$switch_pid" 2>/dev/null || true
  switch_pid=
  cat "$work/switch.err"
}

member() { # host name join [options...]
  local host=$1 name=$2 join=$3 addr
  shift 3
  addr=$(host_addr "$host")
  ip netns exec "$(host_ns "$host")" "$node" --name "$name" --listen "$addr:0" \
      --log "$work/$name.log" --secret-file "$secret" ${join:+--join "$join"} "$@" \
      > "$work/$name.out" 2> "$work/$name.err" &
  member_pids+=($!)
  member_names+=("$name")
  eval "pid_$name=$!"
  wait_for "$name to listen" grep -qs "listening on" "$work/$name.out"
  eval "addr_$name=$(sed -n 's/.* listening on //p' "$work/$name.out")"
}

cut_off() { # host [both|in|out]
  local ns dir=${2:-both} rules=""
  ns=$(host_ns "$1")
  # Both directions in one nft call: at once.
  if [ "$dir" != out ]; then rules+="add rule inet fault in iifname != lo drop"$'\n'; fi
  if [ "$dir" != in ]; then rules+="add rule inet fault out oifname != lo drop"$'\n'; fi
  printf '%s' "$rules" | ip netns exec "$ns" nft -f -
}

partition() { # "hosts of one side" "hosts of the other"
  # One nft call per host, with all of its rules: a partition made rule by
  # rule (24 calls for 3 | 2) took seconds on a loaded machine, longer than
  # a suspicion, and a view made meanwhile reached the other side.  The
  # second side first (the one cut off, in the scenarios).
  local h
  for h in $2; do partition_host "$h" "$1"; done
  for h in $1; do partition_host "$h" "$2"; done
}

partition_host() { # host "hosts it cannot reach"
  local o rules=""
  for o in $2; do
    rules+="add rule inet fault in ip saddr $(host_addr "$o") drop"$'\n'
    rules+="add rule inet fault out ip daddr $(host_addr "$o") drop"$'\n'
  done
  printf '%s' "$rules" | ip netns exec "$(host_ns "$1")" nft -f -
}

heal() { # [hosts...]; all when none
  local h
  for h in ${@:-$(seq 1 "$hosts_n")}; do
    ip netns exec "$(host_ns "$h")" nft flush table inet fault
  done
}

# ---- what the logs say ----------------------------------------------------

# NAME's log, last line first.  grep -m 1 stops reading early: tac's broken
# pipe is no failure (pipefail).
rlines() { tac "$work/$1.log" 2>/dev/null || true; }

# The member list of NAME's last view, as in the log: "a","b","c".
last_members() { rlines "$1" | grep -m 1 '"ev":"view"' | grep -o '"members":\[[^]]*\]' |
                 sed 's/"members":\[\(.*\)\]/\1/'; }

# NAME's last view lists exactly the members given (in any order).
view_is() { # name members...
  local got want n
  got=$(last_members "$1" | tr ',' '\n' | tr -d '"' | sort | tr '\n' ' ')
  shift
  want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
  [ "$got" = "$want" ]
}

# Every member named is in a view of exactly the members named.
all_in_view() { # members...
  local m
  for m in "$@"; do view_is "$m" "$@" || return 1; done
}

count_ev() { grep -c "\"ev\":\"$2\"" "$work/$1.log" || true; }
delivers() { count_ev "$1" deliver; }
last_seq() { rlines "$1" | grep -m 1 -E '"ev":"(deliver|view)"' | grep -o '"seq":[0-9]*' |
             cut -d: -f2; }
# The time ("t", ms) of NAME's last event EV.
last_t() { rlines "$1" | grep -m 1 "\"ev\":\"$2\"" | grep -o '"t":[0-9]*' | cut -d: -f2; }
now_ms() { date +%s%3N; }

# NAME logged "blocked" and not "unblocked" since.
is_blocked() { rlines "$1" | grep -m 1 -E '"ev":"(blocked|unblocked)"' | grep -q '"blocked"'; }

# Deliveries NAME logged after its last "blocked" and before the next
# "unblocked" or "excluded": a member waiting for a quorum delivers none.
delivers_while_blocked() {
  awk '/"ev":"blocked"/ { on = 1; n = 0 } /"ev":"(unblocked|excluded)"/ { on = 0 }
       /"ev":"deliver"/ { if (on) n++ } END { print n + 0 }' "$work/$1.log"
}

# Deliveries NAME logged later than T (ms since the epoch) and before it
# learned it was left out: a member cut off from its group's quorum has
# none once its sockets are drained.
delivers_after_until_excluded() { # name t
  awk -v t="$2" '/"ev":"excluded"/ { exit } /"ev":"deliver"/ {
         if (match ($0, /"t":[0-9]+/) && substr ($0, RSTART + 4, RLENGTH - 4) + 0 > t) n++ }
       END { print n + 0 }' "$work/$1.log"
}

# Some of the members named logged "blocked".
one_blocked() { local m; for m in "$@"; do is_blocked "$m" && return 0; done; return 1; }

# NAME delivered at least N more than the count given.
delivered_more() { [ "$(delivers "$1")" -ge $(( $2 + $3 )) ]; }

same_position() { # members...
  local s first
  first=$(last_seq "$1")
  [ -n "$first" ] || return 1
  for m in "$@"; do
    s=$(last_seq "$m")
    [ "$s" = "$first" ] || return 1
  done
}

# NAME's last multicast is delivered (to NAME), or its incarnation ended
# before (tests/view-log.sh says why that matters).
own_delivered() { own_delivered_in "$work/$1.log" "$1"; }

together() {
  local m
  for m in "$@"; do own_delivered "$m" || return 1; done
  all_in_view "$@" && same_position "$@"
}

# Let the members named go quiet, wait until they are at one position, let
# them leave, and check every log there is.
finish() { # members...
  local m pids=()
  for m in "$@"; do
    pids+=("$(eval echo "\$pid_$m")")
    kill -USR1 "$(eval echo "\$pid_$m")"
  done
  for m in "$@"; do wait_for "$m to go quiet" grep -q '"ev":"quiet"' "$work/$m.log"; done
  wait_for "$* to be in one view at one position" together "$@"
  kill -TERM "${pids[@]}"
  for p in "${pids[@]}"; do wait "$p"; done
  "$check" --same-end "$work"/*.log
}
