#!/usr/bin/env bash
# Runs the GPU checks: the MSTest category "Gpu" of tests/Adrpo.Tests (today one test,
# TrainingDeviceTests.BothTrainersAndTheirTransformersRunOnCuda: both trainers for 2 tiny iterations with
# MLContext.GpuDeviceId = 0 and FallbackToCpu = false, every generator parameter on CUDA, the first flow-matching
# reward equal to the CPU's to 1e-3, and both returned transformers generating on CUDA). Budget: under 5 minutes
# (the command is killed after $ADRPO_GPU_TIMEOUT seconds, default 280).
#
#   benchmarks/gpu-checks.sh
#
# STATUS: NOT RUN YET. It has never been run on a GPU. What it needs, and why it cannot run as things stand:
#   - A CUDA build of TorchSharp: `-p:AdrpoTorchBackend=cuda` references TorchSharp-cuda-linux 0.107.0 (LibTorch 2.10,
#     CUDA 12.8 natives, several GB). The NuGet source of the development machines does not serve it, so the restore
#     below fails there.
#   - The lent GPU machine has no .NET and no network. There, either
#       (a) publish a self-contained test application on a machine that can restore the CUDA packages, e.g.
#             dotnet publish tests/Adrpo.Tests -c Release -r linux-x64 --self-contained -p:AdrpoTorchBackend=cuda \
#               -p:EnableMSTestRunner=true -p:OutputType=Exe -o gpu-tests
#           copy gpu-tests/ over, and run this script with ADRPO_GPU_TESTS=gpu-tests (it then runs the published
#           Adrpo.Tests executable with --filter TestCategory=Gpu; the MSTest runner switch is an assumption, not
#           tried here: the repository's tests run in VSTest mode); or
#       (b) rebuild libLibTorchSharp.so against the machine's own PyTorch (2.11, with nvcc and CMake there), because
#           the shipped shim is built for LibTorch 2.10 and its C++ symbols do not carry across minor versions.
#     The device tool carries at most 64 MiB with the working tree, which rules out shipping the CUDA LibTorch
#     natives from here.
# Without CUDA the Gpu test ends inconclusive (VSTest: skipped, TRX outcome NotExecuted, counted neither passed nor
# failed), so this script treats "0 passed" as a failure: a skipped GPU check is not a passed one.
set -uo pipefail
cd "$(dirname "$0")/.."
timeout_s=${ADRPO_GPU_TIMEOUT:-280}
results=artifacts/gpu-checks
mkdir -p "$results"

if command -v nvidia-smi > /dev/null; then
  echo "gpu: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -n 1)"
else
  echo "gpu: nvidia-smi not found (no NVIDIA driver on this machine)"
fi

if [ -n "${ADRPO_GPU_TESTS:-}" ]; then
  exe="$ADRPO_GPU_TESTS/Adrpo.Tests"
  if [ ! -x "$exe" ]; then
    echo "gpu-checks: $exe is not an executable; publish it as described in this script's header." >&2
    exit 2
  fi
  timeout "$timeout_s" "$exe" --filter "TestCategory=Gpu" --report-trx --report-trx-filename gpu.trx --results-directory "$(pwd)/$results"
  rc=$?
elif command -v dotnet > /dev/null; then
  echo "dotnet: $(dotnet --version)"
  timeout "$timeout_s" dotnet test tests/Adrpo.Tests/Adrpo.Tests.csproj -c Release -p:AdrpoTorchBackend=cuda \
    --filter "TestCategory=Gpu" --logger "trx;LogFileName=gpu.trx" --results-directory "$results"
  rc=$?
else
  echo "gpu-checks: neither ADRPO_GPU_TESTS (a published test app) nor dotnet is available; see this script's header." >&2
  exit 2
fi

trx="$results/gpu.trx"
if [ ! -f "$trx" ]; then
  echo "gpu-checks: no TRX written (exit code $rc; 124 means the ${timeout_s}s limit was reached)." >&2
  exit 1
fi

counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
passed=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
failed=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
skipped=$(grep -c 'outcome="NotExecuted"' "$trx" || true)
echo "gpu-checks: ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped (exit code $rc)"
if [ "${failed:-0}" != 0 ] || [ "${passed:-0}" = 0 ] || [ "$rc" != 0 ]; then
  [ "${passed:-0}" = 0 ] && echo "gpu-checks: nothing passed: TorchSharp saw no CUDA device, or the tests did not run." >&2
  exit 1
fi
