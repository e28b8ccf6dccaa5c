"""``geomag train nano --feedback``: a tiny run on a miniature data folder and a real history.

The verdicts are stored through the real writes in the test's database
(``GEOMAG_DATABASE_URL``); the data sets are the seeded miniature of ``tests/data/nano_sets.py``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from shapely.geometry import box

from agent.cli.main import main
from db.engine import create_db_engine
from db.enums import ResultKind, Verdict
from db.feedback import add_object, save_feedback
from db.history import HistoryFilter, find_all_results
from db.records import ResultFacts, SceneFacts
from db.writes import save_question
from geomag_core.boxes import PixelBox
from geomag_core.nano.checkpoint import load_head
from tests.data.history import question, utc
from tests.data.nano_sets import write_nano_sets
from tests.data.rasters import pattern, write_plain_image

#: An airport of the aircraft validation split (geomag_core/nano/data/airbus_split.json).
VAL_AIRPORT = "11928d1c-44c7-4d3d-b593-9cdfd5f6f367.jpg"


def stored_scene(path: Path) -> SceneFacts:
    return SceneFacts(
        uri=str(path),
        content_hash=hashlib.sha256(path.read_bytes()).hexdigest(),
        width=320,
        height=320,
        bands=3,
    )


def mask(tag: str, label: str, x0: int, y0: int, x1: int, y1: int) -> ResultFacts:
    return ResultFacts(
        kind=ResultKind.MASK,
        label=label,
        text=tag,
        confidence=0.7,
        geometry_scene=box(x0, y0, x1, y1),
        pixel_box=PixelBox(x0, y0, x1, y1),
    )


@pytest.fixture
def history(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Two judged scenes (one a validation airport) in the test's database."""
    monkeypatch.setenv("GEOMAG_DATABASE_URL", database_url)
    assert main(["db", "upgrade"]) == 0
    engine = create_db_engine(database_url)
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    for i, name in enumerate(["judged-airport.jpg", VAL_AIRPORT]):
        path = write_plain_image(scenes / name, pattern(3, 320, 320, "uint8", seed=40 + i))
        results = [
            mask(f"{i}-good", "aircraft", 40, 40, 80, 70),
            mask(f"{i}-bad", "aircraft", 200, 200, 230, 220),
            mask(f"{i}-open", "aircraft", 100, 250, 130, 280),
            mask(f"{i}-shed", "hangar", 150, 20, 250, 90),
        ]
        asked = question(stored_scene(path), "count the aircraft", utc(2024, 5, 1 + i), results)
        save_question(engine, asked)
        add_object(engine, name, "aircraft", pixels=box(250, 40, 290, 80))
    ids = {
        r.text: r.result_id for r in find_all_results(engine, HistoryFilter(include_rejected=True))
    }
    for i in range(2):
        save_feedback(engine, ids[f"{i}-good"], Verdict.ACCEPT)
        save_feedback(engine, ids[f"{i}-bad"], Verdict.REJECT)
        save_feedback(engine, ids[f"{i}-shed"], Verdict.ACCEPT)
    save_feedback(engine, ids["0-open"], Verdict.CORRECT, pixels=box(98, 248, 134, 284))
    engine.dispose()
    return database_url


@pytest.mark.slow
@pytest.mark.parametrize("dialect", ["spatialite"])  # a training run: once is enough
def test_a_tiny_run_with_feedback_records_it_in_the_weights_and_warns_of_validation_scenes(
    history: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shared = write_nano_sets(tmp_path / "shared")
    out = tmp_path / "nano.safetensors"
    argv = ["train", "nano", "--data", str(shared), "--steps", "50", "--crops-scale", "0.01"]
    code = main([*argv, "--feedback", "--feedback-negative-crops", "2", "--out", str(out)])
    printed = " ".join(capsys.readouterr().out.split())
    assert code == 0, printed
    _, meta = load_head(out)
    feedback = json.loads(meta["feedback"])
    assert feedback["verdicts"] == {"accept": 2, "correct": 1, "add": 2, "reject": 2}
    assert feedback["scenes"] == 2 and set(feedback["by_class"]) == {"aircraft"}
    assert feedback["ignored"]["not_a_nano_class"] == {"hangar": 2}
    assert feedback["ignored"]["unjudged"] == 1  # the validation airport's "open" result
    assert feedback["not_held_out"] == [
        {"scene": VAL_AIRPORT, "class": "aircraft", "split": "aircraft"}
    ]
    # 20 aircraft crops over 2 training airports: 10 per judged airport, 2 per rejected result
    assert feedback["crops"] == 2 * 10 + 2 * 2 and feedback["hard_negative_crops"] == 4
    assert "analyst feedback: 7 verdicts on 2 scene(s)" in meta["data"]
    assert "NO LONGER HELD OUT" in printed and VAL_AIRPORT in printed
    assert "2 judged result(s) of labels nano does not learn (hangar: 2)" in printed


def test_feedback_without_verdicts_on_nano_classes_is_refused(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEOMAG_DATABASE_URL", database_url)
    shared = write_nano_sets(tmp_path / "shared")
    argv = ["train", "nano", "--data", str(shared), "--feedback", "--out", str(tmp_path / "w")]
    assert main(argv) == 2
    assert not (tmp_path / "w").exists()
