"""The GeoMag pipeline graph on the tiny profile (random weights: plumbing, not quality)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import db.writes
from agent.answers import TINY_WARNING
from agent.session import Session as AskSession
from db.models import QueryRow, ResultRow
from geomag_core.config import Settings
from geomag_core.errors import DatabaseError
from tools.events import StepEvent
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


def ask(wb: Workbench, scene: Path, question: str, thread: str | None = None) -> Any:
    """Ask through the session API; the outcome and events as the JSON edge gives them.

    Each event record also carries ``text``, the trail's line for it; the record carries the
    thread's ``history`` (questions) from the checkpoint.
    """
    events: list[StepEvent] = []
    with AskSession(wb.settings, workbench=wb, max_depth=2) as session:
        outcome = session.ask(scene, question, thread, on_event=events.append)
        history = session.history(outcome.thread_id)
    record = outcome.as_dict() | {"history": [vars(h) for h in history]}
    return record, [e.as_dict() | {"text": e.describe()} for e in events]


def count(wb: Workbench, row: Any) -> int:
    with Session(wb.engine) as session:
        return int(session.scalar(select(func.count()).select_from(row)) or 0)


def test_image_question_takes_the_image_route(workbench: Workbench, sample_scene: Path) -> None:
    state, events = ask(workbench, sample_scene, "What kind of area is this?")
    assert state["granularity"] == "image"
    assert state["zoom_steps"] == [] and state["boxes"] == []
    assert [e["event"] for e in events][:2] == ["scene", "classified"]
    assert state["budget"]["views"]["pixels"] == 100 * 100
    assert [r["kind"] for r in state["results"]] == ["answer"]
    assert state["query_id"] is not None and len(state["result_ids"]) == 1
    assert state["answer"].startswith(TINY_WARNING)


def test_region_question_zooms_then_asks(workbench: Workbench, sample_scene: Path) -> None:
    state, events = ask(workbench, sample_scene, "Where are the storage tanks?")
    assert state["granularity"] == "region"
    zooms = [e for e in events if e["event"] == "zoom"]
    assert zooms and len(zooms) == len(state["zoom_steps"])
    (bbox1,) = state["boxes"]
    assert bbox1 == state["zoom_steps"][-1]["window"]
    assert next(e for e in events if e["event"] == "views")["views"] == ["crop1", "scene_pooled"]


def test_the_trail_answer_and_database_count_the_same_pixels(
    workbench: Workbench, sample_scene: Path
) -> None:
    state, events = ask(workbench, sample_scene, "Where are the storage tanks?")
    looked = LookedAt.from_dict(state["looked_at"])
    assert looked.pixels > state["budget"]["views"]["pixels"]
    (views,) = [e for e in events if e["event"] == "views"]
    assert LookedAt.from_dict(views["looked_at"]) == looked
    assert looked.spent() in views["text"]  # views and the zoom's heat maps, not views only
    assert looked.line() in state["answer"]
    with Session(workbench.engine) as session:
        query = session.get(QueryRow, state["query_id"])
        assert query is not None and (query.pixels, query.tokens) == (looked.pixels, looked.tokens)
    zooms = [e for e in events if e["event"] == "zoom"]
    assert zooms and [(z["number"], z["planned"]) for z in zooms] == [
        (i, len(zooms)) for i in range(1, len(zooms) + 1)
    ]
    assert f"(window 1/{len(zooms)})" in zooms[0]["text"]


def test_pixel_question_segments_and_stores_polygons(
    workbench: Workbench, sample_scene: Path
) -> None:
    state, events = ask(workbench, sample_scene, "Segment the farm fields")
    assert state["granularity"] == "pixel"
    bbox1, bbox2 = state["boxes"]
    assert bbox1[0] <= bbox2[0] and bbox2[2] <= bbox1[2]
    masks = [r for r in state["results"] if r["kind"] == "mask"]
    assert masks, "the tiny decoder still yields at least one thresholded region"
    for mask in masks:
        assert mask["label"] == "field" and mask["wkt"].startswith(("POLYGON", "MULTIPOLYGON"))
        assert mask["length_m"] > 0 and mask["scale"] == "scene CRS"
        assert mask["area_m2"] > 0
    assert "segmenting" in [e["event"] for e in events]
    assert len(state["result_ids"]) == len(state["results"])
    assert count(workbench, ResultRow) == len(state["results"])


def test_thread_resumes_after_a_restart(settings: Settings, sample_scene: Path) -> None:
    first, _ = ask(Workbench(settings), sample_scene, "Describe the scene", thread="inv-1")
    # A new process: new workbench, new session and checkpointer on the same file.
    second, _ = ask(Workbench(settings), sample_scene, "Is it rural?", thread="inv-1")
    assert [h["question"] for h in second["history"]] == ["Describe the scene", "Is it rural?"]
    assert second["history"][0]["query_id"] == first["query_id"]
    with AskSession(settings) as session:
        (old, new) = session.outcomes("inv-1")  # evidence rebuilt from the database, typed
        assert old is not None and new is not None and new.question == "Is it rural?"
        assert [r.kind for r in new.results] == ["answer"] and new.rebuilt


def test_a_retried_store_does_not_store_twice(
    workbench: Workbench, sample_scene: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = db.writes.save_questions
    calls = {"n": 0}

    def commits_then_fails_once(engine: Any, record: Any) -> Any:
        saved = real(engine, record)
        calls["n"] += 1
        if calls["n"] == 1:  # the commit landed, but the caller never heard back
            raise DatabaseError("connection lost after commit")
        return saved

    monkeypatch.setattr("tools.storing.save_questions", commits_then_fails_once)
    state, _ = ask(workbench, sample_scene, "What kind of area is this?")
    assert calls["n"] == 2
    assert count(workbench, QueryRow) == 1 and count(workbench, ResultRow) == 1
    assert state["result_ids"] and state["query_id"] is not None


def test_bad_scene_is_a_readable_error(workbench: Workbench, tmp_path: Path) -> None:
    broken = tmp_path / "broken.tif"
    broken.write_bytes(b"not a tiff")
    with pytest.raises(Exception, match="cannot read scene") as info:
        ask(workbench, broken, "where are the aircraft?")
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
        ask(Workbench(no_vlm_settings), sample_scene, "Where are the tanks?")


@pytest.mark.postgis
def test_postgis_history_and_postgres_checkpoints(shared_models: Path, sample_scene: Path) -> None:
    from tests.conftest import postgis_database

    with postgis_database() as url:
        settings = Settings(data_dir=shared_models, model_profile="tiny", database_url=url)
        first, _ = ask(Workbench(settings), sample_scene, "Describe the scene", thread="pg-1")
        wb = Workbench(settings)  # a restart
        second, _ = ask(wb, sample_scene, "Is it urban?", thread="pg-1")
        assert [h["query_id"] for h in second["history"]] == [
            first["query_id"],
            second["query_id"],
        ]
        assert count(wb, QueryRow) == 2
        wb.engine.dispose()
