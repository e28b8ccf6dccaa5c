"""End to end: ``geomag ask`` (tiny profile) on the NAIP sample, then ``geomag history``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd


def test_ask_then_find_the_results_in_history(tmp_path: Path, sample_scene: Path) -> None:
    exe = shutil.which("geomag", path=str(Path(sys.executable).parent))
    assert exe
    env = {**os.environ, "GEOMAG_DATA_DIR": str(tmp_path), "GEOMAG_MODEL_PROFILE": "tiny"}
    env.pop("GEOMAG_DATABASE_URL", None)
    asked = subprocess.run(
        [exe, "ask", str(sample_scene), "Outline the fields", "--json"],
        capture_output=True, text=True, env=env, timeout=600, check=True,
    )  # fmt: skip
    record = json.loads(asked.stdout)
    assert record["granularity"] == "pixel" and record["result_ids"]
    assert record["answer"].startswith("[tiny profile]")
    out = tmp_path / "found.geojson"
    subprocess.run(
        [exe, "history", "--label", "field", "--format", "geojson", "--out", str(out)],
        capture_output=True, text=True, env=env, timeout=300, check=True,
    )  # fmt: skip
    found = gpd.read_file(out)
    masks = [i for i in record["result_ids"][1:]]  # the first result is the text answer
    assert sorted(found["result_id"].tolist()) == sorted(masks)
    assert found.crs.to_epsg() == 4326 and found["area_m2"].gt(0).all()
