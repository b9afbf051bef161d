#!/usr/bin/env bash
# `cmake --install` of this build into a fresh prefix, then examples/ built as a project of its
# own against it with find_package(circuitscope): it must print what the in-tree build prints.
# The Python package, when built, goes into the same prefix and must import from there.
# Usage: check_install.sh BUILD_DIR SOURCE_DIR WORK_DIR RUN_DIR IN_TREE_TOP_ATTENTION PYTHON_DIR|-
set -euo pipefail
build=$1 source=$2 work=$3 run=$4 in_tree=$5 python_dir=$6
fail() { echo "FAIL: $*" >&2; exit 1; }
prefix=$work/prefix
rm -rf "$work" && mkdir -p "$work"

cmake --install "$build" --prefix "$prefix" --component circuitscope
for f in lib/libcircuitscope.a bin/circuitscope include/circuitscope/circuitscope.h \
         lib/cmake/circuitscope/circuitscopeConfig.cmake lib/cmake/circuitscope/circuitscopeConfigVersion.cmake; do
  [ -e "$prefix/$f" ] || fail "$f was not installed"
done
! grep -rq "CS_SOURCE_DIR\|$source" "$prefix/lib/cmake/circuitscope" || fail "the package refers to the source tree"
# Only the public headers are installed, they need nothing but the standard library, and the
# package hands its users no Eigen or nlohmann/json.
headers=$(cd "$prefix/include" && find . -type f | sort | tr '\n' ' ')
[ "$headers" = "./circuitscope/circuitscope.h ./circuitscope/error.h " ] ||
  fail "headers other than the public ones were installed: $headers"
included=$(echo '#include <circuitscope/circuitscope.h>' |
  c++ -std=c++17 -fsyntax-only -H -I"$prefix/include" -x c++ - 2>&1 >/dev/null | grep '^\.') ||
  fail "the public header does not compile on its own"
! grep -v "$prefix" <<<"$included" | grep -qiE "eigen|nlohmann|circuitscope|cairo|httplib|sentencepiece|dnnl" ||
  fail "the public header includes more than the standard library: $included"
! grep -rqi "eigen\|nlohmann" "$prefix/lib/cmake/circuitscope" || fail "the package passes Eigen or nlohmann/json on"

cmake -S "$source/examples" -B "$work/examples" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release
cmake --build "$work/examples"
expected=$("$in_tree" "$run" "abc abc ab")
got=$("$work/examples/top_attention" "$run" "abc abc ab")
echo "$got"
[ "$got" = "$expected" ] || fail "the standalone build prints something else than the in-tree one: $expected"

if [ "$python_dir" != "-" ]; then
  cmake --install "$build" --prefix "$prefix" --component python
  site=$prefix/$python_dir
  PYTHONPATH=$site /usr/bin/python3 - "$site" "$run" <<'PY'
import os, sys
import circuitscope as cs
site, run = sys.argv[1], sys.argv[2]
assert os.path.realpath(cs.__file__).startswith(os.path.realpath(site)), cs.__file__
assert cs.open_run(run).snapshot().step == 20
print("python package imports from", os.path.dirname(cs.__file__))
PY
fi
echo "install: ok"
