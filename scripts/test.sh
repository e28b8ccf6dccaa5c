#!/usr/bin/env bash
# Lint, type-check, then run the default test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
.venv/bin/ruff check --no-cache .  # the cache can hide import-order changes
.venv/bin/ruff format --no-cache --check .
.venv/bin/mypy
# The database tests run on SpatiaLite and on a PostGIS server of the project's own (idempotent:
# starts it once, then only prints its URL). An explicit GEOMAG_TEST_POSTGIS_URL wins.
GEOMAG_TEST_POSTGIS_URL="${GEOMAG_TEST_POSTGIS_URL:-$(scripts/services.sh start)}"
export GEOMAG_TEST_POSTGIS_URL
.venv/bin/python -m pytest "$@"
