"""The history's verdicts as nano training targets (``agent/cli/feedback_targets.py``).

Results are stored and judged through the real writes (``save_question``, ``save_feedback``,
``add_object``) and read back as ``geomag train nano --feedback`` reads them.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from shapely.geometry import Polygon, box
from sqlalchemy import Engine

from agent.cli.feedback_targets import read_training_feedback
from db.enums import ResultKind, Verdict
from db.feedback import add_object, save_feedback
from db.history import HistoryFilter, find_all_results
from db.records import ResultFacts
from db.writes import save_question
from geomag_core.boxes import PixelBox
from geomag_core.nano.datasets import ObjectBox
from geomag_core.nano.feedback import SceneFeedback
from tests.data.history import SCENE_A, question, utc

#: A scene without a CRS (an Airbus JPEG): its shapes are stored in pixels (x = column, y = row).
JPEG = dataclasses.replace(
    SCENE_A, uri="/data/airport.jpg", content_hash="a" * 64, crs=None, transform=None,
    footprint=None,
)  # fmt: skip
#: SCENE_A's transform: 0.6 m pixels from (500000, 5200000), UTM 14N.
X0, Y0, GSD = 500000.0, 5200000.0, 0.6


def in_pixels(tag: str, label: str, x0: int, y0: int, x1: int, y1: int) -> ResultFacts:
    """A mask result on the JPEG: its outline in scene pixels."""
    return ResultFacts(
        kind=ResultKind.MASK,
        label=label,
        text=tag,
        confidence=0.8,
        geometry_scene=box(x0, y0, x1, y1),
        pixel_box=PixelBox(x0, y0, x1, y1),
    )


def in_utm(tag: str, label: str, x0: int, y0: int, x1: int, y1: int) -> ResultFacts:
    """A mask result on the georeferenced scene: its outline in the scene CRS."""
    utm = Polygon(
        [(X0 + GSD * x, Y0 - GSD * y) for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))]
    )
    return ResultFacts(
        kind=ResultKind.MASK,
        label=label,
        text=tag,
        confidence=0.8,
        geometry_scene=utm,
        pixel_box=PixelBox(x0, y0, x1, y1),
    )


@pytest.fixture
def judged(engine: Engine) -> Engine:
    """Results on two scenes, judged every way an analyst can (and some left unjudged)."""
    save_question(
        engine,
        question(
            JPEG,
            "how many aircraft and cars?",
            utc(2024, 5, 1),
            [
                in_pixels("accepted", "aircraft", 10, 20, 50, 60),
                in_pixels("corrected", "Aircraft ", 100, 100, 140, 150),
                in_pixels("rejected", "aircraft", 300, 300, 330, 320),
                in_pixels("unjudged", "aircraft", 400, 400, 440, 440),
                in_pixels("hangar", "hangar", 500, 500, 600, 600),
                in_pixels("legacy-car", "vehicle", 600, 10, 612, 30),
            ],
        ),
    )
    utm = in_utm("utm", "plane", 100, 200, 130, 240)
    save_question(engine, question(SCENE_A, "count the aircraft", utc(2024, 5, 2), [utm]))

    ids = {
        r.text: r.result_id for r in find_all_results(engine, HistoryFilter(include_rejected=True))
    }
    save_feedback(engine, ids["accepted"], Verdict.ACCEPT)
    save_feedback(engine, ids["corrected"], Verdict.CORRECT, pixels=box(102, 98, 146, 152))
    save_feedback(engine, ids["rejected"], Verdict.ACCEPT)  # the latest verdict counts:
    save_feedback(engine, ids["rejected"], Verdict.REJECT)  # rejected after all
    save_feedback(engine, ids["hangar"], Verdict.ACCEPT)
    save_feedback(engine, ids["legacy-car"], Verdict.ACCEPT)
    save_feedback(engine, ids["utm"], Verdict.ACCEPT)
    add_object(engine, "airport.jpg", "aircraft", pixels=box(700, 700, 760, 750))
    withdrawn = add_object(engine, "airport.jpg", "aircraft", pixels=box(800, 800, 820, 820))
    save_feedback(engine, withdrawn, Verdict.REJECT)
    return engine


def scene_of(scenes: tuple[SceneFeedback, ...], uri: str, name: str) -> SceneFeedback:
    (found,) = [s for s in scenes if s.path == Path(uri) and s.class_name == name]
    return found


def test_accepted_corrected_and_added_objects_are_targets_and_rejected_ones_negatives(
    judged: Engine,
) -> None:
    feedback = read_training_feedback(judged)
    jpeg = scene_of(feedback.scenes, JPEG.uri, "aircraft")
    # the correction's outline, not the model's (100, 100, 140, 150)
    assert set(jpeg.targets) == {
        ObjectBox(10, 20, 50, 60),
        ObjectBox(102, 98, 146, 152),
        ObjectBox(700, 700, 760, 750),
    }
    assert jpeg.negatives == (ObjectBox(300, 300, 330, 320),)
    assert dict(jpeg.verdicts) == {"accept": 1, "correct": 1, "add": 1, "reject": 1}


def test_unjudged_results_withdrawn_additions_and_other_labels_are_left_out_and_counted(
    judged: Engine,
) -> None:
    feedback = read_training_feedback(judged)
    every_box = {b for s in feedback.scenes for b in (*s.targets, *s.negatives)}
    assert ObjectBox(400, 400, 440, 440) not in every_box  # unjudged
    assert ObjectBox(800, 800, 820, 820) not in every_box  # added, then rejected
    assert ObjectBox(500, 500, 600, 600) not in every_box  # a hangar: not a nano class
    assert feedback.unjudged == 1 and feedback.withdrawn == 1
    assert feedback.ignored_labels == {"hangar": 1} and feedback.ignored == 1
    summary = feedback.summary()
    assert summary["ignored"]["not_a_nano_class"] == {"hangar": 1}
    assert summary["verdicts"] == {"accept": 3, "correct": 1, "add": 1, "reject": 1}
    assert summary["scenes"] == 2 and summary["not_held_out"] == []


def test_legacy_labels_count_as_their_class_and_georeferenced_outlines_come_back_in_pixels(
    judged: Engine,
) -> None:
    feedback = read_training_feedback(judged)
    car = scene_of(feedback.scenes, JPEG.uri, "car")  # stored as "vehicle"
    assert car.targets == (ObjectBox(600, 10, 612, 30),)
    utm = scene_of(feedback.scenes, SCENE_A.uri, "aircraft")  # stored as "plane", in UTM
    ((x0, y0, x1, y1),) = [b.as_tuple() for b in utm.targets]
    assert (x0, y0, x1, y1) == pytest.approx((100, 200, 130, 240), abs=1e-6)
    assert {(s.path.name, s.class_name) for s in feedback.scenes} == {
        ("airport.jpg", "aircraft"),
        ("airport.jpg", "car"),
        ("airport.tif", "aircraft"),
    }
