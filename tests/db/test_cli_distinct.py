"""``geomag history --distinct``: re-asked questions show each object once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from geomag_core.config import REPO_ROOT


def _geomag(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    exe = str(Path(sys.executable).parent / "geomag")
    return subprocess.run([exe, *args], env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_asking_twice_stores_twice_but_distinct_lists_each_pond_once(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "GEOMAG_DATA_DIR": str(tmp_path),
        "GEOMAG_DATABASE_URL": f"sqlite:///{tmp_path / 'h.sqlite'}",
        "HF_HUB_OFFLINE": "1",
    }
    scene = str(REPO_ROOT / "samples" / "m_4709963_se_14_1_20200831.tif")
    for question in ("outline the water", "segment the ponds"):
        assert _geomag(env, "ask", scene, question).returncode == 0
    every = _geomag(env, "history", "--label", "water", "--format", "geojson")
    objects = _geomag(env, "history", "--label", "water", "--distinct", "--format", "geojson")
    assert every.returncode == 0 and objects.returncode == 0, objects.stderr
    n_every = len(json.loads(every.stdout)["features"])
    n_objects = len(json.loads(objects.stdout)["features"])
    assert n_every == 2 * n_objects and n_objects > 50
    table = _geomag(env, "history", "--label", "water", "--distinct", "--limit", "5")
    assert table.returncode == 0 and f"objects 1–5 of {n_objects}" in table.stdout
