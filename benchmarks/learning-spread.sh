#!/usr/bin/env bash
# The spread of every learning test's effect over seeds and kernel paths: the numbers their thresholds are set from.
# Runs the tests of category Learning (tests/Adrpo.Tests/Infrastructure/LearningTest.cs) with seed offsets
# 0 .. SEEDS-1 under each kernel path (ATen capability x libtorch threads), collects the effect each test records,
# and prints per statement: runs, min, mean, sd, the threshold, the margin of the worst run, and failures.
# Usage: benchmarks/learning-spread.sh [seeds=6] [paths="native:1 native:2 avx2:1 avx2:2 default:1 default:2"] [filter]
#   writes artifacts/learning-spread/effects.csv and artifacts/learning-spread/summary.md
set -uo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-6}
paths=${2:-"native:1 native:2 avx2:1 avx2:2 default:1 default:2"}
filter=${3:-"TestCategory=Learning"}
out=artifacts/learning-spread
mkdir -p "$out"
log="$PWD/$out/effects.csv"
: >"$log"
dotnet build tests/Adrpo.Tests/Adrpo.Tests.csproj -c Release -v q -nologo >/dev/null || exit 1
for path in $paths; do
  capability=${path%%:*}
  threads=${path##*:}
  for ((seed = 0; seed < seeds; seed++)); do
    environment=(ADRPO_LEARNING_LOG="$log" ADRPO_LEARNING_SEED=$seed ADRPO_TEST_THREADS=$threads)
    [ "$capability" != native ] && environment+=(ATEN_CPU_CAPABILITY=$capability)
    start=$(date +%s)
    env "${environment[@]}" dotnet test tests/Adrpo.Tests/Adrpo.Tests.csproj -c Release --no-build --filter "$filter" >"$out/run-$capability-$threads-$seed.log" 2>&1
    echo "kernel path $capability, $threads thread(s), seed offset $seed: $(grep -oE '(Passed|Failed)!.*Total: *[0-9]+' "$out/run-$capability-$threads-$seed.log" | head -1) ($(( $(date +%s) - start )) s)"
  done
done

python3 - "$log" "$out/summary.md" "$seeds" "$paths" <<'PY'
import csv, statistics, sys
rows = list(csv.reader(open(sys.argv[1])))
by = {}
for statement, seed, capability, threads, effect, threshold in rows:
    by.setdefault(statement, []).append((int(seed), capability, int(threads), float(effect), float(threshold)))
lines = [f"Learning-test effects over {sys.argv[3]} seed offsets x kernel paths ({sys.argv[4]}); "
         "margin = worst run minus threshold; z = (mean - threshold) / sd.", "",
         "| statement | runs | min | mean | sd | max | threshold | margin | z | failures |",
         "|---|---|---|---|---|---|---|---|---|---|"]
for statement, values in by.items():
    e = [v[3] for v in values]
    t = values[0][4]
    sd = statistics.stdev(e) if len(e) > 1 else 0.0
    fails = [f"{c}/{th}t/seed {s}" for s, c, th, x, _ in values if not x > t]
    z = (statistics.mean(e) - t) / sd if sd > 0 else float("inf")
    lines.append(f"| {statement} | {len(e)} | {min(e):.4g} | {statistics.mean(e):.4g} | {sd:.3g} | {max(e):.4g} | {t:.4g} | {min(e) - t:.4g} | {z:.1f} | {', '.join(fails) or '-'} |")
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
