#!/usr/bin/env bash
# Issue 15 item 8: AdrpoGrpoTrainer at the Qwen3-0.6B shape (benchmarks/Adrpo.Benchmarks/Scale.cs), each configuration
# in its own process so that each peak RSS (VmHWM) is its own; then the full fine-tuning update against PyTorch eager
# on the same weights and batch shape, and a float32 vs bfloat16 linear.
# Usage: benchmarks/scale.sh [layers=28] [threads=2] [configs="time memory"] [variants="full lora"]
# The full shape (28 layers) needs about 22 GB of free memory and most of an hour on 2 cores; validate with 2 layers.
set -euo pipefail
cd "$(dirname "$0")/.."
layers=${1:-28}
threads=${2:-2}
configs=${3:-time memory}
variants=${4:-full lora}
dotnet build benchmarks/Adrpo.Benchmarks -c Release -v q -nologo > /dev/null
run() { dotnet run --project benchmarks/Adrpo.Benchmarks -c Release --no-build -- "$@"; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for config in $configs; do
  for variant in $variants; do
    run scale "$variant" "$config" "$layers" "$threads" | tee -a "$log" | grep -E '^(==|scale )'
  done
done
if [[ " $configs " == *" time "* && " $variants " == *" full "* ]]; then
  # PyTorch only for the time batch (8 rows): its full-vocabulary logits at 32 rows would not fit beside nothing else.
  run scale pytorch time "$layers" "$threads" | tee -a "$log" | grep -E '^(==|scale )'
  ours=$(grep '^scale full time summary' "$log" | sed -E 's/.*reference\+update ([0-9.]+) s.*/\1/')
  theirs=$(grep '^scale pytorch time summary' "$log" | sed -E 's/.*reference\+update ([0-9.]+) s.*/\1/')
  if [[ -n "$ours" && -n "$theirs" ]]; then
    awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "scale ratio: full fine-tuning reference+update, Adrpo %.2f s / PyTorch eager %.2f s = %.2fx\n", a, b, a / b }'
  fi
fi
run scale bf16 - "$layers" "$threads" | grep -E '^(==|bf16)'
run scale sdpa - 0 "$threads" | grep -E '^sdpa'
