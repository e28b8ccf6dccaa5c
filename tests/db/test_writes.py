from __future__ import annotations

import dataclasses
import threading
from typing import Any

import pytest
from shapely.geometry import box
from sqlalchemy import Engine, event, func, select, text

from db.enums import ResultKind, Verdict
from db.feedback import save_feedback
from db.models import FeedbackRow, QueryRow, ResultRow, SceneRow, ZoomStepRow
from db.records import QueryFacts, ResultFacts, SceneFacts
from db.writes import save_question
from geomag_core.errors import DatabaseError
from geomag_core.scene import Scene
from tests.conftest import SAMPLE_SCENE
from tests.data.history import PROBS, SCENE_A, SCENE_B, SEED, located, question, utc
from tests.db.conftest import row_counts

PLANE = located("p", "aircraft", 0.9, box(-99.151, 47.051, -99.150, 47.052))


def test_one_question_stores_every_row(engine: Engine) -> None:
    saved = save_question(engine, SEED[0])
    query_id = saved.query_id
    assert saved.created and len(saved.result_ids) == 3
    counts = row_counts(engine)
    assert counts == {
        "scenes": 1,
        "investigations": 1,
        "queries": 1,
        "zoom_steps": 1,
        "results": 3,
        "feedback": 0,
    }
    with engine.connect() as connection:
        query = connection.execute(select(QueryRow).where(QueryRow.id == query_id)).one()
        labels = connection.scalars(select(ResultRow.label).order_by(ResultRow.id)).all()
        area = connection.scalar(select(ResultRow.area_m2).where(ResultRow.label == "aircraft"))
        wkb = connection.scalar(select(ResultRow.geom_scene_wkb).where(ResultRow.x0.is_not(None)))
    assert query.model_versions == {"classifier": "test-1", "vlm": "tiny"}
    assert (query.pixels, query.tokens, query.p_region) == (1000, 100, 0.6)
    assert labels == ["aircraft", "aircraft", None]  # stored stripped and lower-case
    assert area == pytest.approx(75.6 * 111.3, rel=0.01)  # ~0.001° × 0.001° at 47°N
    assert wkb == box(10, 20, 30, 40).wkb


def test_scenes_and_investigations_are_shared_and_reruns_are_new_queries(engine: Engine) -> None:
    first = save_question(engine, SEED[0]).query_id
    again = save_question(engine, SEED[0]).query_id
    save_question(engine, SEED[1])
    assert again != first
    counts = row_counts(engine)
    assert (counts["scenes"], counts["investigations"], counts["queries"]) == (1, 1, 3)
    with engine.connect() as connection:
        per_query = dict(
            connection.execute(
                select(ResultRow.query_id, func.count()).group_by(ResultRow.query_id)
            ).all()
        )
    assert per_query[first] == per_query[again] == 3


def test_a_retried_request_is_stored_once(engine: Engine) -> None:
    def asked(request_id: str) -> Any:
        query = dataclasses.replace(SEED[0].query, request_id=request_id)
        return dataclasses.replace(SEED[0], query=query)

    first = save_question(engine, asked("req-1"))
    retry = save_question(engine, asked("req-1"))
    other = save_question(engine, asked("req-2"))
    assert first.created and not retry.created and other.created
    assert (retry.query_id, retry.result_ids) == (first.query_id, first.result_ids)
    assert other.query_id != first.query_id
    assert row_counts(engine)["queries"] == 2 and row_counts(engine)["results"] == 6


def test_an_error_after_some_rows_leaves_no_rows(engine: Engine) -> None:
    seen: dict[str, int] = {}

    def fail_mid_way(_mapper: Any, connection: Any, target: ResultRow) -> None:
        if target.text == "plane-2":
            for row in (SceneRow, QueryRow, ZoomStepRow):
                seen[row.__tablename__] = connection.scalar(select(func.count()).select_from(row))
            raise RuntimeError("injected failure")

    event.listen(ResultRow, "before_insert", fail_mid_way)
    try:
        with pytest.raises(RuntimeError, match="injected"):
            save_question(engine, SEED[0])
    finally:
        event.remove(ResultRow, "before_insert", fail_mid_way)
    assert seen == {"scenes": 1, "queries": 1, "zoom_steps": 1}  # written before the failure
    assert set(row_counts(engine).values()) == {0}


