#!/usr/bin/env bash
# Does one directed test catch one mutant?  Builds the core with the mutant
# NAME of LIST (a tests/mutants/*.txt file) and runs `PROG -p PATH` on it.
#   scratch/mutant-vs-test.sh LIST NAME PROG PATH
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
list=$1 name=$2 prog=$3 path=$4
line=$(awk -v n="$name" '$1 == n' "$list")
[ -n "$line" ] || { echo "no mutant $name in $list" >&2; exit 2; }
file=$(echo "$line" | awk '{print $2}')
expr=$(echo "$line" | sed -E 's/^[^ ]+ +[^ ]+ +//')
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
cp "$top"/src/core/*.[ch] "$top"/tests/sim/*.[ch] "$top"/src/worker/grp-color.h "$dir"/
cp "$top/tests/$prog.c" "$dir"/
before=$(md5sum < "$dir/$file"); sed -i "$expr" "$dir/$file"
[ "$(md5sum < "$dir/$file")" != "$before" ] || { echo "$name: does not apply" >&2; exit 2; }
cflags=$(pkg-config --cflags glib-2.0); libs="$(pkg-config --libs glib-2.0) -lm"
cd "$dir"
gcc -O1 -o t -I. $cflags '-DG_LOG_DOMAIN="groupy-core"' $(ls *.c | grep -v '^groupy-sim.c$') $libs
if ./t -p "$path" > log 2>&1; then echo "$name vs $path: PASSES (not caught)"; else
  echo "$name vs $path: FAILS (caught): $(grep -m1 -o 'ERROR:.*\|VIOLATION.*' log | cut -c1-160)"; fi
