"""The chat page under AppTest (tiny profile): ask, stream, store, resume; readable errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from agent.answers import TINY_WARNING


def test_tiny_banner_and_the_bundled_sample_on_offer(app: AppTest) -> None:
    app.run()
    assert not app.exception
    assert any("tiny profile" in w.value for w in app.warning)
    (picker,) = app.sidebar.selectbox
    assert any(o.startswith("m_4709963_se_14_1_20200831.tif") for o in picker.options)


def test_a_question_streams_its_steps_and_stores_results(asked: Any) -> None:
    outcome = asked.outcome
    assert asked.errors == []
    assert any(s.startswith("Answered in") for s in asked.statuses)
    assert outcome.granularity == "pixel" and len(outcome.zoom_steps) >= 1
    assert outcome.query_id is not None and len(outcome.result_ids) >= 2
    assert outcome.answer.startswith(TINY_WARNING)
    assert f"Stored as query #{outcome.query_id}" in outcome.answer


def test_the_investigation_is_listed_and_resumes(asked: Any, app: AppTest) -> None:
    thread = asked.outcome.thread_id
    app.run()
    button = app.sidebar.button(key=f"conversation.thread.{thread}")
    scene_name = Path(asked.outcome.scene).name
    assert button.label.startswith(f"{scene_name} · ")  # scene and time, then the question
    assert button.label.endswith("Outline the fields")
    button.click().run()
    assert not app.exception
    assert app.session_state["conversation.thread"] == thread
    bubbles = [m.markdown[0].value for m in app.chat_message if m.markdown]
    assert bubbles[0] == "Outline the fields"
    assert bubbles[1].startswith("[tiny profile]")
    (question_bubble,) = [m for m in app.chat_message if m.name == "user"]
    assert [c.value for c in question_bubble.caption] == [f"on {scene_name}"]  # names its scene
    # the evidence comes back from the database: tabs, the scene with its drawings, the numbers
    assert [t.label for t in app.tabs] == ["Scene", "Map", "Zoom trail", "Results"]
    (resumed,) = [m for m in app.session_state["conversation.messages"] if m.outcome]
    rebuilt, asked_now = resumed.outcome, asked.outcome
    assert rebuilt.rebuilt and rebuilt.query_id == asked_now.query_id
    assert rebuilt.result_ids == asked_now.result_ids
    assert [z.window for z in rebuilt.zoom_steps] == [z.window for z in asked_now.zoom_steps]
    assert [r.wkt_scene is not None for r in rebuilt.results] == [
        r.wkt_scene is not None for r in asked_now.results
    ]
    assert rebuilt.looked_at == asked_now.looked_at
    captions = [c.value for c in app.caption]
    assert any(f"rebuilt from the database (query #{rebuilt.query_id})" in c for c in captions)
    assert len(app.get("image")) >= 1  # the scene overlay (and the zoom thumbnails)


def test_pixels_looked_at_are_one_number_everywhere(asked: Any, ui_data_dir: Path) -> None:
    from sqlalchemy import select

    from db.engine import create_db_engine
    from db.models import QueryRow
    from tools.looked_at import LookedAt

    outcome = asked.outcome
    looked = outcome.looked_at
    assert looked is not None and looked.pixels > 0
    # the answer, the caption (looked.line()), the state's sum and the database agree
    assert looked.line() in outcome.answer
    assert LookedAt.of(outcome.budget, outcome.zoom_steps) == looked
    # the app's own SQLite library: a second one in the process would break the file's locks
    engine = create_db_engine(f"sqlite:///{ui_data_dir / 'geomag.sqlite'}")
    with engine.connect() as c:
        stored = c.execute(
            select(QueryRow.pixels, QueryRow.tokens).where(QueryRow.id == outcome.query_id)
        ).one()
    engine.dispose()
    assert (stored.pixels, stored.tokens) == (looked.pixels, looked.tokens)
    assert looked.line() in asked.captions


def test_an_empty_question_is_a_readable_error(app: AppTest) -> None:
    app.run()
    app.chat_input[0].set_value("   ").run()
    assert not app.exception
    assert any("empty query" in e.value.lower() for e in app.error)


def test_a_corrupt_upload_is_refused_and_not_kept(app: AppTest, ui_data_dir: Path) -> None:
    app.run()
    app.sidebar.file_uploader[0].set_value(("broken.tif", b"II*\x00not a tiff", "image/tiff"))
    app.run()
    assert not app.exception
    (error,) = [e.value for e in app.error]
    assert "Upload refused" in error and "broken.tif" in error and "corrupt" in error
    assert not list((ui_data_dir / "uploads").glob("*broken*"))


def test_a_missing_nano_model_is_a_readable_error_with_the_way_out(
    app: AppTest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GEOMAG_MODEL_PROFILE", "nano")
    monkeypatch.setenv("GEOMAG_NANO_WEIGHTS", str(tmp_path / "no-such-weights.safetensors"))
    monkeypatch.setenv("GEOMAG_GSD", "0.5")  # at the sample's own 5 m nano would not look
    app.run()
    assert any("nano profile" in i.value for i in app.info)
    app.chat_input[0].set_value("Segment the aircraft").run()  # the search needs the weights
    assert not app.exception
    (error,) = [e.value for e in app.error]
    assert "GEOMAG_MODEL_PROFILE=tiny" in error


def test_nano_lists_what_it_knows_before_the_first_question(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEOMAG_MODEL_PROFILE", "nano")
    app.run()
    assert not app.chat_message  # nothing asked yet
    (notice,) = [i.value for i in app.info if "nano profile" in i.value]
    assert "aircraft, oil-storage tanks and cars" in notice


def test_the_heat_map_can_be_laid_under_the_windows(asked: Any, app: AppTest) -> None:
    outcome = asked.outcome
    app.run()
    app.sidebar.button(key=f"conversation.thread.{outcome.thread_id}").click().run()
    key = f"evidence.heat.{outcome.query_id}"
    before = app.get("image")[0].proto.imgs[0].url
    app.toggle(key=key).set_value(True).run()
    assert not app.exception
    assert not [w.value for w in app.warning if "heat map is unavailable" in w.value]
    maps = app.session_state[f"{key}.maps"]
    assert next(iter(maps)) == outcome.zoom_steps[0].looked_at.as_tuple()
    assert all(h.values.max() > 0 for h in maps.values())
    assert "PSC heat" in app.get("image")[0].proto.imgs[0].caption
    assert app.get("image")[0].proto.imgs[0].url != before  # the overlay image changed


def test_the_results_tab_has_lat_lon_and_rounded_numbers(asked: Any) -> None:
    from ui.components.evidence import results_frame

    frame = results_frame(asked.outcome)
    masks = frame[frame["kind"] == "mask"]
    assert len(masks) >= 1 and masks["lat"].notna().all() and masks["lon"].notna().all()
    assert masks["lat"].between(46.9, 47.2).all() and masks["lon"].between(-99.3, -98.9).all()
    assert all(round(v, 2) == v for v in masks["confidence"])
    assert all(round(v, 1) == v for v in masks["area m²"])


def test_the_scene_is_previewed_before_the_first_question(app: AppTest) -> None:
    app.run()
    assert not app.chat_message
    (preview,) = app.get("image")
    caption = preview.proto.imgs[0].caption
    assert caption.startswith("m_4709963_se_14_1_") and " px · " in caption and "EPSG" in caption
    assert any(c.value.startswith("`m_4709963_se_14_1_") for c in app.sidebar.caption)


def _stored_rows(database_url: str, query_id: int) -> list[tuple[object, ...]]:
    """A stored question's query and result rows, as values comparable across databases."""
    from sqlalchemy import select

    from db.engine import create_db_engine
    from db.models import QueryRow, ResultRow

    engine = create_db_engine(database_url)
    with engine.connect() as c:
        query = c.execute(
            select(QueryRow.text, QueryRow.granularity, QueryRow.pixels, QueryRow.tokens).where(
                QueryRow.id == query_id
            )
        ).one()
        results = c.execute(
            select(
                ResultRow.kind, ResultRow.label, ResultRow.confidence, ResultRow.area_m2,
                ResultRow.x0, ResultRow.y0, ResultRow.x1, ResultRow.y1,
            )
            .where(ResultRow.query_id == query_id)
            .order_by(ResultRow.id)
        ).all()  # fmt: skip
    engine.dispose()
    return [tuple(query)] + [tuple(r) for r in results]


