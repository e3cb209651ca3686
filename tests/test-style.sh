#!/bin/sh
# Lines within 100 columns (issue 12): lists every line longer than 100
# characters in the C sources and headers, the test scripts, the tools and
# the examples, as FILE:LINE, and fails if there is any.  Generated files,
# the fuzzers' corpora, data, markdown and meson.build files are not read.
#   test-style.sh SOURCE-DIR
set -eu
src=${1:?usage: test-style.sh SOURCE-DIR}
cd "$src"
max=100

list=$(mktemp)
trap 'rm -f "$list"' EXIT
# The tracked files of a git checkout; in a tarball, the same files by name.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h' 'tests/*.sh' 'tools/*' 'examples/*'
fi | grep -v '^tests/fuzz/corpus/' > "$list" || true
if [ ! -s "$list" ]; then
  { find src tests -type f \( -name '*.c' -o -name '*.h' -o -name '*.sh' \) -print
    find tools examples -type f -print
  } | grep -v '^tests/fuzz/corpus/' | sort > "$list" || true
fi
[ -s "$list" ] || { echo "no source file found under $src"; exit 1; }

# Characters, not bytes ("µs" is one column): in C.UTF-8, which every
# glibc has, '.' is one character.
long=$(while IFS= read -r file; do [ -f "$file" ] && printf '%s\0' "$file"; done < "$list" |
         LC_ALL=C.UTF-8 xargs -0 grep -naHE "^.{$((max + 1))}" | cut -d: -f1,2) || true
if [ -n "$long" ]; then
  echo "$long"
  echo "$(echo "$long" | wc -l) lines over $max columns in $(wc -l < "$list") files"
  exit 1
fi
echo "$(wc -l < "$list") files checked: no line over $max columns"
