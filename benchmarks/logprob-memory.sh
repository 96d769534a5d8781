#!/usr/bin/env bash
# Peak memory of GRPO's log-prob + entropy + backward pass, before (full) and after (lean, recompute) the lean
# log-probs, and with GradientCheckpointing (ckpt), each variant in its own process.
# Usage: benchmarks/logprob-memory.sh [tiny|mid|mid4 ...]
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build benchmarks/Adrpo.Benchmarks -c Release -v q -nologo > /dev/null
for size in "${@:-tiny mid}"; do
  for variant in full lean recompute ckpt; do
    dotnet run --project benchmarks/Adrpo.Benchmarks -c Release --no-build -- logprob-memory "$variant" $size | grep -E '^(check|logprob-memory)'
  done
done