def test_the_app_and_the_cli_store_the_same_rows(
    asked: Any, ui_data_dir: Path, tmp_path: Path
) -> None:
    """One session API behind both: the same question stores the same rows (own databases)."""
    import json
    import os
    import shutil
    import subprocess
    import sys

    from tests.ui.conftest import PIXEL_QUESTION

    exe = shutil.which("geomag", path=str(Path(sys.executable).parent))
    assert exe
    database = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    env = {
        **os.environ,
        "GEOMAG_DATA_DIR": str(ui_data_dir),  # the same tiny models; a database of its own
        "GEOMAG_DATABASE_URL": database,
        "GEOMAG_MODEL_PROFILE": "tiny",
    }
    cli = subprocess.run(
        [exe, "ask", asked.outcome.scene, PIXEL_QUESTION, "--json"],
        capture_output=True, text=True, env=env, timeout=600, check=True,
    )  # fmt: skip
    record = json.loads(cli.stdout)
    app_rows = _stored_rows(f"sqlite:///{ui_data_dir / 'geomag.sqlite'}", asked.outcome.query_id)
    cli_rows = _stored_rows(database, record["query_id"])
    assert len(app_rows) > 2 and cli_rows == app_rows
    assert record["answer"].splitlines()[:-1] == asked.outcome.answer.splitlines()[:-1]


