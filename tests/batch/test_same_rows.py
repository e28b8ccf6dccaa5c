"""``geomag batch`` stores exactly the rows that separate ``geomag ask`` runs store.

Over the 10 NAIP tiles (water regions from NDWI; aircraft refused at 5 m) and 12 Airbus
aircraft scenes (nano's search; water refused without NIR), one question: the batch runs on a
local Ray with 2 workers into one history, and the 22 asks run into another, each as
``geomag ask`` runs it (its own thread, checkpointer, request id and the same pipeline). To
keep the test inside a few minutes the asks share one workbench in this process (the models
load once) instead of 22 processes; each ask is otherwise the command's own code path. Rows
are compared per scene: question, granularity, status, route and every result's kind, label,
confidence (3 decimals), pixel box and area (0.01 m²).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from agent.batch.engines import RayEngine
from agent.batch.runner import plan_batch, run_batch
from agent.session import Session
from geomag_core.config import Settings
from tests.batch.conftest import QUESTION, stored
from tools.workbench import Workbench

pytestmark = pytest.mark.slow


def _ask(workbench: Workbench, scene: Path) -> None:
    """One ``geomag ask SCENE QUESTION`` run: the session API agent/cli/ask.py calls."""
    with Session(workbench.settings, workbench=workbench) as session:
        outcome = session.ask(scene, QUESTION)
    assert session.mode == "pipeline" and outcome.query_id is not None


def _by_scene(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    for row in rows:
        assert row["sha256"] not in out, "a scene was stored twice"
        out[row["sha256"]] = {k: v for k, v in row.items() if k != "request_id"}
    return out


def test_batch_stores_the_rows_of_22_separate_asks(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    naip_series: list[Path],
    airbus_scenes: list[Path],
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # nano's search stops at a time budget; on a busy machine that would make runs differ
    monkeypatch.setenv("GEOMAG_QUESTION_BUDGET_S", "100000")
    monkeypatch.delenv("GEOMAG_DATABASE_URL", raising=False)
    monkeypatch.delenv("GEOMAG_MODEL_PROFILE", raising=False)
    scenes = [*naip_series, *airbus_scenes]

    batch_settings = Settings(data_dir=tmp_path / "batch", scene_files=tuple(scenes))
    plan = plan_batch(batch_settings, QUESTION, scenes)
    summary = run_batch(
        batch_settings, plan, RayEngine(batch_settings, QUESTION, workers=2, cpus=2)
    )
    assert summary.counts == {"answered": 22, "skipped": 0, "failed": 0}

    ask_settings = Settings(data_dir=tmp_path / "asks", scene_files=tuple(scenes))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as each of the two Ray workers on 2 CPUs
    try:
        workbench = Workbench(ask_settings)
        for scene in scenes:
            _ask(workbench, scene)
    finally:
        torch.set_num_threads(threads)

    batch_rows, ask_rows = _by_scene(stored(batch_settings)), _by_scene(stored(ask_settings))
    assert len(batch_rows) == 22
    assert batch_rows.keys() == ask_rows.keys()
    for sha, row in ask_rows.items():
        assert batch_rows[sha] == row, f"scene {sha[:12]} differs"
    labels = [r[1] for row in ask_rows.values() for r in row["results"]]
    assert labels.count("aircraft") > 100  # the Airbus scenes were really searched
    assert labels.count("water") > 100  # and the NAIP tiles really measured
