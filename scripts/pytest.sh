#!/usr/bin/env bash
# Run the test suite; pytest's exit 5 ("no tests collected") is a failure here: a suite that
# collects nothing has tested nothing.
set -u
VENV="${VENV:-.venv}"
"$VENV/bin/python" -m pytest "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: treating as failure" >&2
  exit 1
fi
exit "$rc"
