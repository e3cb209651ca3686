#!/usr/bin/env bash
# Records the traffic of real groups on loopback and makes the fuzzers'
# seed corpus (tests/fuzz/corpus/*) from it.
#
#   tests/fuzz/record.sh [BUILD_DIR]      (default: build, a debug build)
#
# Two groups of four groupy-node members (groupy-demo --headless), one
# without a secret and one with, multicasting every 50 ms at most, the
# leader crashing with chance 1/10 every 100 ms and crashed members
# replaced: joins, state transfers, view changes after crashes, leaves.
# Every member records the frames its peers send (GROUPY_RECORD_FRAMES);
# make-corpus.py picks the seeds.  The seeds are replaced; the findings'
# reproducers (corpus/*/regress-*) stay.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/open" "$tmp/secret"

"$build/src/node/groupy-node" --new-secret "$tmp/secret.key" > /dev/null
for group in open secret; do
  args=(--headless --windows 4 --crash-rate 10 --sleep 50)
  [ "$group" = secret ] && args+=(--secret-file "$tmp/secret.key")
  echo "recording a group ($group) for 10 s"
  # SIGINT: every member leaves, then the demo checks the logs.
  GROUPY_RECORD_FRAMES="$tmp/$group" timeout -s INT 10 \
    "$build/src/demo/groupy-demo" "${args[@]}" > "$tmp/$group.log" 2>&1 || true
  tail -n 1 "$tmp/$group.log"
done
[ -n "$(ls -A "$tmp/open")" ] || { echo "nothing recorded: is $build a debug build?" >&2; exit 1; }

for target in codec handshake core; do
  find "$top/tests/fuzz/corpus/$target" -type f ! -name 'regress-*' -delete 2> /dev/null || true
done
python3 "$top/tests/fuzz/make-corpus.py" "$tmp/open" "$tmp/secret" "$top/tests/fuzz/corpus"
