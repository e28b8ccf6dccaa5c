from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from affine import Affine

from geomag_core.boxes import PixelBox
from geomag_core.nano.classes import class_named
from geomag_core.nano.heat import CoarseMasks
from geomag_core.nano.instances import PixelMaps
from geomag_core.nano.predictor import NanoModel
from geomag_core.nano.search import (
    AutoSearch,
    BlockSearch,
    _grow,
    _reportable,
    _resized_peaks,
    coarse_instances,
    magnified_segment,
    merged_windows,
    segment_windows,
)
from geomag_core.polygons.paste import SceneMask
from geomag_core.psc.heatmap import CellBox, HeatMap
from geomag_core.psc.windows import ScoredWindow


def test_block_search_reads_the_hot_blocks_with_context_inside_the_scene() -> None:
    values = np.zeros((16, 16))
    values[0:2, 0:2] = 1.0  # top-left corner block
    values[9:11, 9:11] = 2.0  # a block in the middle, hotter
    heat = HeatMap(
        values=values,
        to_scene=Affine.scale(40.0),  # one cell = 40 scene px: a 640-px region
        bounds=PixelBox(0, 0, 640, 640),
        source="test",
        view_pixels=256 * 256,
        view_shape=(256, 256),
    )
    search = BlockSearch(block=120, margin=16, coverage=1.0, max_fraction=0.2)
    found = search.windows(heat)
    boxes = [box.as_tuple() for _, box in found]
    # 3 cells = 120 px blocks, hottest first; the corner block's context is clipped to the scene.
    assert boxes == [(344, 344, 496, 496), (0, 0, 136, 136)]
    assert sum(w.coverage for w, _ in found) == pytest.approx(1.0)


def test_coarse_instances_outside_the_windows_come_back_in_scene_pixels() -> None:
    probs = np.zeros((50, 60), dtype=np.float32)
    probs[10:20, 10:30] = 0.9  # view box (10, 10, 30, 20) → scene (20, 20, 60, 40)
    probs[30:40, 40:50] = 0.8  # its centre falls in the searched window below
    coarse = CoarseMasks(probs, Affine.scale(2.0))
    searched = [PixelBox(70, 50, 110, 90)]
    ((probs_c, to_scene, score),) = coarse_instances(coarse, searched, min_native_pixels=40)
    assert (*(to_scene @ (0, 0)), *(to_scene @ (20, 10))) == pytest.approx((20, 20, 60, 40))
    assert score == pytest.approx(0.9)
    assert probs_c.shape == (10, 20)
    # Nothing is searched: both; tiny components (under 40 scene px = 10 view px) are dropped.
    probs[45:47, 5:7] = 0.9
    assert len(coarse_instances(coarse, [], min_native_pixels=40)) == 2
    # The score floor: the 0.8 component goes under a floor of 0.85, the 0.9 one stays.
    ((_, _, score),) = coarse_instances(coarse, [], min_native_pixels=40, min_score=0.85)
    assert score == pytest.approx(0.9)
    assert AutoSearch(blocks=BlockSearch(min_score=0.85)).min_score == 0.85


def test_cores_grow_back_about_their_centre_inside_the_scene() -> None:
    core = np.ones((7, 14), dtype=bool)
    grown = _grow(SceneMask(core, PixelBox(100, 50, 114, 57)), 1 / 0.7, (1000, 1000))
    assert grown.box.as_tuple() == (97, 48, 117, 58)  # 20 × 10 px, same centre
    assert grown.mask.all()
    edge = _grow(SceneMask(core, PixelBox(0, 0, 14, 7)), 2.0, (20, 1000))
    assert edge.box.as_tuple() == (0, 0, 20, 10)  # clipped at the scene edges


