"""auto follows what it finds: blocks next to a group of found objects are read too.

The heat of a coarse overview covers a tank farm only in part; the tanks found at native
resolution say where the rest of the farm is. A block is read when at least two found
objects are within three of their lengths of it, then the blocks around what that finds,
until nothing more is found.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from geomag_core.boxes import PixelBox
from geomag_core.nano.classes import class_named
from geomag_core.nano.datasets import load_scenes
from geomag_core.nano.matching import box_iou, match_pairs
from geomag_core.nano.predictor import NanoModel
from geomag_core.nano.search import (
    AutoSearch,
    ReadMap,
    blocks_next_to,
    merged_windows,
    search_scene,
)
from geomag_core.psc.heatmap import HeatMap
from geomag_core.psc.windows import ScoredWindow
from geomag_core.scene import Scene

REGION = PixelBox(0, 0, 1200, 1200)


def _tank(cx: float, cy: float) -> tuple[float, float, float, float]:
    return (cx - 8, cy - 8, cx + 8, cy + 8)


def test_a_block_is_followed_only_near_a_group_of_finds() -> None:
    read = ReadMap(REGION)
    # Two 16-px tanks in block (row 2, col 2), 20 px from its right edge: three of their
    # lengths (48 px) reach the block to the right, not the one below nor the one further on.
    two = [_tank(270, 230), _tank(270, 260)]
    squares = blocks_next_to(two, REGION, 100, 2, read, reach=3.0)
    assert {s.as_tuple() for s in squares} == {(200, 200, 300, 300), (300, 200, 400, 300)}
    # A longer reach takes in more of the neighbours; a nearer one only their own block.
    assert len(blocks_next_to(two, REGION, 100, 2, read, reach=6.0)) > len(squares)
    assert [s.as_tuple() for s in blocks_next_to(two, REGION, 100, 2, read, reach=1.0)] == [
        (200, 200, 300, 300)
    ]
    # One find is not a group: a lone round pond costs nothing.
    assert blocks_next_to(two[:1], REGION, 100, 2, read, reach=3.0) == []
    assert blocks_next_to(two[:1], REGION, 100, 1, read, reach=3.0) != []
    # A larger object reaches farther: two 50-60-px tanks in that block reach two blocks on.
    big = [(230.0, 230.0, 290.0, 290.0), (235.0, 235.0, 285.0, 285.0)]
    far = blocks_next_to(big, REGION, 100, 2, read, reach=3.0)
    assert PixelBox(400, 200, 500, 300) in far and PixelBox(500, 200, 600, 300) not in far


def test_read_blocks_and_blocks_outside_the_region_are_not_followed() -> None:
    read = ReadMap(REGION)
    read.mark(PixelBox(0, 0, 200, 100))  # the first two blocks of the top row were read
    corner = [_tank(50, 80), _tank(60, 85)]  # in the corner block
    squares = blocks_next_to(corner, REGION, 100, 2, read, reach=3.0)
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

    # Each round's overlapping windows are read once: nothing left that merging would read
    # with fewer pixels (tanks are read x2: one look is 512 scene px).
    assert merged_windows(plain.windows, 512) == plain.windows
    assert "where neighbours overlap" in plain.decision
    # The same plan, then more blocks: said in the decision, numbered on in the trail.
    assert followed.windows[: len(plain.windows)] == plain.windows
    extra = followed.windows[len(plain.windows) :]
    assert extra and all(w is None for w, _ in extra)
    assert followed.planned == len(followed.windows) > plain.planned
    said = re.search(r"then (\d+) block\(s\) next to what was found", followed.decision)
    assert said and int(said.group(1)) >= len(extra)  # neighbouring blocks read as one window
    assert len(trail.plans) >= 2 and "following what was found" in trail.plans[-1][0]
    assert [n for n, _, _ in trail.reads] == list(range(1, len(followed.windows) + 1))
    assert all(n <= planned for n, planned, _ in trail.reads)
    # Each followed block lies near a tank found (within three of its lengths).
    near = [
        (b[0] - 3 * s, b[1] - 3 * s, b[2] + 3 * s, b[3] + 3 * s)
        for b in (f.box for f in followed.instances)
        for s in [max(b[2] - b[0], b[3] - b[1])]
    ]
    for _, box in extra:
        assert any(
            box.x0 <= x1 and x0 <= box.x1 and box.y0 <= y1 and y0 <= box.y1
            for x0, y0, x1, y1 in near
        )
    # The heat chose blocks here (tanks are small at the overview's scale): the backward pass
    # was paid for, not skipped as where the overview resolves the class. (Whether the weighted
    # map or its fallback, the plain attention when every weighted value is 0, depends on the
    # weights: the shipped ones fall back on this scene.)
    assert followed.heat is not None
    assert followed.heat.source in ("nano-attention", "nano-attention-fallback")
    # Bounded: the followed reads are at most twice the heat's budget of the scene.
    scene_px = followed.scene_pixels
    assert sum(b.area for _, b in extra) <= 2 * AutoSearch().blocks.max_fraction * scene_px
    # Many more of the farm's tanks, each kept once, precision held.
    assert true(followed.instances) >= true(plain.instances) + 50
    assert true(followed.instances) / len(followed.instances) >= 0.9
    boxes = [f.box for f in followed.instances]
    twice = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if box_iou(a, b) >= 0.5]
    assert twice == []  # an object on the edge of two reads is reported once


def test_where_the_overview_resolves_aircraft_nothing_is_followed_nor_weighted(
    model: NanoModel, shared_data: Path
) -> None:
    # A validation airport: the overview resolves its aircraft, so native resolution is read
    # only around doubtful ones. The heat chose none of those windows: it is the plain
    # attention (the backward pass that weights it is saved), and nothing is followed.
    airport = load_scenes(shared_data, "aircraft", "val")[0]
    found = search_scene(model, Scene(airport.path), class_named("aircraft"), gsd_m=0.5)
    assert "the overview resolves aircraft" in found.decision
    assert "next to what was found" not in found.decision
    assert found.heat is not None and found.heat.source == "nano-attention-plain"
    assert all(w is None for w, _ in found.windows) and found.planned == len(found.windows)
    truth = [b.as_tuple() for b in airport.boxes]
    assert len(match_pairs([f.box for f in found.instances], truth, 0.5)) >= 0.7 * len(truth)
