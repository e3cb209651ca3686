#!/usr/bin/env bash
# Builds the core with PATCH applied (a diff of src/, -p1) in a scratch
# directory, with the simulator and the unit tests of this tree, as
# tests/mutants/run does, and runs every unit test program (including
# test-review2, whose scenarios are the findings); then, with N, a campaign
# of N seeds from FIRST.
#   scratch/with-core-patch.sh PATCH [N FIRST [groupy-sim options...]]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
patch=$(realpath "$1"); shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/tree"
cp -r "$top/src" "$dir/tree/"
(cd "$dir/tree" && patch -s -p1 < "$patch")
w="$dir/w"; mkdir -p "$w"
cp "$dir"/tree/src/core/*.[ch] "$top"/tests/sim/*.[ch] "$top"/src/worker/grp-color.h "$w"/
cp "$top"/tests/test-core.c "$top"/tests/test-roles.c "$top"/tests/test-views.c "$top"/tests/test-review2.c "$w"/
cflags=$(pkg-config --cflags glib-2.0); libs="$(pkg-config --libs glib-2.0) -lm"
cd "$w"
for c in *.c; do gcc -O1 -c -o "${c%.c}.o" "$c" -I. $cflags '-DG_LOG_DOMAIN="groupy-core"' & done; wait
lib=$(for c in *.c; do case "$c" in test-*|groupy-sim.c) ;; *) echo "${c%.c}.o" ;; esac; done)
gcc -o groupy-sim $lib groupy-sim.o $libs
for t in test-*.c; do gcc -o "${t%.c}" $lib "${t%.c}.o" $libs; done
for t in test-core test-roles test-views test-review2; do
  if ./$t > $t.log 2>&1; then echo "$t: all pass"; else echo "$t: FAILS"; grep -E '^not ok|ERROR' $t.log | head -3; fi
done
if [ $# -ge 2 ]; then
  n=$1 first=$2; shift 2
  ./groupy-sim --seeds "$n" --first "$first" "$@" | grep -E 'VIOLATION|seeds=' | head -20
fi
