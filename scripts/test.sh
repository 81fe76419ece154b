#!/usr/bin/env bash
# Run volt's test suite: creates .venv with the pinned dependencies on first use, then pytest.
# Extra arguments go to pytest (e.g. scripts/test.sh -k silver). Needs only Python >= 3.11:
# tests use an embedded PostgreSQL unless VOLT_TEST_DATABASE_URL points at a server.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
if ! .venv/bin/python -c "import volt, pytest" 2>/dev/null \
   || [ pyproject.toml -nt .venv/.volt-installed ] || [ constraints.txt -nt .venv/.volt-installed ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -c constraints.txt -e ".[dev]"
  touch .venv/.volt-installed
fi
# One BLAS thread per process, as `volt` itself runs (volt/cli/__init__.py): the suppression
# audit's small matrices are slower with threads competing for the cores.
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
exec .venv/bin/python -m pytest "$@"
