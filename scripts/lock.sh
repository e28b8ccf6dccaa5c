#!/usr/bin/env bash
# Rewrite constraints.txt from a fresh resolution of pyproject.toml (all extras).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet -e ".[dev]"
# sam2 is installed outside pyproject's dependencies (see scripts/setup.sh for why).
SAM2_BUILD_CUDA=0 "$tmp/venv/bin/pip" install --quiet --no-build-isolation sam2
{
  echo "# Exact versions for pip (-c). Regenerate with scripts/lock.sh after changing pyproject.toml."
  echo "# torch/torchvision: 2.14.1/0.29.1 is the pair that imports together here (ENVIRONMENT.md)."
  "$tmp/venv/bin/pip" freeze --exclude-editable | sort -f
} >constraints.txt
