#!/usr/bin/env bash
# Chooses ComputeThreads' default by measurement: whole short training runs of both embedded models (benchmarks/
# Adrpo.Benchmarks "threads" mode, Options defaults, 5 iterations), each run its own process, thread counts alternated
# (1 2, then 2 1, ...), once on the machine as it is ("idle") and once with a busy loop (`yes > /dev/null`) per
# extra core. Prints one line per run and a summary of medians; the load average is printed with every run.
#   benchmarks/threads.sh [rounds=3] [iterations=5] [phases="idle busy"] [models="lm t2i"]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; iterations=${2:-5}; phases=${3:-"idle busy"}; models=${4:-"lm t2i"}
dll=$(ls benchmarks/Adrpo.Benchmarks/bin/Release/net10.0/*/Adrpo.Benchmarks.dll 2>/dev/null | head -1 || true)
if [ -z "$dll" ]; then dotnet build benchmarks/Adrpo.Benchmarks -c Release -v q; dll=$(ls benchmarks/Adrpo.Benchmarks/bin/Release/net10.0/*/Adrpo.Benchmarks.dll | head -1); fi
log=$(mktemp)
busy=()
stop_busy() { for pid in "${busy[@]}"; do kill "$pid" 2>/dev/null || true; done; busy=(); }
trap stop_busy EXIT
for phase in $phases; do
  if [ "$phase" = busy ]; then
    for _ in $(seq 2 "$(nproc)"); do yes > /dev/null & busy+=($!); done
  fi
  for round in $(seq 1 "$rounds"); do
    order="1 2"; [ $((round % 2)) -eq 0 ] && order="2 1"
    for model in $models; do
      for threads in $order; do
        line=$(dotnet "$dll" threads "$model" "$threads" "$iterations" | grep '^threads-run')
        echo "phase=$phase round=$round $line" | tee -a "$log"
      done
    done
  done
  stop_busy
done
echo "== medians (fit_s / run_s seconds, per phase, model and thread count)"
python3 - "$log" <<'PY'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    f = dict(re.findall(r'(\w+)=(\S+)', line))
    runs.setdefault((f['phase'], f['model'], f['threads']), []).append((float(f['fit_s']), float(f['run_s'])))
for (phase, model, threads), v in sorted(runs.items()):
    fits = [a for a, _ in v]
    print(f"{phase:5} {model:4} threads={threads}: fit median {statistics.median(fits):7.2f} s (min {min(fits):.2f}, max {max(fits):.2f}, n={len(v)}), run median {statistics.median([b for _, b in v]):7.2f} s")
PY
rm -f "$log"
