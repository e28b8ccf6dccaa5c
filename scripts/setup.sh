#!/usr/bin/env bash
# Set the project up on a fresh Debian machine, idempotently: apt packages, a .venv at the repo
# root, pinned Python dependencies (constraints.txt) and the project itself in editable mode.
# Re-running on a set-up machine takes about a second (a stamp records what was installed).
#
#   scripts/setup.sh          runtime dependencies
#   scripts/setup.sh dev      plus the test and lint tools
set -euo pipefail
cd "$(dirname "$0")/.."

EXTRAS="${1:-}"
PYTHON="${PYTHON:-python3}"
VENV=.venv
# Debian packages the project needs at run or test time.
# SpatiaLite: the history database's default store; PostGIS: scripts/services.sh's server;
# Chromium + chromedriver: the app's browser tests (tests/ui, marker `browser`).
APT_PACKAGES=(libsqlite3-mod-spatialite postgresql-15 postgis postgresql-15-postgis-3
  chromium chromium-driver)

log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  log "apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  log "need Python 3.11 (found $("$PYTHON" --version 2>&1)); set PYTHON=/path/to/python3.11"
  exit 1
fi

stamp_value="$(cat pyproject.toml constraints.txt scripts/setup.sh | sha256sum | cut -c1-16) extras=[${EXTRAS}]"
stamp_file="$VENV/.geomag-setup"
has_sam2() { [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c \
  'import importlib.util, sys; sys.exit(importlib.util.find_spec("sam2") is None)'; }
if [ -f "$stamp_file" ] && grep -qxF "$stamp_value" "$stamp_file" && has_sam2; then
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  log "creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
target="."
[ -n "$EXTRAS" ] && target=".[${EXTRAS}]"
log "installing pinned dependencies into $VENV (first run: a few minutes, ~6 GB with torch)"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  -c constraints.txt -e "$target"
# sam2 (PyPI, source only; pinned in constraints.txt) stays out of pyproject's dependencies: a
# plain `pip install -e .` would build it in an isolated environment that pulls another torch
# (plus ~2 GB of CUDA wheels) and compiles a CUDA extension. Built here against the venv's torch.
log "installing sam2 (built against the venv's torch, without its CUDA extension)"
SAM2_BUILD_CUDA=0 "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  --no-build-isolation -c constraints.txt sam2
echo "$stamp_value" >"$stamp_file"
log "done"
