"""The Airbus aircraft data set (../shared/data/airbus-aircraft): boxes, split, instance targets.

Boxes are XYXY in the JPEG's own pixels (clipped to 2560). Instance targets are **box-derived**:
the ellipse inscribed in each box (no pixel-accurate aircraft outlines exist in this data set).
An inscribed ellipse keeps the box as its bounding box while leaving neighbouring aircraft
separated, so mask components map back to boxes. The images are never copied into the repo.
"""

from __future__ import annotations

import ast
import csv
import json
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from geomag_core.errors import DatasetError

__all__ = [
    "SPLIT_FILE",
    "AirbusBox",
    "ellipse_mask",
    "load_split",
    "make_split",
    "read_annotations",
]

#: The project's validation split of the Airbus scenes (image ids), written by :func:`make_split`.
SPLIT_FILE = Path(__file__).parent / "data" / "airbus_split.json"


@dataclass(frozen=True, slots=True)
class AirbusBox:
    """One annotated aircraft, XYXY in scene pixels (float, exclusive upper bounds)."""

    x0: float
    y0: float
    x1: float
    y1: float
    truncated: bool


def read_annotations(csv_path: Path, size: int = 2560) -> dict[str, list[AirbusBox]]:
    """``image_id → boxes`` from the Airbus ``annotations.csv`` (polygons → clipped boxes)."""
    if not csv_path.is_file():
        raise DatasetError(
            f"no annotations at {csv_path}: expected ../shared/data/airbus-aircraft/annotations.csv"
            " (set GEOMAG_SHARED_DATA_DIR or pass --annotations)"
        )
    out: dict[str, list[AirbusBox]] = {}
    with csv_path.open(newline="") as f:
        for row in csv.DictReader(f):
            try:
                points = ast.literal_eval(row["geometry"])
                xs = [float(p[0]) for p in points]
                ys = [float(p[1]) for p in points]
            except (ValueError, SyntaxError, KeyError, TypeError, IndexError) as exc:
                raise DatasetError(
                    f"{csv_path}: row {row.get('id')} has no '[(x, y), ...]' geometry"
                ) from exc
            box = AirbusBox(
                max(0.0, min(xs)),
                max(0.0, min(ys)),
                min(float(size), max(xs)),
                min(float(size), max(ys)),
                row.get("class") == "Truncated_airplane",
            )
            if box.x1 > box.x0 and box.y1 > box.y0:
                out.setdefault(row["image_id"], []).append(box)
    return out


def make_split(image_ids: list[str], *, n_val: int = 15, seed: int = 0) -> dict[str, object]:
    """A seeded split by image id: ``{"seed", "val", "train"}`` (sorted lists)."""
    ids = sorted(image_ids)
    rng = random.Random(seed)
    val = sorted(rng.sample(ids, n_val))
    return {"seed": seed, "val": val, "train": [i for i in ids if i not in set(val)]}


def load_split(path: Path = SPLIT_FILE) -> dict[str, list[str]]:
    """The stored split: ``{"train": [...], "val": [...]}`` image ids."""
    data = json.loads(path.read_text())
    return {"train": list(data["train"]), "val": list(data["val"])}


def ellipse_mask(
    boxes: list[AirbusBox], origin: tuple[float, float], shape: tuple[int, int]
) -> NDArray[np.bool_]:
    """Inscribed-ellipse instance targets rasterised on a crop.

    Args:
        boxes: scene-pixel boxes.
        origin: scene ``(x, y)`` of the crop's top-left corner.
        shape: ``(H, W)`` of the crop at native resolution.

    Returns:
        ``(H, W)`` bool, True inside any ellipse (pixel centres).

    """
    h, w = shape
    ys = np.arange(h)[:, None] + 0.5 + origin[1]
    xs = np.arange(w)[None, :] + 0.5 + origin[0]
    out = np.zeros(shape, dtype=bool)
    for b in boxes:
        if b.x1 <= origin[0] or b.x0 >= origin[0] + w or b.y1 <= origin[1] or b.y0 >= origin[1] + h:
            continue
        cx, cy = (b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2
        rx, ry = max((b.x1 - b.x0) / 2, 0.5), max((b.y1 - b.y0) / 2, 0.5)
        out |= ((xs - cx) / rx) ** 2 + ((ys - cy) / ry) ** 2 <= 1.0
    return out
