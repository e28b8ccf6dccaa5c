"""End to end: ``geomag ask`` (tiny profile) on the NAIP sample, then ``geomag history``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
from sqlalchemy import select

from db.engine import create_db_engine
from db.models import QueryRow
from geomag_core.config import Settings
from tools.looked_at import LookedAt


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
    # One "looked at": the JSON's, the answer's sentence and the stored query's pixels agree.
    looked = LookedAt.from_dict(record["looked_at"])
    steps = record["zoom_steps"]
    assert looked.pixels == record["budget"]["views"]["pixels"] + sum(z["pixels"] for z in steps)
    assert all(z["pixels"] == z["heat_pixels"] + z["read_pixels"] for z in steps)
    assert looked.pixels > record["budget"]["views"]["pixels"]  # the zoom's heat maps count
    assert looked.line() in record["answer"]
    engine = create_db_engine(Settings(data_dir=tmp_path, database_url=None).effective_database_url)
    with engine.connect() as c:
        stored = c.execute(
            select(QueryRow.pixels, QueryRow.tokens).where(QueryRow.id == record["query_id"])
        ).one()
    engine.dispose()
    assert (stored.pixels, stored.tokens) == (looked.pixels, looked.tokens)
    windows = record["zoom_steps"]
    assert [w["number"] for w in windows] == list(range(1, len(windows) + 1))
    assert {w["planned"] for w in windows} == {len(windows)}
    out = tmp_path / "found.geojson"
    subprocess.run(
        [exe, "history", "--label", "field", "--format", "geojson", "--out", str(out)],
        capture_output=True, text=True, env=env, timeout=300, check=True,
    )  # fmt: skip
    found = gpd.read_file(out)
    masks = [i for i in record["result_ids"][1:]]  # the first result is the text answer
    assert sorted(found["result_id"].tolist()) == sorted(masks)
    assert found.crs.to_epsg() == 4326 and found["area_m2"].gt(0).all()
