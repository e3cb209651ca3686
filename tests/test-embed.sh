#!/bin/sh
# Programs outside the tree, built the way a user builds them (pkg-config
# against the installed library, not the build tree): the README's
# embedding example, run as two members, and embed-all, which uses every
# documented function, signal and error.
#   test-embed.sh BUILD-DIR SOURCE-DIR
set -eu
src=$2
. "$src/tests/installed.sh"
. "$src/tests/wait-for.sh"
a=""
trap 'kill $a 2>/dev/null || true; cleanup' EXIT

for prog in examples/embed.c tests/embed-all.c; do
  cc -Wall -Werror "$src/$prog" $(pkg-config --cflags --libs groupy) \
     -o "$work/$(basename "$prog" .c)"
done
# Only the installed library may be found (no rpath into the build tree).
ldd "$work/embed" | grep -q "$LD_LIBRARY_PATH/libgroupy.so" ||
  { ldd "$work/embed"; echo "embed does not use the installed libgroupy"; exit 1; }

"$work/embed" --help | grep -q "NAME \[HOST:PORT\]"
if "$work/embed" --bogus > /dev/null 2>&1; then echo "embed accepted --bogus"; exit 1; fi

"$work/embed" alice > "$work/alice.out" &
a=$!
wait_for "alice's address" grep -q "listening on" "$work/alice.out"
addr=$(sed -n 's/.*listening on //p' "$work/alice.out")

timeout 20 "$work/embed" bob "$addr" > "$work/bob.out"
timeout 20 sh -c "while kill -0 $a 2>/dev/null; do sleep 0.05; done"
cat "$work/alice.out" "$work/bob.out"

# Both hold both greetings (bob got alice's in the state), in one order.
sed -n '/ saw:$/,$p' "$work/alice.out" | tail -n +2 | grep -v '^#' > "$work/a"
sed -n '/ saw:$/,$p' "$work/bob.out" | tail -n +2 | grep -v '^#' > "$work/b"
grep -qx "hello from alice" "$work/a"
grep -qx "hello from bob" "$work/a"
cmp "$work/a" "$work/b"
echo "ok: both members hold both greetings in the same order"

timeout 90 "$work/embed-all"
