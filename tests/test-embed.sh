#!/bin/sh
# The README's embedding example, built the way a user would build it
# (pkg-config against the library built here), run as two members.
set -eu
a=""
build=$1
src=$2
work=$(mktemp -d)
trap 'kill $a 2>/dev/null || true; rm -rf "$work"' EXIT

export PKG_CONFIG_PATH="$build/meson-uninstalled${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
cc "$src/examples/embed.c" $(pkg-config --cflags --libs groupy-uninstalled) \
   -Wl,-rpath,"$build/src/net" -o "$work/embed"

"$work/embed" alice > "$work/alice.out" &
a=$!
# Wait (bounded) for alice's address line.
for _ in $(seq 1 100); do
  grep -q "listening on" "$work/alice.out" 2>/dev/null && break
  sleep 0.05
done
addr=$(sed -n 's/.*listening on //p' "$work/alice.out")
[ -n "$addr" ] || { echo "alice did not start"; exit 1; }

timeout 20 "$work/embed" bob "$addr" > "$work/bob.out"
timeout 20 sh -c "while kill -0 $a 2>/dev/null; do sleep 0.05; done"
cat "$work/alice.out" "$work/bob.out"

# Both hold both greetings (bob got alice's in the state), in one order.
sed -n '/ saw:$/,$p' "$work/alice.out" | tail -n +2 > "$work/a"
sed -n '/ saw:$/,$p' "$work/bob.out" | tail -n +2 > "$work/b"
grep -qx "hello from alice" "$work/a"
grep -qx "hello from bob" "$work/a"
cmp "$work/a" "$work/b"
echo "ok: both members hold both greetings in the same order"
