from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from geomag_core.errors import DatasetError
from geomag_core.nano.datasets import (
    DATASETS,
    ObjectBox,
    dedupe_boxes,
    ellipse_mask,
    load_scenes,
    load_split,
    make_split,
    read_annotations,
    read_oil_storage,
    read_ships,
    read_yolo_cars,
)


def test_read_annotations_clips_boxes(tmp_path: Path) -> None:
    csv = tmp_path / "a.csv"
    csv.write_text(
        "id,image_id,geometry,class\n"
        '1,x.jpg,"[(10, 20), (50, 20), (50, 60), (10, 60), (10, 20)]",Airplane\n'
        '2,x.jpg,"[(2540, 5), (2569, 5), (2569, 30), (2540, 30), (2540, 5)]",Truncated_airplane\n'
        '3,x.jpg,"[(11, 21), (50, 21), (50, 60), (11, 60), (11, 21)]",Airplane\n'  # row 1 again
    )
    boxes = read_annotations(csv)["x.jpg"]
    assert boxes == [ObjectBox(10, 20, 50, 60, False), ObjectBox(2540, 5, 2560, 30, True)]
    with pytest.raises(DatasetError, match=r"annotations\.csv"):
        read_annotations(tmp_path / "missing.csv")


def test_dedupe_drops_rows_overlapping_any_earlier_row() -> None:
    a = ObjectBox(0, 0, 100, 100)
    b = ObjectBox(10, 0, 110, 100)  # IoU(a, b) = 0.82
    c = ObjectBox(22, 0, 122, 100)  # IoU(b, c) = 0.79, IoU(a, c) = 0.64
    d = ObjectBox(60, 0, 160, 100)  # a neighbour: IoU(c, d) = 0.52
    assert dedupe_boxes([a, b, c, d]) == [a, d]


def test_oil_storage_bounds_and_yolo_cars(tmp_path: Path) -> None:
    csv = tmp_path / "o.csv"
    csv.write_text('image_id,class,bounds\nabc,oil-storage-tank,"(5, 6, 25, 27)"\n')
    assert read_oil_storage(csv) == {"abc.jpg": [ObjectBox(5, 6, 25, 27)]}
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    Image.new("RGB", (200, 100)).save(tmp_path / "images" / "f.jpg")
    (tmp_path / "labels" / "f.txt").write_text("0 0.5 0.5 0.1 0.2\n2 0.2 0.2 0.1 0.1\n")
    (box,) = read_yolo_cars(tmp_path)["f.jpg"]  # the bus (class 2) is not a car
    assert box.as_tuple() == pytest.approx((90, 40, 110, 60))


def test_ellipse_target_is_inscribed_in_the_box() -> None:
    mask = ellipse_mask([ObjectBox(10, 10, 30, 20, False)], (5, 5), (30, 40))
    ys, xs = np.nonzero(mask)
    assert (xs.min() + 5, xs.max() + 6, ys.min() + 5, ys.max() + 6) == (10, 30, 10, 20)
    assert not mask[5, 5] and mask[10, 15]  # box corner out, centre in


def test_the_aircraft_duplicates_are_gone(shared_data: Path) -> None:
    boxes = read_annotations(shared_data / "airbus-aircraft" / "annotations.csv")
    assert sum(len(v) for v in boxes.values()) == 3208 - 147
    assert len(boxes["d9399a45-6745-4e59-8903-90640b2ddf9f.jpg"]) == 92 - 44


@pytest.mark.parametrize("name", ["aircraft", "oil-storage", "cars"])
def test_splits_are_reproducible_and_disjoint(shared_data: Path, name: str) -> None:
    spec = DATASETS[name]
    ids = [n for n in os.listdir(shared_data / spec.folder / spec.images) if n.endswith(".jpg")]
    stored = load_split(spec.split_file)
    made = make_split(ids, n_val=spec.n_val, seed=0)
    assert stored == {"train": made["train"], "val": made["val"]}
    assert not set(stored["train"]) & set(stored["val"])
    val = load_scenes(shared_data, name, "val")
    assert len(val) == spec.n_val and all(s.boxes for s in val)


