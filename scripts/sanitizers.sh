#!/usr/bin/env bash
# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer (CMakePresets.json,
# preset asan-ubsan; about 20 minutes to build and 3 to test on 2 cores). Left out: the Python
# module and the install and example tests (they would need every consumer built with the
# sanitizers too), the browser test (Chromium is not ours), and AnalyzeGolden (its numbers are the
# Release build's rounding). Usage: scripts/sanitizers.sh [asan-ubsan|tsan]
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-asan-ubsan}
cmake --preset "$preset"
cmake --build "build-${preset%%-*}" -j2
export ASAN_OPTIONS=detect_leaks=1
export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd "build-${preset%%-*}"
ctest --output-on-failure -j2 -E "viewer_browser|install_package|example|python|AnalyzeGolden"
