#!/bin/sh
# libgroupy.so exports its public API and nothing else: every dynamic
# symbol it defines (nm -D --defined-only) is a function declared in the
# installed headers, and every function declared there is exported.
#   test-exports.sh BUILD-DIR SOURCE-DIR
set -eu
src=$2
. "$src/tests/installed.sh"

lib=$(find "$dest" -name 'libgroupy.so.*' -type f | head -n 1)
[ -n "$lib" ] || { echo "libgroupy.so was not installed"; exit 1; }
nm -D --defined-only "$lib" | awk '{ print $NF }' | sort -u > "$work/exported"

# What the installed headers declare, as a compiler sees them: one
# statement a line, the grp_ names of the extern ones.
echo '#include <groupy.h>' | cc -E -P $(pkg-config --cflags groupy) - |
  tr '\n' ' ' | tr ';' '\n' | grep -E '(^|[^A-Za-z0-9_])extern ' |
  grep -oE '\bgrp_[a-z0-9_]+ *\(' | sed 's/ *($//' | sort -u > "$work/declared"

status=0
if comm -23 "$work/exported" "$work/declared" | grep .; then
  echo "^ exported by $(basename "$lib") but not declared in the installed headers"
  status=1
fi
if comm -13 "$work/exported" "$work/declared" | grep .; then
  echo "^ declared in the installed headers but not exported"
  status=1
fi
[ -s "$work/declared" ] || { echo "no declaration found in the installed headers"; status=1; }
echo "$(wc -l < "$work/exported") symbols exported, $(wc -l < "$work/declared") declared"
exit $status
