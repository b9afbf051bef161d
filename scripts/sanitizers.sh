#!/usr/bin/env bash
# The test suite under a sanitizer preset of CMakePresets.json. Usage: scripts/sanitizers.sh [asan-ubsan|tsan]
#  asan-ubsan: AddressSanitizer + UndefinedBehaviorSanitizer on the whole suite (about 20 minutes to
#    build and 3 to test on 2 cores). Left out: the Python module and the install and example tests
#    (they would need every consumer built with the sanitizers too), the browser test (Chromium is
#    not ours), and AnalyzeGolden (its numbers are the Release build's rounding).
#  tsan: ThreadSanitizer on the concurrent parts: FirstError, the demo's side-by-side training,
#    training's signal thread, the viewer's server and its cache. Needs libomp-dev (installed here
#    when missing), which stands in for libgomp below.
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-asan-ubsan}
build="build-${preset%%-*}"
cmake --preset "$preset"
if [ "$preset" = tsan ]; then
  if ! dpkg-query -W -f='${Status}' libomp-dev 2>/dev/null | grep -q "install ok installed"; then
    sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y --no-install-recommends libomp-dev
  fi
  cmake --build "$build" -j2 --target circuitscope test_core test_cli test_train test_viewer
  # libgomp is not built for ThreadSanitizer, which then misses OpenMP's own synchronisation and
  # reports races that are not there. LLVM's libomp serves the same GOMP interface, and its archer
  # tool tells ThreadSanitizer about every fork, join and barrier: it stands in for libgomp here.
  # Accesses inside other uninstrumented libraries (oneDNN, OpenBLAS) are not checked.
  omp_dir=$(mktemp -d)
  trap 'rm -rf "$omp_dir"' EXIT
  ln -s "$(ls /usr/lib/llvm-*/lib/libomp.so.5 | sort -V | tail -1)" "$omp_dir/libgomp.so.1"
  export LD_LIBRARY_PATH="$omp_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export OMP_TOOL_LIBRARIES="$(ls /usr/lib/llvm-*/lib/libarcher.so | sort -V | tail -1)"
  export TSAN_OPTIONS=ignore_noninstrumented_modules=1
  cd "$build"
  # Left out: the full-disk test, whose file-size limit kills libomp as it starts (it maps a
  # registration file in /dev/shm) with SIGBUS.
  ctest --output-on-failure -j2 -R '^(FirstError|DemoCli|TrainCli|ViewerServer|ViewerLru|ViewerTokens)\.' \
        -E 'AFullDisk'
  exit
fi
cmake --build "$build" -j2
export ASAN_OPTIONS=detect_leaks=1
export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd "$build"
ctest --output-on-failure -j2 -E "viewer_browser|install_package|example|python|AnalyzeGolden"
