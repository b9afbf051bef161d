#!/usr/bin/env bash
# Installs the Debian 12 packages circuitscope builds and tests with, and any named as arguments.
# Idempotent.
set -euo pipefail
packages=(
  build-essential cmake pkg-config git
  # oneDNN's CMake package looks for OpenCL, which libdnnl-dev only recommends.
  libdnnl-dev ocl-icd-opencl-dev libopenblas-dev libeigen3-dev
  libsentencepiece-dev sentencepiece nlohmann-json3-dev libcli11-dev libcpp-httplib-dev
  libcairo2-dev libgtest-dev libbenchmark-dev
  # Byte-level BPE (docs/tokenizers.md): GPT-2's pre-tokenizer pattern runs on PCRE2, NFC comes
  # from ICU; the Python reference that writes its test vectors uses the regex module.
  libpcre2-dev libicu-dev python3-regex
  python3-torch python3-numpy
  # The Python module (pybind11 against Debian's python3) and its tests.
  pybind11-dev python3-dev python3-pytest
  # The viewer's browser test: headless Chromium driven by Selenium.
  chromium chromium-driver python3-selenium
  # The built-in training corpus (docs/corpus.md): documentation sources read in place, and the
  # Python standard library's sources that the demo mixes in (python-source:, pinned by
  # src/data/python_source_manifest.inc: these packages put those files in /usr/lib/python3.11).
  python3.11-doc linux-doc-6.1 libpython3.11-stdlib python3-distutils python3-lib2to3 python3.11-venv
  libpython3.11-dev
  # Data-parallel training under mpirun (docs/scale.md).
  libopenmpi-dev openmpi-bin
)
# Extra packages a caller needs beside these (scripts/fuzz.sh: clang for libFuzzer).
packages+=("$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y --no-install-recommends "${missing[@]}"
fi
