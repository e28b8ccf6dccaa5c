from __future__ import annotations

import pytest

from geomag_core.nano.classes import NANO_CLASSES, class_named, known_list, scene_gsd
from geomag_core.nano.vocabulary import read_question
from geomag_core.scene import Scene


@pytest.mark.parametrize(
    ("question", "known", "unknown"),
    [
        ("how many aircraft are there?", ["aircraft"], []),
        ("where are the planes parked?", ["aircraft"], []),
        ("Count the storage tanks in this refinery", ["oil-storage tank"], []),
        ("are there any oil tanks?", ["oil-storage tank"], []),
        ("count the cars", ["car"], []),
        ("segment all ships", [], ["ships"]),
        ("outline the water", [], ["water"]),
        ("find every helicopter", [], ["helicopters"]),
        ("Count the aircraft and the boats", ["aircraft"], ["ships"]),
        ("how many jets are on the apron?", ["aircraft"], []),  # the apron is context
        ("segment the airport", [], ["airports"]),  # …unless it is what is asked for
        ("locate all the zeppelins here", [], ["zeppelins"]),
        ("what kind of area is this?", [], []),
        ("'; DROP TABLE results; --", [], []),
        ("\x00\x1b[31m segment the cranes", [], ["cranes"]),
    ],
)
def test_questions_are_read_for_known_and_unknown_classes(
    question: str, known: list[str], unknown: list[str]
) -> None:
    asked = read_question(question)
    assert [c.name for c in asked.known] == known
    assert asked.unknown == unknown


def test_vehicles_are_searched_as_cars_with_a_caveat() -> None:
    asked = read_question("how many vehicles are on the road?")
    assert [c.name for c in asked.known] == ["car"]
    assert asked.caveats and "not trucks" in asked.caveats[0]


def test_a_huge_question_is_bounded() -> None:
    asked = read_question("segment the " + "x" * 100_000)
    assert not asked.known and all(len(u) <= 41 for u in asked.unknown)
    asked = read_question("segment the " + "ships " * 100_000)
    assert asked.unknown == ["ships"]


def test_the_size_rule_uses_metres() -> None:
    aircraft = class_named("aircraft")
    assert aircraft.plausible((0, 0, 80, 60), 0.5)  # 40 m
    assert not aircraft.plausible((0, 0, 30, 20), 5.0)  # 150 m: a pond at NAIP's 5 m
    assert not aircraft.plausible((0, 0, 10, 10), 0.5)  # 5 m: a fragment or a car
    car = class_named("car")
    assert car.plausible((0, 0, 35, 15), 0.13) and not car.plausible((0, 0, 35, 15), 0.5)
    assert known_list() == "aircraft, oil-storage tanks and cars"
    assert len({c.name for c in NANO_CLASSES}) == 3


def test_scenes_at_another_scale_are_read_at_the_training_scale() -> None:
    aircraft, car = class_named("aircraft"), class_named("car")
    assert aircraft.reading_scale(0.5) == 1.0 and aircraft.reading_scale(0.55) == 1.0
    assert aircraft.reading_scale(1.0) == pytest.approx(2.0)  # magnified: objects were smaller
    assert aircraft.reading_scale(0.3) == pytest.approx(0.6)  # shrunk: they were larger
    assert car.reading_scale(0.27) == pytest.approx(0.27 / 0.13)  # a DOTA-like car park
    assert car.reading_scale(0.01) == pytest.approx(0.25)  # bounded either way
    assert aircraft.reading_scale(5.0) == pytest.approx(4.0)


def test_scene_gsd_from_the_crs(sample_scene: object) -> None:
    scene = Scene(sample_scene)  # type: ignore[arg-type]
    gsd = scene_gsd(scene)
    assert gsd is not None and gsd == pytest.approx(5.0, rel=0.01)
