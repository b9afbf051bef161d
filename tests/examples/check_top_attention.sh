#!/usr/bin/env bash
# examples/top_attention on the tiny run: a line per head, the prediction, and one-line errors.
# Usage: check_top_attention.sh TOP_ATTENTION_BINARY RUN_DIR
set -euo pipefail
prog=$1 run=$2
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$("$prog" "$run" "abc abc ab")
echo "$out"
[ "$(grep -cE '^L[01]H[01] attends to position [0-9]+ .* \((0|1)\.[0-9]{3}\)$' <<<"$out")" -eq 4 ] ||
  fail "expected one line per head (2 layers x 2 heads)"
grep -qE "^run, step 20: 2 layers x 2 heads, 11 tokens; from the last, 'b'$" <<<"$out" ||
  fail "header names the snapshot, the model and the 11 tokens (BOS + 10 bytes)"
grep -qE "^next token '.+' \(p = 0\.[0-9]{3}\)$" <<<"$out" || fail "no prediction line"
[ "$("$prog" "$run" | wc -l)" -eq 6 ] || fail "the default text gives 6 lines"

set +e
err=$("$prog" "$run/missing" 2>&1); rc=$?
set -e
[ $rc -eq 1 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && grep -q "no run in" <<<"$err" ||
  fail "a missing run folder: exit 1 with one line naming it, got $rc: $err"
set +e
err=$("$prog" "$run" "$(printf 'x%.0s' {1..64})" 2>&1); rc=$?
set -e
[ $rc -eq 1 ] && grep -q "65 tokens with BOS; the model reads at most n_ctx = 64" <<<"$err" ||
  fail "a text longer than n_ctx: exit 1 naming both lengths, got $rc: $err"
echo "top_attention: ok"
