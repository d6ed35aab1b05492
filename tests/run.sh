#!/usr/bin/env bash
# Set up the environment (first run: .venv, CPU torch, the project, Chromium) and run the
# whole test suite, slow tests included. Extra arguments go to pytest.
#
#   tests/run.sh              # everything
#   tests/run.sh --fast       # skip tests marked slow
#   tests/run.sh tests/hub -x # a part, stop at the first failure
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
START=$(date +%s)
source "$ROOT/launch/setup_env.sh"
SETUP_DONE=$(date +%s)

ARGS=()
MARK=()
for a in "$@"; do
  if [ "$a" = "--fast" ]; then MARK=(-m "not slow"); else ARGS+=("$a"); fi
done
[ ${#ARGS[@]} -eq 0 ] && ARGS=(tests)

cd "$ROOT"
export CUAGYM_CHROMIUM OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" PYTHONDONTWRITEBYTECODE=1
set +e
"$CUAGYM_PYTHON" -m pytest "${MARK[@]}" "${ARGS[@]}" -ra --durations=15
RC=$?
set -e
END=$(date +%s)
echo "suite runtime: set-up $((SETUP_DONE - START)) s, tests $((END - SETUP_DONE)) s, total $((END - START)) s"
exit $RC
