"""The pipeline on the nano profile: heat map → windows → native masks → stored instances."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from agent.answers import NANO_LIMITS
from agent.checkpointer import open_checkpointer
from agent.context import AgentContext
from agent.pipeline import build_pipeline
from geomag_core.config import Settings
from geomag_core.errors import ConfigError
from tools.workbench import Workbench


@pytest.fixture(scope="module")
def workbench(tmp_path_factory: pytest.TempPathFactory) -> Workbench:
    tmp = tmp_path_factory.mktemp("nano")
    settings = Settings(
        data_dir=tmp, model_profile="nano", database_url=f"sqlite:///{tmp / 'h.sqlite'}"
    )
    return Workbench(settings)


def _ask(wb: Workbench, scene: Path, question: str) -> tuple[dict[str, Any], list[Any]]:
    events: list[Any] = []
    final: dict[str, Any] = {}
    with open_checkpointer(wb.settings) as saver:
        graph = build_pipeline(saver)
        for kind, chunk in graph.stream(
            {"scene": str(scene), "question": question, "request_id": uuid.uuid4().hex},
            {"configurable": {"thread_id": uuid.uuid4().hex}},
            context=AgentContext(workbench=wb),
            stream_mode=["custom", "values"],
        ):
            (events.append(chunk) if kind == "custom" else final.update(chunk))
    return final, events


def test_segment_question_runs_windows_and_stores_instances(
    workbench: Workbench, sample_scene: Path
) -> None:
    final, events = _ask(workbench, sample_scene, "segment the aircraft")
    assert final["granularity"] == "pixel"
    zooms = [e for e in events if e["event"] == "zoom"]
    assert zooms and all(z["source"] == "nano-attention" for z in zooms)
    # Row-merged 128-px blocks (8 cells of 16 px on this 934-px scene) with 16 px of context,
    # at most 18 % of the scene's pixels in all.
    windows = [z["window"] for z in zooms]
    assert all(y1 - y0 <= 128 + 2 * 16 for _, y0, _, y1 in windows)
    assert sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in windows) <= 0.18 * 934 * 723 * 1.01
    masks = [r for r in final["results"] if r["kind"] == "mask"]
    assert len(final["result_ids"]) == len(final["results"])
    assert all(r["label"] == "aircraft" and 0 <= r["confidence"] <= 1 for r in masks)
    assert NANO_LIMITS in final["answer"]
    assert "[tiny profile]" not in final["answer"]
    assert 0 < final["budget"]["searched_fraction"] <= 1


def test_image_questions_say_they_need_a_vlm(workbench: Workbench, sample_scene: Path) -> None:
    final, _ = _ask(workbench, sample_scene, "describe this scene in a sentence")
    assert final["granularity"] == "image"
    assert "needs a full VLM" in final["answer"]
    with pytest.raises(ConfigError, match="no VLM"):
        _ = workbench.vlm
