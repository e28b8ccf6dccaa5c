"""Outlines grow to objects by a growth measured on training scenes, and the size rule allows
its measured spread: the largest aircraft the project trained on is reported, not refused. The
same calibration measures each class's shape: outlines more elongated than the class's true ones
are refused (tanks asked on an airport: the concourse's oval roof segments)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from geomag_core.errors import CheckpointError
from geomag_core.nano.checkpoint import SHIPPED_WEIGHTS
from geomag_core.nano.classes import class_named
from geomag_core.nano.datasets import load_scenes
from geomag_core.nano.matching import match_pairs
from geomag_core.nano.outlines import OutlineScale, elongation, read_outlines, write_outlines
from geomag_core.nano.predictor import NanoModel
from geomag_core.nano.search import search_scene
from geomag_core.scene import Scene


def test_the_size_rule_refuses_only_what_no_measured_growth_makes_possible() -> None:
    aircraft = class_named("aircraft")
    measured = OutlineScale(grow=1.38, low=1.05, high=1.82, pairs=600)
    box = (0, 0, 260, 120)  # 130 m at 0.5 m: a widebody's outline grown past 120 m
    assert not aircraft.plausible(box, 0.5)  # the hard rule refuses it
    assert aircraft.plausible(box, 0.5, measured.spread)  # the object may be 0.76 × as long
    assert not aircraft.plausible((0, 0, 320, 100), 0.5, measured.spread)  # 160 m: never
    assert OutlineScale.fixed(1 / 0.7).spread == (1.0, 1.0)


def test_a_calibration_is_read_back_beside_its_weights(tmp_path: Path) -> None:
    weights = tmp_path / "nano.safetensors"
    assert read_outlines(weights) == {}
    scales = {
        "aircraft": OutlineScale(1.38, 1.05, 1.82, 639, elongation=2.1),
        "car": OutlineScale(1.04, 0.8, 1.3, 400),  # measured before the shape rule: none
    }
    path = write_outlines(weights, scales, {"split": "train"})
    assert path.name == "nano.outlines.json" and read_outlines(weights) == scales


def test_elongation_is_the_ratio_of_a_masks_axes_whatever_its_size_or_orientation() -> None:
    rows, cols = np.mgrid[:101, :101]
    disc = (rows - 50) ** 2 + (cols - 50) ** 2 <= 45**2
    assert elongation(disc) == pytest.approx(1.0, abs=0.02)
    bar = np.zeros((60, 60), bool)
    bar[20:40, 10:50] = True  # 40 × 20
    assert elongation(bar) == pytest.approx(2.0, rel=0.02)
    assert elongation(bar.T) == pytest.approx(2.0, rel=0.02)
    diagonal = np.abs(rows - cols) <= 7  # a band along the diagonal: long and thin
    assert elongation(diagonal) > 5
    assert elongation(np.eye(1, dtype=bool)) == 1.0  # one pixel
    small = np.zeros((5, 5), bool)
    small[1:4, 1:4] = True
    assert elongation(small) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        '{"classes": {"aircraft": {"grow": 1.4, "sides": 2}}}',
        '{"classes": {"tank": {"grow": 1.4, "low": 1.6, "high": 1.8}}}',
        '{"classes": {"tank": {"grow": 1.4, "low": 1.1, "high": 1.8, "elongation": 0.5}}}',
        '{"classes": {"tank": {"grow": 1.4, "low": 1.1, "high": 1.8, "elongation": "1.7"}}}',
        '{"classes": {"tank": {"grow": "1.4", "low": 1.1, "high": 1.8}}}',
        "[]",
    ],
)
def test_a_corrupt_calibration_names_the_file_and_the_command_that_remakes_it(
    tmp_path: Path, text: str
) -> None:
    weights = tmp_path / "nano.safetensors"
    (tmp_path / "nano.outlines.json").write_text(text)
    with pytest.raises(CheckpointError) as err:
        read_outlines(weights)
    assert "nano.outlines.json" in str(err.value)
    assert "geomag train nano-outlines" in str(err.value)


def test_without_a_calibration_outlines_grow_by_the_recipe(random_model: NanoModel) -> None:
    assert random_model.outline_scale("aircraft").grow == pytest.approx(
        1 / random_model.shrink_for("aircraft")
    )


def test_the_largest_aircraft_of_the_training_split_is_reported(shared_data: Path) -> None:
    model = NanoModel.load()
    scale = read_outlines(SHIPPED_WEIGHTS)["aircraft"]  # the shipped weights are calibrated
    assert scale.pairs > 100 and scale.low < scale.grow < 1 / 0.7 < scale.high
    assert model.outline_scale("aircraft") == scale
    aircraft = class_named("aircraft")
    scenes = load_scenes(shared_data, "aircraft", "train")
    _, scene, box = max((max(b.x1 - b.x0, b.y1 - b.y0), s, b) for s in scenes for b in s.boxes)
    assert max(box.x1 - box.x0, box.y1 - box.y0) * aircraft.gsd_m > 110  # a widebody's box
    found = search_scene(model, Scene(scene.path), aircraft, gsd_m=aircraft.gsd_m)
    truth = [box.as_tuple()]
    assert match_pairs([f.box for f in found.instances], truth, 0.5)  # found and reported
    assert not match_pairs([f.box for f in found.implausible], truth, 0.3)  # never refused


def test_the_shape_rule_refuses_only_outlines_more_elongated_than_the_class_measured(
    shared_data: Path,
) -> None:
    """Tanks asked on training airports: what is refused for shape is elongated, what is reported
    is not, and the calibration keeps nearly every true tank (its 99th percentile)."""
    model = NanoModel.load()
    scales = read_outlines(SHIPPED_WEIGHTS)
    for name, scale in scales.items():  # only a round class has a shape rule
        rule = scale.elongation
        assert (rule is not None and 1.0 < rule < 3.0) if class_named(name).round else rule is None
    tank = class_named("oil-storage tank")
    limit = model.outline_scale(tank.name).elongation
    assert limit is not None and limit == scales[tank.name].elongation
    refused = 0
    for scene in load_scenes(shared_data, "aircraft", "train")[:6]:
        found = search_scene(model, Scene(scene.path), tank, gsd_m=tank.gsd_m)
        assert all(elongation(f.mask.mask) <= limit for f in found.instances)
        assert all(elongation(f.mask.mask) > limit for f in found.misshapen)
        spread = model.outline_scale(tank.name).spread
        assert all(tank.plausible(f.box, tank.gsd_m, spread) for f in found.misshapen)
        refused += len(found.misshapen)
    assert refused > 0
