#!/usr/bin/env bash
# Fuzzes every reader of outside bytes with libFuzzer (fuzz/; docs/reliability.md, "Fuzzing"), one
# target at a time on one core, and prints executions and findings per target.
#   scripts/fuzz.sh [SECONDS_PER_TARGET [TARGET...]]     (default 60 s; every target)
#   scripts/fuzz.sh replay [TARGET...]   runs each target once over its seeds and the committed
#                                        regression inputs (tests/data/fuzz-regressions), no new
#                                        inputs: deterministic, what CI runs
# Installs clang (for libFuzzer) beside the build's packages when missing, builds the fuzz preset in
# build-fuzz/, seeds each target with small valid files written by the library itself, and keeps
# the growing corpora in build-fuzz/corpus/TARGET. A crashing, leaking or hanging input is saved in
# build-fuzz/findings/RUN/TARGET/ (RUN: the start time) and makes the script exit 1.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(safetensors npy run_config tokens gettext tokenizer hf_tokenizer gpt2_tokenizer hf_model sweep_plan icl_json)
# Inputs longer than a valid seed by a few times reach nothing new and fuzz slower.
declare -A max_len=([safetensors]=4096 [npy]=1024 [run_config]=4096 [tokens]=8192 [gettext]=2048
                    [tokenizer]=4096 [hf_tokenizer]=16384 [gpt2_tokenizer]=16384 [hf_model]=4096
                    [sweep_plan]=32768 [icl_json]=16384)

# libFuzzer comes with clang and its runtime; the readers use OpenMP, which clang takes from libomp.
scripts/install-deps.sh clang libclang-rt-14-dev libomp-dev

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake --preset fuzz "${launcher[@]}" >/dev/null
cmake --build build-fuzz -j2 --target fuzz_all
out=build-fuzz
"$out/fuzz/fuzz_seeds" "$out/seeds"

findings="$out/findings/$(date -u +%Y%m%d-%H%M%S)"
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1
summary=()
status=0
for t in "${targets[@]}"; do
  [ -n "${max_len[$t]:-}" ] || { echo "unknown fuzz target '$t'" >&2; exit 2; }
  mkdir -p "$out/corpus/$t" "$findings/$t"
  log="$findings/$t.log"
  rc=0
  if [ "$seconds" = replay ]; then
    echo "== fuzz_$t: its seeds and regression inputs, once each"
    inputs=("$out/seeds/$t")
    # A token-folder case is a folder of files: replayed here file by file, whole by its test.
    [ -d "tests/data/fuzz-regressions/$t" ] && inputs+=("tests/data/fuzz-regressions/$t")
    "$out/fuzz/fuzz_$t" -runs=0 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$findings/$t/" "${inputs[@]}" >"$log" 2>&1 &
  else
    echo "== fuzz_$t: ${seconds} s, inputs up to ${max_len[$t]} bytes"
    "$out/fuzz/fuzz_$t" "$out/corpus/$t" "$out/seeds/$t" -max_total_time="$seconds" \
      -max_len="${max_len[$t]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$findings/$t/" >"$log" 2>&1 &
  fi
  pid=$!
  wait "$pid" || rc=$?
  rm -rf "/dev/shm/cs-fuzz-$pid"  # the target's scratch folder (fuzz/scratch_dir.h), left by a crash
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  found=$(find "$findings/$t" -type f | wc -l)
  [ "$rc" -eq 0 ] || { status=1; grep -m1 -E "^(==[0-9]+==ERROR|SUMMARY)" "$log" || tail -5 "$log"; }
  summary+=("$(printf '%-15s %12s executions  %s finding(s)  exit %s' "$t" "${runs:-?}" "$found" "$rc")")
done
echo "== summary ($(date -u +%F), ${seconds}$([ "$seconds" = replay ] || echo " s") per target; logs and findings in $findings)"
printf '%s\n' "${summary[@]}"
exit "$status"
