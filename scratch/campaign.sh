#!/usr/bin/env bash
# Wide campaign, one groupy-sim process at a time:
#   scratch/campaign.sh SIM BASE SEEDS OUTDIR [K...]
# For K in 2..16 (or those given) and both delivery modes, runs SEEDS seeds
# starting at BASE + K * 1,000,000 (+ 500,000 for safe delivery).
set -u
sim=$1 base=$2 seeds=$3 out=$4; shift 4
ks=("$@"); [ ${#ks[@]} -gt 0 ] || ks=($(seq 2 16))
mkdir -p "$out"
for k in "${ks[@]}"; do
  for d in agreed safe; do
    first=$((base + k * 1000000)); [ $d = safe ] && first=$((first + 500000))
    nice -n 10 "$sim" --seeds "$seeds" --first "$first" --members "$k" --delivery "$d" \
      > "$out/k$k-$d.txt" 2>&1
    echo "k=$k $d first=$first: $(tail -1 "$out/k$k-$d.txt") | $(grep -c VIOLATION "$out/k$k-$d.txt") violation lines | $(grep -o '[0-9]* members rightly blocked, [0-9]* groups lost' "$out/k$k-$d.txt")"
  done
done
