"""``scripts/gpu_check.sh --tiny``: the GPU check's own code path, on the CPU with tiny configs.

The real run (Qwen2.5-VL-7B and SAM2.1 hiera-L architectures with random weights on a 3840×2160
scene) needs a GPU machine; this runs the same script with a miniature Qwen2.5-VL, SAM2.1
hiera-t and a 2560×1440 scene, so that the one call on a lent GPU does not fail on a bug.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from geomag_core.config import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "gpu_check.sh"


def _run(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    return subprocess.run(
        [str(SCRIPT), "--tiny", "--out", str(out), *extra],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.mark.slow
def test_the_tiny_gpu_check_times_geomag_against_tiling(tmp_path: Path) -> None:
    done = _run(tmp_path, "--skip-vllm")
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [
        ln
        for ln in done.stdout.splitlines()
        if ln.startswith("| GeoMag") or ln.startswith("| GeoPixel")
    ]
    assert len(rows) == 2
    record = json.loads((tmp_path / "gpu_check.json").read_text())
    geomag, tiling = record["rows"]
    assert record["tiny"] is True
    assert geomag["heat_maps"] >= 1  # PSC ran: the heat maps had gradients to follow
    assert 0 < geomag["vision_tokens"] < tiling["vision_tokens"]
    assert tiling["vision_tokens"] == 15 * 400 + 20 * 12  # 5 × 3 tiles of 560², global 560×315
    assert set(geomag["stages"]) >= {"heat maps + zoom", "views + generation"}
    assert len(list((tmp_path / "views" / "tiling").glob("*.png"))) == 16
    assert len(list((tmp_path / "views" / "geomag").glob("*.png"))) == 3
    assert (tmp_path / "table.md").read_text().count("| GeoMag") == 1


def test_without_a_gpu_the_real_check_says_so_in_one_line(tmp_path: Path) -> None:
    if Path("/dev/nvidia0").exists():
        pytest.skip("this machine has an NVIDIA device: the real check would run")
    done = subprocess.run(
        [str(SCRIPT), "--out", str(tmp_path)], cwd=REPO_ROOT, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("error: no NVIDIA GPU here")
