#!/bin/sh
# Runs a generator of committed test data with --check (exit 1 when the committed files are not
# what it writes). Exit 77, which ctest counts as skipped, when PYTHON cannot import MODULE (the
# generators use Debian's python3-torch or python3-regex).
# Usage: check_generated.sh PYTHON MODULE SCRIPT
python=$1 module=$2 script=$3
if ! "$python" -c "import $module" 2>/dev/null; then
  echo "skipped: $python cannot import $module"
  exit 77
fi
exec "$python" "$script" --check
