"""The evaluation record beside a model's weights: what the app's quality claims are read from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.cli.output import json_text
from geomag_core.errors import CheckpointError
from geomag_core.evaluation_record import evaluation_path, read_evaluation
from geomag_core.nano.evaluation import ClassScore


def write_record(weights: Path) -> Path:
    """A ``geomag eval nano --json`` record (as that command writes it) beside ``weights``."""
    aircraft = ClassScore(dataset="aircraft")
    # 4 annotated aircraft, 5 reported: 3 match at IoU 0.5
    truth = [(0, 0, 20, 20), (40, 0, 60, 20), (80, 0, 100, 20), (120, 0, 140, 20)]
    found = [*truth[:3], (200, 200, 220, 220), (300, 300, 320, 320)]
    aircraft.add(found, truth, [], 1.0, 0.2)
    cars = ClassScore(dataset="cars")
    cars.add([], [(0, 0, 10, 10)], [], 1.0, 0.1)  # none found, none reported
    record = {
        "classes": {"aircraft": aircraft.as_dict(), "car": cars.as_dict()},
        "cross_class": {},
        "scenes": {},
        "weights": str(weights),
    }
    path = evaluation_path(weights)
    path.write_text(json_text(record) + "\n", encoding="utf-8")
    return path


def test_the_record_gives_recall_and_precision_per_class_at_iou_50(tmp_path: Path) -> None:
    weights = tmp_path / "nano.safetensors"
    path = write_record(weights)
    assert path == tmp_path / "nano.eval.json"
    record = read_evaluation(weights)
    assert record is not None and record.path == path
    aircraft, car = record.classes
    assert (aircraft.name, aircraft.split) == ("aircraft", "val")
    assert aircraft.recall == pytest.approx(3 / 4) and aircraft.precision == pytest.approx(3 / 5)
    assert car.name == "car" and car.recall == 0.0
    assert record.splits == ["val"]


def test_no_record_is_none(tmp_path: Path) -> None:
    assert read_evaluation(tmp_path / "nano.safetensors") is None


@pytest.mark.parametrize(
    "text",
    ["not json", "{}", json.dumps({"classes": {}}), json.dumps({"classes": {"aircraft": {}}})],
    ids=["not-json", "no-classes", "empty", "no-scores"],
)
def test_a_record_that_is_not_one_says_how_to_write_it(tmp_path: Path, text: str) -> None:
    weights = tmp_path / "nano.safetensors"
    evaluation_path(weights).write_text(text, encoding="utf-8")
    with pytest.raises(CheckpointError, match=r"geomag eval nano --json > .*nano\.eval\.json"):
        read_evaluation(weights)


def test_a_share_outside_zero_to_one_is_refused(tmp_path: Path) -> None:
    weights = tmp_path / "nano.safetensors"
    path = write_record(weights)
    record = json.loads(path.read_text())
    record["classes"]["aircraft"]["iou50"]["recall"] = 71.0  # a percentage, not a share
    path.write_text(json.dumps(record))
    with pytest.raises(CheckpointError, match="not a share"):
        read_evaluation(weights)


def test_the_record_says_which_classes_were_not_held_out_and_what_feedback_was_learned(
    tmp_path: Path,
) -> None:
    weights = tmp_path / "nano.safetensors"
    path = write_record(weights)
    record = read_evaluation(weights)
    assert record is not None and record.feedback is None
    assert all(c.held_out for c in record.classes)  # a record from before feedback existed
    data = json.loads(path.read_text())
    data["feedback"] = {"verdicts": {"accept": 3, "correct": 0, "add": 1, "reject": 2}}
    data["classes"]["aircraft"] |= {"held_out": False, "scenes_with_verdicts": ["a.jpg"]}
    data["classes"]["car"] |= {"held_out": True, "scenes_with_verdicts": []}
    path.write_text(json.dumps(data))
    record = read_evaluation(weights)
    assert record is not None and record.feedback == data["feedback"]
    assert [c.held_out for c in record.classes] == [False, True]
