from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from geomag_core.errors import DatasetError
from geomag_core.nano.airbus import (
    AirbusBox,
    ellipse_mask,
    load_split,
    make_split,
    read_annotations,
)


def test_read_annotations_clips_boxes(tmp_path: Path) -> None:
    csv = tmp_path / "a.csv"
    csv.write_text(
        "id,image_id,geometry,class\n"
        '1,x.jpg,"[(10, 20), (50, 20), (50, 60), (10, 60), (10, 20)]",Airplane\n'
        '2,x.jpg,"[(2540, 5), (2569, 5), (2569, 30), (2540, 30), (2540, 5)]",Truncated_airplane\n'
    )
    boxes = read_annotations(csv)["x.jpg"]
    assert boxes[0] == AirbusBox(10, 20, 50, 60, False)
    assert boxes[1] == AirbusBox(2540, 5, 2560, 30, True)
    with pytest.raises(DatasetError, match=r"annotations\.csv"):
        read_annotations(tmp_path / "missing.csv")


def test_ellipse_target_is_inscribed_in_the_box() -> None:
    mask = ellipse_mask([AirbusBox(10, 10, 30, 20, False)], (5, 5), (30, 40))
    ys, xs = np.nonzero(mask)
    assert (xs.min() + 5, xs.max() + 6, ys.min() + 5, ys.max() + 6) == (10, 30, 10, 20)
    assert not mask[5, 5] and mask[10, 15]  # box corner out, centre in


def test_split_is_reproducible_and_disjoint(shared_data: Path) -> None:
    ids = os.listdir(shared_data / "airbus-aircraft" / "train")
    stored = load_split()
    made = make_split(ids, n_val=15, seed=0)
    assert stored == {"train": made["train"], "val": made["val"]}
    assert not set(stored["train"]) & set(stored["val"])
    assert len(stored["val"]) == 15 and len(stored["train"]) == len(ids) - 15
