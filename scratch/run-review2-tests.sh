#!/usr/bin/env bash
# Runs each scenario of build/tests/test-review2 on its own (a failing one
# aborts the program) and prints its verdict.
cd "$(dirname "$0")/.."
for p in $(build/tests/test-review2 -l | grep '^/'); do
  out=$(build/tests/test-review2 -p "$p" 2>&1)
  if [ $? -eq 0 ]; then echo "PASS $p"; else
    echo "FAIL $p: $(echo "$out" | grep -m1 -o 'assertion failed.*\|ERROR:.*' | cut -c1-200)"; fi
done