def test_the_bundled_naip_sample_is_never_trained_on(shared_data: Path) -> None:
    split = load_split(DATASETS["naip"].split_file)
    assert "m_4709963_se_14_1_20200831.tif" in split["val"]
    assert len(split["train"]) == 7
    assert all(not s.boxes for s in load_scenes(shared_data, "naip", "all"))


def test_the_ship_ports_are_read_with_their_boxes_and_a_stored_split(shared_data: Path) -> None:
    spec = DATASETS["ships"]
    ids = sorted(os.listdir(shared_data / spec.folder / spec.images))
    assert load_split(spec.split_file) == {
        k: v for k, v in make_split(ids, n_val=spec.n_val, seed=0).items() if k != "seed"
    }
    scenes = load_scenes(shared_data, "ships", "all")
    assert len(scenes) == 12 and sum(len(s.boxes) for s in scenes) == 285
    assert {s.path.suffix for s in scenes} == {".tif", ".jpg"}  # 4-band GeoTIFFs and two JPEGs
    for s in scenes:
        with Image.open(s.path) as im:
            w, h = im.size
        assert all(0 <= b.x0 < b.x1 <= w and 0 <= b.y0 < b.y1 <= h for b in s.boxes)


def test_every_ship_has_its_outline_and_its_target_is_the_outline_not_the_box(
    shared_data: Path,
) -> None:
    ports = read_ships(shared_data / "sen2ships")
    ships = [b for boxes in ports.values() for b in boxes]
    assert len(ships) == 285 and all(b.outline is not None for b in ships)
    for b in ships:  # each outline's bounds are its box's (pixel-corner vertices)
        assert b.outline is not None
        xs, ys = [x for x, _ in b.outline], [y for _, y in b.outline]
        assert (min(xs), min(ys), max(xs), max(ys)) == pytest.approx(b.as_tuple(), abs=1)
    # the target covers the outline's area (shoelace), to within the pixels its edge cuts
    for b in ships[:40]:
        assert b.outline is not None
        ring = list(b.outline)
        edges = zip(ring, ring[1:] + ring[:1], strict=True)
        area = abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in edges))
        mask = ellipse_mask([b], (b.x0 - 2, b.y0 - 2), (int(b.y1 - b.y0) + 4, int(b.x1 - b.x0) + 4))
        assert abs(int(mask.sum()) - area / 2) <= 0.5 + 0.1 * area / 2


def test_a_diagonal_outline_is_filled_and_the_water_beside_it_is_not() -> None:
    # a thin ship lying corner to corner of its 20 x 20 box: the box's ellipse would be 314 px
    ring = ((0.0, 2.0), (2.0, 0.0), (20.0, 18.0), (18.0, 20.0))
    ship = ObjectBox(0, 0, 20, 20, outline=ring)
    mask = ellipse_mask([ship], (0.0, 0.0), (20, 20))
    assert 60 <= mask.sum() <= 90  # the hull: ~2.8 px wide and ~25 px long
    assert mask[10, 10] and not mask[2, 17] and not mask[17, 2]
    # seen twice as large (as a ×2 crop sees it), the outline scales with its box
    big = ellipse_mask([ship.scaled(2.0)], (0.0, 0.0), (40, 40))
    assert 3.5 * mask.sum() <= big.sum() <= 4.5 * mask.sum()


def test_the_classes_a_set_holds_unlabelled_are_named() -> None:
    assert DATASETS["oil-storage"].unlabelled == ("ship",)  # tankers at the refineries' quays
    assert DATASETS["ships"].unlabelled == ("oil-storage tank",)  # tank farms in the ports
    assert DATASETS["aircraft"].unlabelled == () and DATASETS["naip"].unlabelled == ()
