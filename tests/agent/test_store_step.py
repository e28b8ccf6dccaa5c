"""Only the store step writes, in one transaction: a change question's dates included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

import db.writes
from agent.session import Session
from db.models import QueryRow, ResultRow
from geomag_core.config import Settings
from geomag_core.errors import ConfigError, DatabaseError
from tools.events import StepEvent, Stored

QUESTION = "how has the water area changed since 2009?"


def _rows(session: Session) -> tuple[int, int]:
    with session.workbench.engine.connect() as c:
        queries = c.scalar(select(func.count()).select_from(QueryRow)) or 0
        results = c.scalar(select(func.count()).select_from(ResultRow)) or 0
    return int(queries), int(results)


@pytest.fixture()
def session(tmp_path: Path) -> Any:
    settings = Settings(
        data_dir=tmp_path, model_profile="nano", database_url=f"sqlite:///{tmp_path / 'h.sqlite'}"
    )
    with Session(settings) as opened:
        yield opened


def test_nothing_is_written_before_the_store_step(session: Session, sample_scene: Path) -> None:
    seen: list[tuple[str, tuple[int, int]]] = []

    def watch(event: StepEvent) -> None:  # the rows in the database as each step happens
        seen.append((event.kind, _rows(session)))

    outcome = session.ask(sample_scene, QUESTION, on_event=watch)
    stored_at = next(i for i, (kind, _) in enumerate(seen) if kind == Stored.kind)
    assert [kind for kind, _ in seen].count("date") == 4  # the four bundled NAIP dates
    assert all(rows == (0, 0) for _, rows in seen[:stored_at])
    queries, results = _rows(session)
    assert queries == 5  # the question and each date's measurement, written together
    assert results > len(outcome.results)
    assert set(outcome.measured.values()) < {outcome.query_id, *outcome.measured.values()}
    assert "| 2009-08-18 |" in outcome.answer and "#" in outcome.answer.split("| 2009-08-18 |")[1]


def test_a_failure_in_the_store_step_leaves_nothing_stored(
    session: Session, sample_scene: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = db.writes._result_rows
    written: list[str] = []

    def fails_on_the_question(record: Any, query_id: int) -> Any:
        if record.query.text == QUESTION:  # the dates were written first, in the same transaction
            raise OperationalError("INSERT", {}, Exception("disk I/O error"))
        written.append(record.query.text)
        return real(record, query_id)

    monkeypatch.setattr(db.writes, "_result_rows", fails_on_the_question)
    with pytest.raises(DatabaseError, match="nothing of it was written"):
        session.ask(sample_scene, QUESTION)
    assert len(written) >= 4  # the dates' rows had been added…
    assert _rows(session) == (0, 0)  # …and were rolled back with the question


def test_the_graph_needs_its_context(sample_scene: Path) -> None:
    from agent.graph import graph

    with pytest.raises(ConfigError, match="needs its context"):
        graph.invoke({"scene": str(sample_scene), "question": "outline the water"})