def test_magnified_segmentation_comes_back_in_the_window_pixels(
    random_model: NanoModel, centre_model: NanoModel
) -> None:
    image = np.random.default_rng(0).integers(0, 255, (48, 80, 3), dtype=np.uint8)
    maps = magnified_segment(random_model, image, "segment the oil storage tanks", 2.0)
    assert maps.probs.shape == (48, 80) and maps.probs.dtype == np.float32
    assert float(maps.probs.min()) >= 0.0 and float(maps.probs.max()) <= 1.0
    assert maps.centres is None  # weights without a centre head
    with_centres = magnified_segment(centre_model, image, "segment the oil storage tanks", 2.0)
    assert with_centres.centres is not None and with_centres.centres.shape == (48, 80)
    assert 0.0 <= float(with_centres.centres.min()) <= float(with_centres.centres.max()) <= 1.0


def test_a_centre_peak_survives_the_way_back_from_a_magnified_look() -> None:
    # A centre one magnified pixel wide must not be averaged away when the look (×2.5) comes
    # back to the window's pixels: each window pixel keeps the highest of those it covers.
    look = np.zeros((50, 75), np.float32)
    look[23, 41] = 0.9
    back = _resized_peaks(look, (20, 30))
    assert back.shape == (20, 30) and back.max() == pytest.approx(0.9)
    assert np.argwhere(back == back.max()).tolist() == [[9, 16]]  # 23 / 2.5, 41 / 2.5
    # Growing (a look smaller than its window), each pixel takes its nearest source pixel.
    grown = _resized_peaks(back, (40, 60))
    assert grown.max() == pytest.approx(0.9) and int((grown == grown.max()).sum()) == 4


