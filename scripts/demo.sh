#!/usr/bin/env bash
# README's main command: installs what is missing, builds (Release) and runs the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j2
# The binary, the library with its headers and CMake package, and the Python module (import circuitscope).
sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
$sudo_cmd cmake --install build >/dev/null
build/circuitscope demo --out demo "$@"
