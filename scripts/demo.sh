#!/usr/bin/env bash
# README's main command: installs what is missing, builds (Release) and runs the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j2
build/circuitscope demo --out demo "$@"
