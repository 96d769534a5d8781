#!/usr/bin/env bash
# Which environment switches change libtorch's float results on this machine? Runs the kernel-paths mode of
# Adrpo.Benchmarks under each switch and prints, per operation, "same" or "DIFFERS" against the native path
# (no switch, one thread). Usage: benchmarks/kernel-paths.sh   (builds the benchmarks first; about 30 s)
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build benchmarks/Adrpo.Benchmarks -c Release -v q -nologo >/dev/null
bench=(dotnet benchmarks/Adrpo.Benchmarks/bin/Release/net10.0/linux-x64/Adrpo.Benchmarks.dll kernel-paths)

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); AVX-512: $(grep -q avx512f /proc/cpuinfo && echo yes || echo no)"
mapfile -t native < <("${bench[@]}" 1 | tail -n +2)
names=()
for line in "${native[@]}"; do names+=("$(cut -c 21- <<<"$line")"); done

run() {
  local label=$1 threads=$2; shift 2
  mapfile -t got < <(env "$@" "${bench[@]}" "$threads" | tail -n +2)
  local changed=()
  for i in "${!native[@]}"; do
    [ "${got[$i]:2:16}" != "${native[$i]:2:16}" ] && changed+=("${names[$i]}")
  done
  if [ ${#changed[@]} -eq 0 ]; then
    printf '%-48s no operation changes\n' "$label"
  else
    printf '%-48s DIFFERS: %s\n' "$label" "$(IFS=';'; echo "${changed[*]}")"
  fi
}

run "2 threads" 2
run "ATEN_CPU_CAPABILITY=avx2" 1 ATEN_CPU_CAPABILITY=avx2
run "ATEN_CPU_CAPABILITY=default" 1 ATEN_CPU_CAPABILITY=default
run "MKL_ENABLE_INSTRUCTIONS=AVX2" 1 MKL_ENABLE_INSTRUCTIONS=AVX2
run "MKL_ENABLE_INSTRUCTIONS=SSE4_2" 1 MKL_ENABLE_INSTRUCTIONS=SSE4_2
run "MKL_CBWR=COMPATIBLE" 1 MKL_CBWR=COMPATIBLE
run "ONEDNN_MAX_CPU_ISA=AVX2" 1 ONEDNN_MAX_CPU_ISA=AVX2