def test_a_database_constraint_failure_rolls_back_and_says_so(engine: Engine) -> None:
    bad = located("bad", "aircraft", 0.5, box(0, 0, 1, 1))
    object.__setattr__(bad, "confidence", 1.5)  # past the Python check: the CHECK must catch it
    save_question(engine, SEED[1])
    before = row_counts(engine)
    with pytest.raises(DatabaseError, match="nothing of it was written"):
        save_question(engine, question(SCENE_B, "Find planes", utc(2024, 1, 1), [PLANE, bad]))
    assert row_counts(engine) == before


def test_concurrent_writers_share_one_scene(engine: Engine) -> None:
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(8):
                rec = question(SCENE_A, f"q{n}-{i}", utc(2024, 1, 1), [PLANE], thread="t-shared")
                save_question(engine, rec)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    counts = row_counts(engine)
    assert (counts["scenes"], counts["investigations"], counts["queries"]) == (1, 1, 24)


def test_feedback_accept_reject_and_correct(engine: Engine) -> None:
    save_question(engine, SEED[0])
    with engine.connect() as connection:
        result_id = connection.scalar(select(func.min(ResultRow.id)))
    assert result_id is not None
    save_feedback(engine, result_id, Verdict.ACCEPT, analyst="ana")
    save_feedback(engine, result_id, Verdict.REJECT, note="a shadow")
    save_feedback(engine, result_id, Verdict.CORRECT, pixels=box(12, 22, 31, 41))
    with engine.connect() as connection:
        verdicts = connection.scalars(select(FeedbackRow.verdict).order_by(FeedbackRow.id)).all()
        has_geom = connection.scalars(
            select(FeedbackRow.geom.is_not(None)).order_by(FeedbackRow.id)
        ).all()
    assert verdicts == [Verdict.ACCEPT, Verdict.REJECT, Verdict.CORRECT]
    assert [bool(g) for g in has_geom] == [False, False, True]
    with pytest.raises(DatabaseError, match="corrected outline"):
        save_feedback(engine, result_id, Verdict.CORRECT)
    with pytest.raises(DatabaseError, match="no result 999"):
        save_feedback(engine, 999, Verdict.ACCEPT)


def test_a_real_scene_and_a_pixel_space_scene(engine: Engine, tmp_path: Any) -> None:
    real = SceneFacts.from_scene(Scene(SAMPLE_SCENE))
    pixel_only = dataclasses.replace(
        real, uri="photo.png", content_hash="0" * 64, crs=None, transform=None, footprint=None
    )
    save_question(engine, question(real, "What is here?", utc(2024, 1, 1), []))
    save_question(engine, question(pixel_only, "What is here?", utc(2024, 1, 1), []))
    with engine.connect() as connection:
        rows = connection.execute(
            select(SceneRow.crs, SceneRow.acquired, SceneRow.footprint.is_(None)).order_by(
                SceneRow.id
            )
        ).all()
        inside = connection.scalar(
            text(
                "SELECT count(*) FROM scenes WHERE ST_Intersects(footprint, "
                "ST_GeomFromText('POINT(-99.15 47.02)', 4326)) = 1"
                if engine.dialect.name == "sqlite"
                else "SELECT count(*) FROM scenes WHERE ST_Intersects(footprint, "
                "ST_GeomFromText('POINT(-99.15 47.02)', 4326))"
            )
        )
    assert [(r[0], str(r[1]), bool(r[2])) for r in rows] == [
        ("EPSG:26914", "2020-08-31", False),
        (None, "2020-08-31", True),
    ]
    assert inside == 1


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ResultFacts(kind=ResultKind.BOX, label="x"), "needs a geometry"),
        (lambda: located("x", "x", 1.2, box(0, 0, 1, 1)), r"outside \[0, 1\]"),
        (lambda: located("x", "x", 0.5, box(500000, 5e6, 500010, 5e6 + 10)), "WGS84"),
        (
            lambda: QueryFacts(
                text="q", granularity="region", probabilities={**PROBS, "pixel": 0.9}
            ),
            "sum to 1",
        ),
        (lambda: question(SCENE_A, "q", utc(2024, 1, 1).replace(tzinfo=None), []), "aware"),
    ],
)
def test_bad_records_are_refused_with_a_reason(make: Any, message: str) -> None:
    with pytest.raises(DatabaseError, match=message):
        make()