def test_a_window_longer_than_one_look_is_segmented_in_overlapping_tiles(
    centre_model: NanoModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    looked: list[tuple[int, int]] = []
    maps = centre_model.maps

    def recording(image: np.ndarray, query: str) -> PixelMaps:
        looked.append(image.shape[:2])
        return maps(image, query)

    monkeypatch.setattr(centre_model, "maps", recording)
    image = np.random.default_rng(1).integers(0, 255, (200, 330, 3), dtype=np.uint8)
    tiled = magnified_segment(centre_model, image, "segment the aircraft", 2.0, max_side=256)
    assert tiled.probs.shape == (200, 330)
    assert len(looked) > 1 and max(max(s) for s in looked) <= 256  # memory bound by one look
    whole = magnified_segment(centre_model, image, "segment the aircraft", 2.0, max_side=4096)
    # The same picture, merged from tiles: mask and centre maps alike.
    assert float(np.abs(tiled.probs - whole.probs).mean()) < 0.5
    assert tiled.centres is not None and whole.centres is not None
    assert float(np.abs(tiled.centres - whole.centres).mean()) < 0.5


def _overview(probs: np.ndarray, heat_values: np.ndarray) -> tuple[HeatMap, CoarseMasks]:
    """A 640² scene seen at 256² (2.5 scene px per view px), its heat on 16² cells of 40 px."""
    heat = HeatMap(
        values=heat_values,
        to_scene=Affine.scale(40.0),
        bounds=PixelBox(0, 0, 640, 640),
        source="test",
        view_pixels=256 * 256,
        view_shape=(256, 256),
    )
    return heat, CoarseMasks(probs.astype(np.float32), Affine.scale(2.5))


def test_auto_reads_nothing_more_where_the_overview_resolves_the_objects() -> None:
    aircraft = class_named("aircraft")
    probs = np.zeros((256, 256))
    probs[20:60, 20:60] = 0.95  # 40 view px = 100 scene px = 50 m at 0.5 m: a trusted aircraft
    probs[150:190, 100:140] = 0.95
    values = np.zeros((16, 16))
    values[10:12, 10:12] = 1.0  # heat elsewhere: not read, the overview is enough
    heat, coarse = _overview(probs, values)
    windows, why = AutoSearch().plan(heat, coarse, aircraft, 0.5, min_px=50)
    assert windows == [] and "resolves aircraft" in why
    # ... which the search asks before the heat is weighted: a heat that chooses nothing is
    # not worth the backward pass.
    assert AutoSearch().resolves(coarse, aircraft, 0.5, min_px=50)


def test_auto_reads_doubtful_instances_and_hot_blocks_where_objects_are_small() -> None:
    tank = class_named("oil-storage tank")
    probs = np.zeros((256, 256))
    probs[20:28, 20:28] = 0.95  # 8 view px: below one token, doubtful
    values = np.zeros((16, 16))
    values[10:12, 10:12] = 1.0  # a tank farm the overview does not resolve
    heat, coarse = _overview(probs, values)
    windows, why = AutoSearch().plan(heat, coarse, tank, 1.2, min_px=10)
    boxes = [b.as_tuple() for _, b in windows]
    assert boxes[0][0] <= 50 <= boxes[0][2]  # a window around the doubtful instance (scene 50–70)
    assert any(b[0] <= 420 <= b[2] and b[1] <= 420 <= b[3] for b in boxes[1:])  # the hot block
    assert "resolves no oil-storage tank" in why and "1 hottest block" in why
    assert not AutoSearch().resolves(coarse, tank, 1.2, min_px=10)
    area = sum((b[2] - b[0]) * (b[3] - b[1]) for b in boxes)
    assert area <= BlockSearch().max_fraction * 640 * 640


def test_auto_looks_at_an_implausibly_large_instance_natively() -> None:
    aircraft = class_named("aircraft")
    probs = np.zeros((256, 256))
    probs[10:50, 10:250] = 0.95  # 240 view px = 600 scene px = 300 m: two aircraft merged, or none
    probs[150:190, 100:140] = 0.95
    probs[200:240, 200:240] = 0.95
    heat, coarse = _overview(probs, np.ones((16, 16)))
    windows, _ = AutoSearch(blocks=BlockSearch(max_fraction=0.5)).plan(
        heat, coarse, aircraft, 0.5, min_px=50
    )
    ((_, box),) = windows
    assert box.x0 <= 25 and box.x1 >= 625  # the whole doubtful instance, with its margin


@pytest.mark.parametrize("zoom", [1.0, 2.0])
@pytest.mark.parametrize("weights", ["random_model", "centre_model"])
def test_windows_segmented_together_give_what_each_gives_alone(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, zoom: float, weights: str
) -> None:
    """Sizes that pad alike share a pass, others do not, a long one is tiled: same numbers."""
    random_model: NanoModel = request.getfixturevalue(weights)
    rng = np.random.default_rng(2)
    shapes = [(120, 120), (100, 128), (120, 120), (152, 90), (40, 700)]
    images = [rng.integers(0, 255, (*s, 3), dtype=np.uint8) for s in shapes]
    passes: list[int] = []
    head = random_model.head.forward

    def counting(*args: object, **kwargs: object) -> object:
        passes.append(1)
        return head(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(random_model.head, "forward", counting)
    together = segment_windows(random_model, images, "segment the aircraft", zoom)
    batched = len(passes)
    alone = [magnified_segment(random_model, im, "segment the aircraft", zoom) for im in images]
    assert batched < len(passes) - batched  # fewer passes than one a window
    for a, b, shape in zip(together, alone, shapes, strict=True):
        assert a.probs.shape == shape
        np.testing.assert_allclose(a.probs, b.probs, atol=1e-5)
        if a.centres is None or b.centres is None:  # no centre head: neither has one
            assert a.centres is None and b.centres is None and weights == "random_model"
        else:
            assert a.centres.shape == shape
            np.testing.assert_allclose(a.centres, b.centres, atol=1e-5)


def test_what_the_answer_would_report_is_judged_on_the_grown_outline() -> None:
    # The evidence that wakes a square's probe and that following counts: a tank core of a
    # possible size and round; an elongated blob (a field's edge, a channel) or a core that
    # grows past any tank's size is not.
    model = NanoModel.load(None, device="cpu")  # the shipped weights' measured outlines
    tank = class_named("oil-storage tank")
    outline = model.outline_scale(tank.name)
    assert outline.elongation is not None

    def core(h: int, w: int) -> SceneMask:
        return SceneMask(np.ones((h, w), bool), PixelBox(100, 100, 100 + w, 100 + h))

    assert _reportable(core(14, 14), tank, 1.2, outline, (640, 640))
    assert not _reportable(core(8, 48), tank, 1.2, outline, (640, 640))
    assert not _reportable(core(150, 150), tank, 1.2, outline, (640, 640))


def test_a_scene_whose_whole_read_costs_no_more_than_the_overview_is_read_whole(
    random_model: NanoModel, tmp_path: Path
) -> None:
    from PIL import Image

    from geomag_core.nano.search import search_scene
    from geomag_core.scene import Scene

    rng = np.random.default_rng(0)

    def scene(w: int, h: int) -> Scene:
        path = tmp_path / f"frame-{w}x{h}.png"
        Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(path)
        return Scene(path)

    car, tank = class_named("car"), class_named("oil-storage tank")
    frame = scene(900, 700)  # 0.63 MP: a KIT frame's size; the overview would look at 1.05 MP
    whole = search_scene(random_model, frame, car, gsd_m=car.gsd_m)
    assert whole.heat is None and len(whole.windows) == 1
    assert whole.searched_fraction == 1.0
    assert "0.6 MP, no more than the overview would: segmented whole" in whole.decision
    # Tanks are read magnified ×2 (2.5 MP): the overview can save pixels, auto decides.
    magnified = search_scene(random_model, frame, tank, gsd_m=tank.gsd_m)
    assert magnified.heat is not None and "segmented whole" not in magnified.decision
    # A larger frame (1.2 MP) is searched as before.
    larger = search_scene(random_model, scene(2000, 600), car, gsd_m=car.gsd_m)
    assert larger.heat is not None and "segmented whole" not in larger.decision


def _with_centre_head(bias: float) -> NanoModel:
    """The shipped weights with a centre head that says ``sigmoid(bias)`` everywhere."""
    import torch

    from geomag_core.decoder.pixel_decoder import ScaleHead

    model = NanoModel.load(None, device="cpu")
    head = ScaleHead(channels=model.head.decoder.channels, hidden_channels=16, kernel_size=3)
    torch.nn.init.zeros_(head.conv2.weight)
    torch.nn.init.constant_(head.conv2.bias, bias)  # type: ignore[arg-type]
    model.head.centre = head.eval()
    return model


def test_the_search_scores_with_the_centre_map_wherever_it_reads(
    shared_data: Path, tmp_path: Path
) -> None:
    """A centre map that sees no centre anywhere silences every read: the whole read, the
    overview's own instances, its probes and the native windows; one that sees a centre
    everywhere keeps every instance the mask alone keeps."""
    from PIL import Image

    from geomag_core.nano.datasets import load_scenes
    from geomag_core.nano.search import search_scene
    from geomag_core.scene import Scene

    aircraft = class_named("aircraft")
    airport = load_scenes(shared_data, "aircraft", "val")[0]
    tiled = Scene(airport.path)  # 2,560²: the overview, its windows
    x0, y0, _, _ = airport.boxes[0].as_tuple()
    x, y = int(max(0, min(x0 - 300, 2560 - 900))), int(max(0, min(y0 - 300, 2560 - 700)))
    part = tmp_path / "part.png"  # 900 × 700 around an aircraft: read whole
    Image.fromarray(tiled.read(PixelBox(x, y, x + 900, y + 700))).save(part)
    whole = Scene(part)

    def search(model: NanoModel, scene: Scene) -> list[list[tuple[float, ...]]]:
        found = search_scene(model, scene, aircraft, gsd_m=aircraft.gsd_m)
        return [[f.box for f in fs] for fs in (found.instances, found.implausible, found.misshapen)]

    plain, nowhere = NanoModel.load(None), _with_centre_head(-20)
    for scene in (whole, tiled):
        assert search(plain, scene)[0], "the shipped weights find aircraft here"
        assert search(nowhere, scene) == [[], [], []]
    kept = search(_with_centre_head(20), whole)
    assert set(search(plain, whole)[0]) <= set(kept[0])


def test_the_centre_map_comes_in_image_pixels_one_grid_cell_per_stride_square(
    centre_model: NanoModel,
) -> None:
    # 33 × 50 pads to 64²: the head's stride-4 grid is 16², each cell 4 × 4 image pixels.
    image = np.random.default_rng(3).integers(0, 255, (33, 50, 3), dtype=np.uint8)
    maps = centre_model.maps(image, "segment the oil storage tanks")
    assert maps.probs.shape == (33, 50) and maps.centres is not None
    assert maps.centres.shape == (33, 50)
    cells = maps.centres[:32, :48].reshape(8, 4, 12, 4)
    assert np.all(cells == cells[:, :1, :, :1])  # constant over each cell
    assert len(np.unique(cells[:, 0, :, 0])) > 1  # and it varies across the scene


def _covered(boxes: list[PixelBox], shape: tuple[int, int] = (700, 700)) -> np.ndarray:
    seen = np.zeros(shape, bool)
    for b in boxes:
        seen[b.y0 : b.y1, b.x0 : b.x1] = True
    return seen


def test_windows_one_above_the_other_are_read_once_as_their_union() -> None:
    hot = ScoredWindow(CellBox(0, 0, 3, 3), score=2.0, coverage=0.5)
    above = PixelBox(104, 104, 256, 256)  # a 120-px block and its 16-px margin
    below = PixelBox(104, 224, 256, 376)  # the block under it: the margins overlap by 32 px
    aside = PixelBox(400, 400, 552, 552)  # far from both
    out = merged_windows([(hot, above), (None, aside), (None, below)], max_side=512)
    assert out == [(hot, PixelBox(104, 104, 256, 376)), (None, aside)]  # hotter's score, place
    assert sum(b.area for _, b in out) < above.area + below.area + aside.area
    # A doubtful instance's window (no heat score) merged with a block keeps the block's score.
    doubtful = merged_windows([(None, above), (hot, below)], max_side=512)
    assert doubtful == [(hot, PixelBox(104, 104, 256, 376))]


def test_windows_are_not_merged_where_the_union_would_read_more_or_be_longer_than_a_look() -> None:
    a = PixelBox(0, 0, 152, 152)
    corner = PixelBox(120, 120, 272, 272)  # diagonal neighbour: its box is mostly unread land
    assert len(merged_windows([(None, a), (None, corner)], max_side=512)) == 2
    right = PixelBox(140, 0, 292, 152)  # overlapping side by side: the union is cheaper ...
    assert len(merged_windows([(None, a), (None, right)], max_side=512)) == 1
    assert len(merged_windows([(None, a), (None, right)], max_side=256)) == 2  # ... but too long


def test_merging_reads_every_pixel_it_read_before_with_no_more_pixels_and_leaves_no_pair() -> None:
    rng = np.random.default_rng(0)
    boxes = []
    for _ in range(40):  # blocks of a 120-px grid with their margins, as the heat chooses them
        col, row = rng.integers(0, 5, size=2)
        x, y = 16 + 120 * int(col), 16 + 120 * int(row)
        boxes.append(PixelBox(x - 16, y - 16, x + 136, y + 136))
    windows: list[tuple[ScoredWindow | None, PixelBox]] = [(None, b) for b in boxes]
    out = [b for _, b in merged_windows(windows, max_side=400)]
    assert len(out) < len(boxes)
    assert (_covered(out) >= _covered(boxes)).all()
    assert sum(b.area for b in out) <= sum(b.area for b in boxes)
    assert all(max(b.width, b.height) <= 400 for b in out if b not in boxes)
    for i, a in enumerate(out):  # nothing left that a merge would read more cheaply
        for b in out[i + 1 :]:
            u = PixelBox(min(a.x0, b.x0), min(a.y0, b.y0), max(a.x1, b.x1), max(a.y1, b.y1))
            assert max(u.width, u.height) > 400 or u.area > a.area + b.area
