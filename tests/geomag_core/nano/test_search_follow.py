"""auto follows what it finds: blocks next to a group of found objects are read too.

The heat of a coarse overview covers a tank farm only in part; the tanks found at native
resolution say where the rest of the farm is. A block is read when at least three found
objects are around it, then the blocks around what that finds, until nothing more is found.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from geomag_core.boxes import PixelBox
from geomag_core.nano.classes import class_named
from geomag_core.nano.datasets import load_scenes
from geomag_core.nano.matching import box_iou, match_pairs
from geomag_core.nano.predictor import NanoModel
from geomag_core.nano.search import AutoSearch, ReadMap, blocks_next_to, search_scene
from geomag_core.psc.heatmap import HeatMap
from geomag_core.psc.windows import ScoredWindow
from geomag_core.scene import Scene

REGION = PixelBox(0, 0, 1200, 1200)


def _tank(cx: float, cy: float) -> tuple[float, float, float, float]:
    return (cx - 8, cy - 8, cx + 8, cy + 8)


def test_a_block_is_followed_only_next_to_a_group_of_finds() -> None:
    read = ReadMap(REGION)
    three = [_tank(250, 250), _tank(270, 230), _tank(230, 280)]  # in block (row 2, col 2)
    squares = blocks_next_to(three, REGION, 100, 3, read)
    # The block they lie in and its eight neighbours, each with three votes.
    assert len(squares) == 9
    assert PixelBox(200, 200, 300, 300) in squares
    assert {s.as_tuple() for s in squares} == {
        (x, y, x + 100, y + 100) for x in (100, 200, 300) for y in (100, 200, 300)
    }
    # Two finds are not a group; one lone find (a round pond) costs nothing.
    assert blocks_next_to(three[:2], REGION, 100, 3, read) == []
    assert blocks_next_to(three[:1], REGION, 100, 1, read) != []


def test_read_blocks_and_blocks_outside_the_region_are_not_followed() -> None:
    read = ReadMap(REGION)
    read.mark(PixelBox(0, 0, 200, 100))  # the first two blocks of the top row were read
    corner = [_tank(50, 50), _tank(60, 40), _tank(40, 60)]  # in the corner block
    squares = blocks_next_to(corner, REGION, 100, 3, read)
    # Of the corner's neighbours: none above or left of the scene, none already read.
    assert [s.as_tuple() for s in squares] == [(0, 100, 100, 200), (100, 100, 200, 200)]
    assert read.share(PixelBox(0, 0, 100, 100)) == 1.0
    assert read.share(PixelBox(0, 50, 100, 150)) == pytest.approx(0.5, abs=0.1)
    assert read.share(PixelBox(600, 600, 700, 700)) == 0.0


class Recorder:
    """The search's plans and reads, in order."""

    def __init__(self) -> None:
        self.plans: list[tuple[str, int]] = []
        self.reads: list[tuple[int, int, PixelBox]] = []  # (number, planned so far, box)

    def planned(self, heat: HeatMap | None, decision: str, windows: int) -> None:
        self.plans.append((decision, windows))

    def zoomed(self, depth: int, region: PixelBox, heat: HeatMap, score: float) -> None:
        pass

    def read(self, number: int, window: ScoredWindow | None, box: PixelBox) -> None:
        self.reads.append((number, self.plans[-1][1], box))


@pytest.fixture(scope="module")
def model() -> NanoModel:
    return NanoModel.load(None, device="cpu")  # the shipped weights


def test_following_the_finds_reads_on_through_a_tank_farm_and_finds_more_tanks(
    model: NanoModel, shared_data: Path
) -> None:
    # A training scene with a farm of 300 tanks that the overview's heat covers in part.
    (labelled,) = [
        s
        for s in load_scenes(shared_data, "oil-storage", "train")
        if s.path.name.startswith("22555a1d")
    ]
    truth = [b.as_tuple() for b in labelled.boxes]
    tank = class_named("oil-storage tank")
    plain = search_scene(model, Scene(labelled.path), tank, gsd_m=1.2, search=AutoSearch(follow=0))
    trail = Recorder()
    followed = search_scene(
        model, Scene(labelled.path), tank, gsd_m=1.2, search=AutoSearch(), progress=trail
    )

    def true(found: list) -> int:  # type: ignore[type-arg]
        return len(match_pairs([f.box for f in found], truth, 0.5))

    # The same plan, then more blocks: said in the decision, numbered on in the trail.
    assert followed.windows[: len(plain.windows)] == plain.windows
    extra = followed.windows[len(plain.windows) :]
    assert extra and all(w is None for w, _ in extra)
    assert followed.planned == len(followed.windows) > plain.planned
    assert f"then {len(extra)} block(s) next to what was found" in followed.decision
    assert len(trail.plans) >= 2 and "following what was found" in trail.plans[-1][0]
    assert [n for n, _, _ in trail.reads] == list(range(1, len(followed.windows) + 1))
    assert all(n <= planned for n, planned, _ in trail.reads)
    # Each followed block lies next to a tank found (within one block of its centre).
    block = AutoSearch().blocks.block
    centres = [((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for b in (f.box for f in followed.instances)]
    for _, box in extra:
        assert any(
            box.x0 - block <= cx <= box.x1 + block and box.y0 - block <= cy <= box.y1 + block
            for cx, cy in centres
        )
    # Bounded: the followed reads are at most twice the heat's budget of the scene.
    scene_px = followed.scene_pixels
    assert sum(b.area for _, b in extra) <= 2 * AutoSearch().blocks.max_fraction * scene_px
    # Many more of the farm's tanks, each kept once, precision held.
    assert true(followed.instances) >= true(plain.instances) + 50
    assert true(followed.instances) / len(followed.instances) >= 0.9
    boxes = [f.box for f in followed.instances]
    twice = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if box_iou(a, b) >= 0.5]
    assert twice == []  # an object on the edge of two reads is reported once
