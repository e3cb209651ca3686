#!/bin/sh
# examples/embed.py against the installed typelib: one C member (embed.c)
# and two Python members in one group, on 127.0.0.1.  Every member must
# deliver the same sequence (each position the same message or view at
# every member that delivered it) and end with the same three greetings.
#   test-embed-python.sh BUILD-DIR SOURCE-DIR PYTHON
set -eu
src=$2
python=$3
. "$src/tests/installed.sh"
. "$src/tests/wait-for.sh"
a=""
b=""
trap 'kill $a $b 2>/dev/null || true; cleanup' EXIT

[ -f "$GI_TYPELIB_PATH/Groupy-1.0.typelib" ] || { echo "no installed typelib"; exit 1; }
cc -Wall -Werror "$src/examples/embed.c" $(pkg-config --cflags --libs groupy) -o "$work/embed"
"$python" "$src/examples/embed.py" --help | grep -q "HOST:PORT"

"$work/embed" --expect 3 alice > "$work/alice.out" 2>&1 &
a=$!
wait_for "alice's address" grep -q "listening on" "$work/alice.out"
addr=$(sed -n 's/.*listening on //p' "$work/alice.out")
"$python" "$src/examples/embed.py" --expect 3 bob "$addr" > "$work/bob.out" 2>&1 &
b=$!
wait_for "bob to join" grep -q "^#[0-9]* bob: hello from bob" "$work/alice.out"
timeout 30 "$python" "$src/examples/embed.py" --expect 3 carol "$addr" > "$work/carol.out" 2>&1
for pid in $a $b; do
  timeout 30 sh -c "while kill -0 $pid 2>/dev/null; do sleep 0.05; done"
done
cat "$work/alice.out" "$work/bob.out" "$work/carol.out"

# The same three greetings, in the same order, everywhere.
for m in alice bob carol; do
  sed -n '/ saw:$/,$p' "$work/$m.out" | tail -n +2 | grep -v '^#' > "$work/$m.saw"
  [ "$(wc -l < "$work/$m.saw")" -eq 3 ] || { echo "$m saw $(cat "$work/$m.saw")"; exit 1; }
done
cmp "$work/alice.saw" "$work/bob.saw"
cmp "$work/alice.saw" "$work/carol.saw"
# Every position any two members delivered holds the same thing at both.
cat "$work/alice.out" "$work/bob.out" "$work/carol.out" | grep '^#' |
  sed 's/ (joined: .*//' | sort -u |
  awk '{ if ($1 in seen) { print "position " $1 " differs"; bad = 1 } seen[$1] = 1 }
       END { exit bad }'
grep -q "joined: carol" "$work/bob.out"
echo "ok: one C and two Python members delivered the same sequence"