def test_zoom_windows_reach_the_step_box_while_the_search_runs(
    app: AppTest, monkeypatch: pytest.MonkeyPatch, shared_data: Path, tmp_path: Path
) -> None:
    """Live progress: nano's plan and windows are shown as they are read, not after the search."""
    import tools.capabilities.nano as nano_capability
    from ui.components import step_trail

    scene = shared_data / "airbus-aircraft" / "train" / "014de911-7810-4f7d-8967-3e5402209f4a.jpg"
    monkeypatch.setenv("GEOMAG_MODEL_PROFILE", "nano")
    monkeypatch.setenv("GEOMAG_APP_SCENE", str(scene))
    monkeypatch.setenv("GEOMAG_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GEOMAG_DATABASE_URL", f"sqlite:///{tmp_path / 'nano.sqlite'}")
    searching = {"now": False}
    real_search = nano_capability.search_scene

    def watched_search(*args: Any, **kwargs: Any) -> Any:
        searching["now"] = True
        try:
            return real_search(*args, **kwargs)
        finally:
            searching["now"] = False

    shown: list[tuple[str, bool]] = []
    real_show = step_trail.StepTrail.__call__

    def watched_show(self: Any, event: Any) -> None:
        shown.append((event.kind, searching["now"]))
        real_show(self, event)

    monkeypatch.setattr(nano_capability, "search_scene", watched_search)
    monkeypatch.setattr(step_trail.StepTrail, "__call__", watched_show)
    app.run()
    app.chat_input[0].set_value("how many aircraft are there?").run()
    assert not app.exception and not app.error
    assert ("search", True) in shown  # where it will read, said before reading
    live = [kind for kind, during in shown if kind == "zoom" and during]
    assert live, f"no zoom window reached the step box during the search: {shown}"
    assert ("zoom", False) not in shown  # every window was shown while the search ran
    steps = [m.value for m in app.markdown if m.value.startswith("- ✓ Zoom 1 (window 1/")]
    assert steps and "read " in steps[0]


def test_a_follow_up_in_the_chat_is_answered_from_the_stored_rows(
    asked: Any, app: AppTest, ui_data_dir: Path
) -> None:
    """The investigation goes on in the app: a filter on the last answer, nothing stored."""
    from sqlalchemy import func, select

    from db.engine import create_db_engine
    from db.models import QueryRow, ResultRow

    outcome = asked.outcome
    engine = create_db_engine(f"sqlite:///{ui_data_dir / 'geomag.sqlite'}")

    def stored() -> tuple[int, list[tuple[int, float]]]:
        with engine.connect() as c:
            queries = int(c.scalar(select(func.count()).select_from(QueryRow)) or 0)
            masks = c.execute(
                select(ResultRow.id, ResultRow.area_m2).where(
                    ResultRow.query_id == outcome.query_id, ResultRow.kind == "mask"
                )
            ).all()
        return queries, [(int(i), float(a)) for i, a in masks]

    before, masks = stored()
    app.run()
    app.sidebar.button(key=f"conversation.thread.{outcome.thread_id}").click().run()
    app.chat_input[0].set_value("how many of them are larger than 500 m²?").run()
    assert not app.exception and not app.error
    answer = app.session_state["conversation.messages"][-1].outcome
    assert answer.plan is not None and answer.plan.signature() == "followup|area>500|count"
    expected = sorted(i for i, area in masks if area > 500)
    assert sorted(answer.result_ids) == expected
    assert f"Count: {len(expected)} " in answer.answer
    assert answer.answer.startswith(TINY_WARNING)  # random-weight results stay labelled
    steps = [m.value for m in app.markdown if "Answering from stored results" in m.value]
    assert steps and "filter(previous, area > 500 m²) → count" in steps[0]
    assert stored()[0] == before  # nothing stored
    engine.dispose()


