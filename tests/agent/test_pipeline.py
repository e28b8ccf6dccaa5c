"""The GeoMag pipeline graph on the tiny profile (random weights: plumbing, not quality)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import db.writes
from agent.answers import TINY_WARNING
from agent.checkpointer import open_checkpointer
from agent.context import AgentContext
from agent.events import describe
from agent.pipeline import build_pipeline
from db.models import QueryRow, ResultRow
from geomag_core.config import Settings
from geomag_core.errors import DatabaseError
from tools.looked_at import LookedAt
from tools.workbench import Workbench


@pytest.fixture(scope="session")
def shared_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("agent-data")


@pytest.fixture()
def settings(shared_models: Path, tmp_path: Path) -> Settings:
    # The tiny model is built once under the shared data dir; each test gets its own database.
    return Settings(
        data_dir=shared_models,
        model_profile="tiny",
        database_url=f"sqlite:///{tmp_path / 'history.sqlite'}",
    )


@pytest.fixture()
def workbench(settings: Settings) -> Workbench:
    return Workbench(settings)


def ask(graph: Any, wb: Workbench, scene: Path, question: str, thread: str = "t1") -> Any:
    events: list[dict[str, Any]] = []
    final: dict[str, Any] = {}
    for kind, chunk in graph.stream(
        {"scene": str(scene), "question": question, "request_id": uuid.uuid4().hex},
        {"configurable": {"thread_id": thread}},
        context=AgentContext(workbench=wb, max_depth=2),
        stream_mode=["custom", "values"],
    ):
        if kind == "custom":
            events.append(chunk)
        else:
            final = chunk
    return final, events


def count(wb: Workbench, row: Any) -> int:
    with Session(wb.engine) as session:
        return int(session.scalar(select(func.count()).select_from(row)) or 0)


def test_image_question_takes_the_image_route(workbench: Workbench, sample_scene: Path) -> None:
    state, events = ask(build_pipeline(), workbench, sample_scene, "What kind of area is this?")
    assert state["granularity"] == "image"
    assert state["zoom_steps"] == [] and state["boxes"] == []
    assert [e["event"] for e in events][:2] == ["scene", "classified"]
    assert state["budget"]["views"]["pixels"] == 100 * 100
    assert [r["kind"] for r in state["results"]] == ["answer"]
    assert state["query_id"] is not None and len(state["result_ids"]) == 1
    assert state["answer"].startswith(TINY_WARNING)


def test_region_question_zooms_then_asks(workbench: Workbench, sample_scene: Path) -> None:
    state, events = ask(build_pipeline(), workbench, sample_scene, "Where are the storage tanks?")
    assert state["granularity"] == "region"
    zooms = [e for e in events if e["event"] == "zoom"]
    assert zooms and len(zooms) == len(state["zoom_steps"])
    (bbox1,) = state["boxes"]
    assert bbox1 == state["zoom_steps"][-1]["window"]
    assert [v["name"] for v in next(e for e in events if e["event"] == "views")["views"]] == [
        "crop1",
        "scene_pooled",
    ]


def test_the_trail_answer_and_database_count_the_same_pixels(
    workbench: Workbench, sample_scene: Path
) -> None:
    state, events = ask(build_pipeline(), workbench, sample_scene, "Where are the storage tanks?")
    looked = LookedAt.of(state["budget"], state["zoom_steps"])
    assert looked is not None and looked.pixels > state["budget"]["views"]["pixels"]
    (views,) = [e for e in events if e["event"] == "views"]
    assert LookedAt.from_dict(views["looked_at"]) == looked
    assert looked.spent() in describe(views)  # views and the zoom's heat maps, not views only
    assert looked.line() in state["answer"]
    with Session(workbench.engine) as session:
        query = session.get(QueryRow, state["query_id"])
        assert query is not None and (query.pixels, query.tokens) == (looked.pixels, looked.tokens)
    zooms = [e for e in events if e["event"] == "zoom"]
    assert zooms and [(z["number"], z["planned"]) for z in zooms] == [
        (i, len(zooms)) for i in range(1, len(zooms) + 1)
    ]
    assert f"(window 1/{len(zooms)})" in describe(zooms[0])


def test_pixel_question_segments_and_stores_polygons(
    workbench: Workbench, sample_scene: Path
) -> None:
    state, events = ask(build_pipeline(), workbench, sample_scene, "Segment the farm fields")
    assert state["granularity"] == "pixel"
    bbox1, bbox2 = state["boxes"]
    assert bbox1[0] <= bbox2[0] and bbox2[2] <= bbox1[2]
    masks = [r for r in state["results"] if r["kind"] == "mask"]
    assert masks, "the tiny decoder still yields at least one thresholded region"
    for mask in masks:
        assert mask["label"] == "field" and mask["wkt"].startswith(("POLYGON", "MULTIPOLYGON"))
        assert mask["area_m2"] > 0
    assert "segmenting" in [e["event"] for e in events]
    assert len(state["result_ids"]) == len(state["results"])
    assert count(workbench, ResultRow) == len(state["results"])


def test_thread_resumes_after_a_restart(settings: Settings, sample_scene: Path) -> None:
    with open_checkpointer(settings) as saver:
        first, _ = ask(build_pipeline(saver), Workbench(settings), sample_scene,
                       "Describe the scene", thread="inv-1")  # fmt: skip
    # A new process: new workbench, new checkpointer on the same file.
    with open_checkpointer(settings) as saver:
        graph = build_pipeline(saver)
        second, _ = ask(graph, Workbench(settings), sample_scene, "Is it rural?", thread="inv-1")
        assert [h["question"] for h in second["history"]] == ["Describe the scene", "Is it rural?"]
        assert second["history"][0]["query_id"] == first["query_id"]
        snapshot = graph.get_state({"configurable": {"thread_id": "inv-1"}})
        assert snapshot.values["question"] == "Is it rural?"


def test_a_retried_store_does_not_store_twice(
    workbench: Workbench, sample_scene: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = db.writes.save_question
    calls = {"n": 0}

    def commits_then_fails_once(engine: Any, record: Any) -> Any:
        saved = real(engine, record)
        calls["n"] += 1
        if calls["n"] == 1:  # the commit landed, but the caller never heard back
            raise DatabaseError("connection lost after commit")
        return saved

    monkeypatch.setattr("tools.storing.save_question", commits_then_fails_once)
    state, _ = ask(build_pipeline(), workbench, sample_scene, "What kind of area is this?")
    assert calls["n"] == 2
    assert count(workbench, QueryRow) == 1 and count(workbench, ResultRow) == 1
    assert state["result_ids"] and state["query_id"] is not None


def test_bad_scene_is_a_readable_error(workbench: Workbench, tmp_path: Path) -> None:
    broken = tmp_path / "broken.tif"
    broken.write_bytes(b"not a tiff")
    with pytest.raises(Exception, match="cannot read scene") as info:
        ask(build_pipeline(), workbench, broken, "where are the aircraft?")
    assert str(broken) in str(info.value)
    assert count(workbench, QueryRow) == 0


@pytest.fixture()
def no_vlm_settings(settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    missing = tmp_path / "no-such-nano.safetensors"
    # gsd: as if the sample's pixels were 1.2 m, so tanks are looked for (at 5 m they are not).
    yield settings.model_copy(update={"model_profile": "nano", "nano_weights": missing, "gsd": 1.2})


def test_nano_without_its_model_says_what_to_do(
    no_vlm_settings: Settings, sample_scene: Path
) -> None:
    with pytest.raises(Exception, match="GEOMAG_MODEL_PROFILE=tiny"):
        ask(build_pipeline(), Workbench(no_vlm_settings), sample_scene, "Where are the tanks?")


@pytest.mark.postgis
def test_postgis_history_and_postgres_checkpoints(shared_models: Path, sample_scene: Path) -> None:
    from tests.conftest import postgis_database

    with postgis_database() as url:
        settings = Settings(data_dir=shared_models, model_profile="tiny", database_url=url)
        with open_checkpointer(settings) as saver:
            first, _ = ask(build_pipeline(saver), Workbench(settings), sample_scene,
                           "Describe the scene", thread="pg-1")  # fmt: skip
        with open_checkpointer(settings) as saver:  # a restart
            wb = Workbench(settings)
            second, _ = ask(build_pipeline(saver), wb, sample_scene, "Is it urban?", thread="pg-1")
            assert [h["query_id"] for h in second["history"]] == [
                first["query_id"],
                second["query_id"],
            ]
            assert count(wb, QueryRow) == 2
            wb.engine.dispose()
