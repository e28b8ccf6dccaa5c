"""The history page under AppTest: the chat's stored results listed, filtered, judged."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from db.engine import create_db_engine
from db.enums import Verdict
from db.models import FeedbackRow


def _history(app: AppTest) -> AppTest:
    app.run()
    return app.switch_page("pages/history.py").run()


def test_the_asked_question_is_listed_with_a_map_and_exports(asked: Any, app: AppTest) -> None:
    _history(app)
    assert not app.exception and not app.error
    listed = set(app.dataframe[0].value["result_id"].tolist())
    assert set(asked.outcome.result_ids) <= listed
    labels = [b.label for b in app.get("download_button")]
    assert labels == ["Export GEOJSON", "Export GPKG", "Export CSV"]


def test_filters_narrow_the_table(asked: Any, app: AppTest) -> None:
    _history(app)
    app.text_input(key="history_filters.label").input("no-such-label")
    app.button[0].click().run()  # the form's submit button
    assert not app.dataframe and any("No stored results" in i.value for i in app.info)
    app.text_input(key="history_filters.label").input("field")
    app.slider(key="history_filters.confidence").set_value(0.0)
    app.button[0].click().run()
    masks = set(asked.outcome.result_ids[1:])  # the first result is the text answer
    assert masks <= set(app.dataframe[0].value["result_id"].tolist())


def test_a_malformed_bounding_box_is_a_readable_error(asked: Any, app: AppTest) -> None:
    _history(app)
    app.text_input(key="history_filters.bbox").input("-99,46,oops")
    app.button[0].click().run()
    assert not app.exception
    assert any("west,south,east,north" in e.value for e in app.error)


def test_accepting_a_result_stores_feedback(asked: Any, app: AppTest, app_env: Any) -> None:
    _history(app)
    rid = asked.outcome.result_ids[-1]
    app.selectbox(key="result_actions.result").set_value(rid).run()  # each result its own form
    accept = next(b for b in app.button if b.label == "Accept")
    accept.click().run()
    assert any(f"accept of result #{rid}" in s.value for s in app.success)
    engine = create_db_engine(app_env["GEOMAG_DATABASE_URL"])
    with Session(engine) as session:
        verdicts = session.scalars(
            select(FeedbackRow.verdict).where(FeedbackRow.result_id == rid)
        ).all()
    engine.dispose()
    assert Verdict.ACCEPT in verdicts


def test_distinct_objects_merge_a_re_asked_question(asked: Any, app: AppTest) -> None:
    from tests.ui.conftest import PIXEL_QUESTION

    app.run()
    # the same question again, searched anew on purpose: stored again (plainly re-asked, the
    # stored answer would be reused and nothing stored)
    app.chat_input[0].set_value(f"{PIXEL_QUESTION} from scratch").run()
    again = app.session_state["conversation.messages"][-1].outcome
    assert again.query_id != asked.outcome.query_id and len(again.result_ids) >= 2
    app.switch_page("pages/history.py").run()
    plain = app.dataframe[0].value
    app.text_input(key="history_filters.label").input("field")
    app.toggle(key="history_filters.distinct").set_value(True)
    app.button[0].click().run()
    assert not app.exception and not app.error
    objects = app.dataframe[0].value
    fields = plain[plain["label"] == "field"]
    assert 0 < len(objects) < len(fields)  # the repeat merged into the first asking's objects
    assert objects["found by queries"].max() >= 2
    assert any("distinct object(s)" in c.value for c in app.caption)


def test_the_judged_result_is_shown_and_its_outline_can_be_corrected(
    asked: Any, app: AppTest, app_env: Any
) -> None:
    from geoalchemy2.shape import to_shape
    from shapely import affinity, wkt

    _history(app)
    rid = asked.outcome.result_ids[-1]  # a mask (the first result is the text answer)
    app.selectbox(key="result_actions.result").set_value(rid).run()
    assert not app.exception
    crops = [i for i in app.get("image") if i.proto.imgs[0].caption.startswith(f"#{rid} ")]
    assert len(crops) == 1  # the crop with its mask, beside the verdict buttons
    box = app.text_area(key=f"result_actions.outline.{rid}")
    moved = affinity.translate(wkt.loads(box.value), xoff=0.0001)
    box.input("POLYGON ((oops")
    next(b for b in app.button if b.label == "Correct").click().run()
    assert any("not WKT" in e.value for e in app.error)
    app.text_area(key=f"result_actions.outline.{rid}").input(moved.wkt)
    next(b for b in app.button if b.label == "Correct").click().run()
    assert any(f"correction of result #{rid}" in s.value for s in app.success)
    engine = create_db_engine(app_env["GEOMAG_DATABASE_URL"])
    with Session(engine) as session:
        rows = session.scalars(
            select(FeedbackRow).where(
                FeedbackRow.result_id == rid, FeedbackRow.verdict == Verdict.CORRECT
            )
        ).all()
        stored = [to_shape(r.geom) for r in rows if r.geom is not None]
    engine.dispose()
    assert any(s.equals_exact(moved, 1e-9) for s in stored)


def test_an_added_object_is_listed_then_rejected_out_of_the_table_with_a_word_on_it(
    asked: Any, app: AppTest
) -> None:
    _history(app)
    app.text_input(key="history.add.label").input("aircraft")
    app.text_input(key="history.add.box").input("10,10,40,30")
    next(b for b in app.button if b.label == "Add object").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    (done,) = [s.value for s in app.success if "Added result #" in s.value]
    rid = int(done.split("#")[1].split(":")[0])
    app.run()  # the table is drawn above the form: the next run lists it
    table = app.dataframe[0].value.set_index("result_id")
    assert table.loc[rid, "origin"] == "analyst" and table.loc[rid, "verdict"] == "accept"

    app.selectbox(key="result_actions.result").set_value(rid).run()
    app.text_input(key=f"result_actions.note.{rid}").input("a shadow, not a plane")
    next(b for b in app.button if b.label == "Reject").click().run()
    assert any(f"reject of result #{rid}" in s.value and "left out" in s.value for s in app.success)
    app.run()
    other = asked.outcome.result_ids[-1]
    app.selectbox(key="result_actions.result").set_value(other).run()
    notes = [t.value for t in app.text_input if t.key and t.key.startswith("result_actions.note")]
    assert notes == [""]  # the next result's form starts empty: no note carried over
    assert rid not in set(app.dataframe[0].value["result_id"].tolist())
    assert any("1 rejected result(s) left out" in c.value for c in app.caption)

    app.toggle(key="history_filters.rejected").set_value(True)
    app.button[0].click().run()
    table = app.dataframe[0].value.set_index("result_id")
    assert table.loc[rid, "verdict"] == "reject"


def test_an_added_object_off_the_scene_is_refused_in_words(asked: Any, app: AppTest) -> None:
    _history(app)
    app.text_input(key="history.add.label").input("aircraft")
    app.text_input(key="history.add.box").input("100000,10,100040,30")
    next(b for b in app.button if b.label == "Add object").click().run()
    assert not app.exception
    assert any("does not lie on the scene" in e.value for e in app.error)