def test_compare_history_and_describe_in_the_chat(app: AppTest, ui_data_dir: Path) -> None:
    """Two dates of the NAIP tile in one investigation: compared side by side, the scene with
    the most water named, the tile's footprint searched across dates — every count from the
    rows, nothing stored. (Describing is the VLM's on this profile: tested with nano.)"""
    from sqlalchemy import func, select

    from db.engine import create_db_engine
    from db.models import QueryRow, ResultRow, SceneRow
    from ui.components.scene_picker import CHOICE_KEY

    engine = create_db_engine(f"sqlite:///{ui_data_dir / 'geomag.sqlite'}")
    app.run()
    picker = app.sidebar.selectbox(key=CHOICE_KEY)
    samples = Path(__file__).resolve().parents[2] / "samples"
    shown = sorted(str(o).split()[0] for o in picker.options if "(sample)" in str(o))[:2]
    tiles = [str(samples / name) for name in shown]
    assert len(tiles) == 2, picker.options
    asked = []
    for tile in tiles:
        app.sidebar.selectbox(key=CHOICE_KEY).set_value(tile).run()
        app.chat_input[0].set_value("outline the water").run()
        assert not app.exception and not app.error
        asked.append(app.session_state["conversation.messages"][-1].outcome)
    with engine.connect() as c:
        n = [
            int(c.scalar(select(func.count()).select_from(ResultRow).where(
                ResultRow.query_id == o.query_id, ResultRow.kind == "mask")) or 0)
            for o in asked
        ]  # fmt: skip
        queries = int(c.scalar(select(func.count()).select_from(QueryRow)) or 0)
    names = [Path(t).name for t in tiles]

    app.chat_input[0].set_value("compare the water in the two scenes").run()
    compared = app.session_state["conversation.messages"][-1].outcome
    assert compared.plan is not None and compared.plan.signature() == "compare|label=water|count"
    for name, count in zip(names, n, strict=True):
        assert f"| {name} | {count} |" in compared.answer
    assert any("| scene | water |" in m.value for m in app.markdown)  # shown as a table

    app.chat_input[0].set_value("which scene had the most water?").run()
    most = app.session_state["conversation.messages"][-1].outcome
    assert most.plan is not None and most.plan.group == "scene"
    assert f"({max(n)} object(s)" in most.answer

    app.chat_input[0].set_value("how many water regions are stored inside this scene's footprint?")
    app.run()
    footprint = app.session_state["conversation.messages"][-1].outcome
    assert footprint.plan is not None
    assert footprint.plan.signature() == "history|label=water|footprint|count"
    with engine.connect() as c:  # every water shape stored on the tile's dates, any question
        water = int(
            c.scalar(
                select(func.count())
                .select_from(ResultRow)
                .join(QueryRow, QueryRow.id == ResultRow.query_id)
                .join(SceneRow, SceneRow.id == QueryRow.scene_id)
                .where(ResultRow.label == "water", ResultRow.kind != "answer")
                .where(SceneRow.uri.contains("m_4709963_se_14_1_"))
            )
            or 0
        )
    assert water >= sum(n) and f"({water} stored result(s)" in footprint.answer
    assert footprint.answer.startswith(TINY_WARNING)  # random-weight results stay labelled
    assert not app.exception and not app.error
    with engine.connect() as c:
        assert int(c.scalar(select(func.count()).select_from(QueryRow)) or 0) == queries
    engine.dispose()


def test_an_object_added_on_the_scene_tab_is_drawn_there(app: AppTest) -> None:
    from tests.ui.conftest import PIXEL_QUESTION

    app.run()
    app.chat_input[0].set_value(f"{PIXEL_QUESTION}, searched from scratch").run()
    outcome = app.session_state["conversation.messages"][-1].outcome
    assert outcome.query_id is not None
    before = app.get("image")[0].proto.imgs[0]
    key = f"scene_add.{outcome.query_id}"
    app.text_input(key=f"{key}.label").input("field")
    app.text_input(key=f"{key}.box").input("20,20,120,90")
    next(b for b in app.button if b.label == "Add object").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert any("Added result #" in s.value for s in app.success)
    app.run()
    after = app.get("image")[0].proto.imgs[0]
    assert "your added objects in green" in after.caption and after.url != before.url
