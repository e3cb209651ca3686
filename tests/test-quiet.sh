#!/bin/bash
# A worker told to go quiet before it has joined (SIGUSR1, or `quiet` on
# its standard input: the console pauses so a member it adds to a paused
# group) stays quiet once it joins: no changes, and no crash injection.
# Its join started both again whatever it had been told: here b, quiet
# since before it joined and leading once a is killed, armed a crash on its
# first roll and crashed part-way through relaying c's next change.
#   test-quiet.sh GROUPY-NODE
set -euo pipefail
node=$1

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

. "$(dirname "$0")/wait-for.sh"

# start NAME [JOIN] [OPTIONS...]: its standard input is $work/NAME.in if
# there is one.
start() {
  local name=$1 join=$2 in=/dev/null
  shift 2
  [ -f "$work/$name.in" ] && in=$work/$name.in
  "$node" --name "$name" --log "$work/$name.log" ${join:+--join "$join"} \
      --heartbeat 20 --suspect-timeout 400 --sleep 10 "$@" \
      < "$in" > "$work/$name.out" 2> "$work/$name.err" &
  pids+=($!)
  eval "pid_$name=$!"
}
says() { grep -q "$2" "$work/$1.log" 2>/dev/null; }
listening() { grep -q "listening on" "$work/$1.out" 2>/dev/null; }
addr_of() { sed -n 's/.*listening on //p' "$work/$1.out"; }
delivered() { grep -c '"ev":"deliver"' "$work/$1.log" 2>/dev/null || true; }
enough_after() { [ "$(delivered c)" -ge $((base + 150)) ]; }

start a "" --crash-rate 0
wait_for "a to listen" listening a
printf 'quiet\n' > "$work/b.in"
start b "$(addr_of a)" --crash-rate 1 --commands
wait_for "b to go quiet" says b '"ev":"quiet"'
wait_for "b to join" says b '"ev":"state"'
start c "$(addr_of a)" --crash-rate 0
wait_for "c to join" says c '"ev":"state"'
base=$(delivered c)
# b, the oldest after a, leads: c's changes go through it.
kill -9 "$pid_a"
wait_for "b to lead" says b '"leader":"b"'
base=$(delivered c)
WAIT_SECONDS=30 wait_for "c to deliver 150 more changes" enough_after
if says b '"ev":"crash"'; then
  echo "b, quiet since before it joined, crashed by injection:"
  grep '"ev":"crash"' "$work/b.log"
  exit 1
fi
if grep -q '"ev":"send"' "$work/b.log"; then
  echo "b, quiet since before it joined, multicast changes"
  exit 1
fi
echo "ok: a worker quiet since before it joined neither sends nor crashes by injection"
