"""The labelled data sets nano learns from (under GEOMAG_SHARED_DATA_DIR): boxes, splits, targets.

* ``aircraft``: Airbus Pléiades airports (50 cm), polygons in ``annotations.csv``. Some aircraft
  are listed twice (a later row overlapping an earlier one of the same scene at IoU > 0.7):
  :func:`dedupe_boxes` keeps the first.
* ``oil-storage``: Airbus SPOT refineries and ports (~1.2 m), ``bounds`` in ``annotations.csv``.
* ``cars``: KIT AIS aerial frames of Munich (~0.13 m), YOLO labels; only class 0 (car) is a car.
* ``ships``: Sentinel-2 port scenes (~8 m on the ground, 10 m in Web Mercator), ``bounds`` in
  ``annotations.csv`` and each ship's outline in ``polygons.csv``; ten 4-band GeoTIFFs (RGB +
  NIR: nano reads RGB) and two RGB JPEGs. Not yet a nano class (a four-class run found a sixth
  of the validation ships: see the README); its validation ports are cross-class negatives in
  ``geomag eval nano``. Ports hold tanks no one labelled, and refineries ships:
  :attr:`DatasetSpec.unlabelled` keeps those classes from being taught or counted as absent
  there, for the run that trains ships.
* ``naip``: NAIP quarter-quad at 5 m, no labels: no aircraft, tank or car is visible at 5 m, so
  these tiles are negatives for every class.

Boxes are XYXY in each image's own pixels (clipped to the image). Instance targets are the
object's outline where the set has one (ships), else **box-derived**: the ellipse inscribed in
each box. Tanks are round, so for them the ellipse is nearly exact; for aircraft and cars it
keeps the box as its bounding box while leaving neighbours separated, so mask components map
back to boxes. A ship lies at any angle, so its box's ellipse would cover water beside it.
Images are never copied into the repository; splits are stored as JSON beside this module.
"""

from __future__ import annotations

import ast
import csv
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from geomag_core.errors import DatasetError
from geomag_core.nano.matching import box_iou

__all__ = [
    "DATASETS",
    "SPLIT_FILE",
    "DatasetSpec",
    "LabelledScene",
    "ObjectBox",
    "dedupe_boxes",
    "ellipse_mask",
    "load_scenes",
    "load_split",
    "make_split",
    "read_annotations",
    "read_box_csv",
    "read_oil_storage",
    "read_ships",
    "read_yolo_cars",
]

_DATA = Path(__file__).parent / "data"
#: The project's validation split of the Airbus aircraft scenes (image ids).
SPLIT_FILE = _DATA / "airbus_split.json"


@dataclass(frozen=True, slots=True)
class ObjectBox:
    """One annotated object, XYXY in image pixels (float, exclusive upper bounds).

    ``outline``: the object's outline as ``(x, y)`` vertices in the same pixels, where the data
    set has one; its target is then the outline, not the box's ellipse.
    """

    x0: float
    y0: float
    x1: float
    y1: float
    truncated: bool = False
    outline: tuple[tuple[float, float], ...] | None = None

    def as_tuple(self) -> tuple[float, float, float, float]:
        """``(x0, y0, x1, y1)``."""
        return (self.x0, self.y0, self.x1, self.y1)

    def scaled(self, s: float) -> ObjectBox:
        """The box (and outline) in pixels ``s`` times finer."""
        outline = None if self.outline is None else tuple((x * s, y * s) for x, y in self.outline)
        return ObjectBox(
            self.x0 * s, self.y0 * s, self.x1 * s, self.y1 * s, self.truncated, outline
        )


def dedupe_boxes(boxes: list[ObjectBox], iou: float = 0.7) -> list[ObjectBox]:
    """``boxes`` without any box overlapping an earlier one (kept or not) at IoU > ``iou``."""
    return [
        b
        for i, b in enumerate(boxes)
        if all(box_iou(b.as_tuple(), e.as_tuple()) <= iou for e in boxes[:i])
    ]


def _require(path: Path, what: str) -> None:
    if not path.exists():
        raise DatasetError(
            f"no {what} at {path}: set GEOMAG_SHARED_DATA_DIR to the folder that holds the "
            "data sets (default: shared/data beside the checkout), or pass the path"
        )


def read_annotations(csv_path: Path, size: int = 2560) -> dict[str, list[ObjectBox]]:
    """``image_id → boxes`` from the Airbus aircraft CSV (polygons → clipped, de-duplicated)."""
    _require(csv_path, "annotations.csv")
    out: dict[str, list[ObjectBox]] = {}
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
            box = ObjectBox(
                max(0.0, min(xs)),
                max(0.0, min(ys)),
                min(float(size), max(xs)),
                min(float(size), max(ys)),
                row.get("class") == "Truncated_airplane",
            )
            if box.x1 > box.x0 and box.y1 > box.y0:
                out.setdefault(row["image_id"], []).append(box)
    return {k: dedupe_boxes(v) for k, v in out.items()}


def read_oil_storage(csv_path: Path, size: int = 2560) -> dict[str, list[ObjectBox]]:
    """``image file name → boxes`` from the oil-storage CSV (``bounds`` = ``(x0, y0, x1, y1)``)."""
    _require(csv_path, "annotations.csv")
    out: dict[str, list[ObjectBox]] = {}
    with csv_path.open(newline="") as f:
        for row in csv.DictReader(f):
            try:
                x0, y0, x1, y1 = (float(v) for v in ast.literal_eval(row["bounds"]))
            except (ValueError, SyntaxError, KeyError, TypeError) as exc:
                raise DatasetError(f"{csv_path}: a row has no '(x0, y0, x1, y1)' bounds") from exc
            box = ObjectBox(max(0.0, x0), max(0.0, y0), min(float(size), x1), min(float(size), y1))
            if box.x1 > box.x0 and box.y1 > box.y0:
                out.setdefault(row["image_id"] + ".jpg", []).append(box)
    return {k: dedupe_boxes(v) for k, v in out.items()}


def read_ships(folder: Path) -> dict[str, list[ObjectBox]]:
    """``image file name → ship boxes`` from sen2ships' ``annotations.csv`` (``bounds``).

    Image ids name ``images/IMAGE_ID.tif`` or ``.jpg``; boxes are clipped to each image. Each
    box gets the outline of ``polygons.csv`` whose bounds match it (IoU ≥ 0.5), where one does.
    """
    csv_path = folder / "annotations.csv"
    _require(csv_path, "annotations.csv")
    files = {p.stem: p for p in (folder / "images").glob("*.*")}
    sizes: dict[str, tuple[int, int]] = {}
    out: dict[str, list[ObjectBox]] = {}
    with csv_path.open(newline="") as f:
        for row in csv.DictReader(f):
            image = files.get(row.get("image_id", ""))
            if image is None:
                continue  # a row of an image this copy of the set does not hold
            try:
                x0, y0, x1, y1 = (float(v) for v in ast.literal_eval(row["bounds"]))
            except (ValueError, SyntaxError, KeyError, TypeError) as exc:
                raise DatasetError(f"{csv_path}: a row has no '(x0, y0, x1, y1)' bounds") from exc
            if image.name not in sizes:
                with Image.open(image) as im:
                    sizes[image.name] = im.size
            w, h = sizes[image.name]
            box = ObjectBox(max(0.0, x0), max(0.0, y0), min(float(w), x1), min(float(h), y1))
            if box.x1 > box.x0 and box.y1 > box.y0:
                out.setdefault(image.name, []).append(box)
    outlines = _ship_outlines(folder / "polygons.csv", files)
    return {
        k: [_with_outline(b, outlines.get(k, [])) for b in dedupe_boxes(v)] for k, v in out.items()
    }


def _ship_outlines(
    csv_path: Path, files: dict[str, Path]
) -> dict[str, list[tuple[tuple[float, float], ...]]]:
    """``image file name → outlines`` from ``polygons.csv`` (none when the file is absent)."""
    out: dict[str, list[tuple[tuple[float, float], ...]]] = {}
    if not csv_path.exists():
        return out
    with csv_path.open(newline="") as f:
        for row in csv.DictReader(f):
            image = files.get(row.get("image_id", ""))
            if image is None:
                continue
            try:
                ring = tuple((float(x), float(y)) for x, y in ast.literal_eval(row["polygon"]))
            except (ValueError, SyntaxError, KeyError, TypeError) as exc:
                raise DatasetError(f"{csv_path}: a row has no '[(x, y), ...]' polygon") from exc
            if len(ring) >= 3:
                out.setdefault(image.name, []).append(ring)
    return out


def _with_outline(box: ObjectBox, outlines: list[tuple[tuple[float, float], ...]]) -> ObjectBox:
    """``box`` with the outline whose bounds overlap it best (IoU ≥ 0.5), if any does."""
    best, best_iou = None, 0.5
    for ring in outlines:
        xs, ys = [x for x, _ in ring], [y for _, y in ring]
        iou = box_iou(box.as_tuple(), (min(xs), min(ys), max(xs), max(ys)))
        if iou >= best_iou:
            best, best_iou = ring, iou
    if best is None:
        return box
    return ObjectBox(box.x0, box.y0, box.x1, box.y1, box.truncated, best)


def read_box_csv(csv_path: Path) -> dict[str, list[ObjectBox]]:
    """``image file name → boxes`` from either Airbus CSV: aircraft polygons or tank bounds.

    The format is told by the header (``geometry`` or ``bounds``); keys are file names.
    """
    _require(csv_path, "annotations CSV")
    with csv_path.open(newline="") as f:
        header = next(csv.reader(f), [])
    if "bounds" in header:
        return read_oil_storage(csv_path)
    if "geometry" in header:
        by_id = read_annotations(csv_path)
        return {k if "." in k else k + ".jpg": v for k, v in by_id.items()}
    raise DatasetError(
        f"{csv_path}: neither Airbus format (a 'geometry' column of aircraft polygons or a "
        f"'bounds' column of tank boxes); header: {header}"
    )


def read_yolo_cars(folder: Path, car_class: int = 0) -> dict[str, list[ObjectBox]]:
    """``image file name → car boxes`` from ``folder/labels/*.txt`` (YOLO, normalised)."""
    _require(folder / "labels", "labels/ folder")
    out: dict[str, list[ObjectBox]] = {}
    for image in sorted((folder / "images").glob("*.jpg")):
        with Image.open(image) as im:
            w, h = im.size
        boxes: list[ObjectBox] = []
        label = folder / "labels" / (image.stem + ".txt")
        for line in label.read_text().splitlines() if label.exists() else []:
            parts = line.split()
            if len(parts) != 5:
                continue
            cls, cx, cy, bw, bh = int(parts[0]), *(float(v) for v in parts[1:])
            if cls != car_class:
                continue
            box = ObjectBox(
                max(0.0, (cx - bw / 2) * w),
                max(0.0, (cy - bh / 2) * h),
                min(float(w), (cx + bw / 2) * w),
                min(float(h), (cy + bh / 2) * h),
            )
            if box.x1 > box.x0 and box.y1 > box.y0:
                boxes.append(box)
        out[image.name] = dedupe_boxes(boxes)
    return out


@dataclass(frozen=True)
class DatasetSpec:
    """Where one data set lives under the shared folder and how it is read.

    Attributes:
        name: the data set's key (``aircraft``, ``oil-storage``, ``cars``, ``naip``).
        class_name: the nano class its boxes are (``None``: a negatives-only set).
        folder: folder under the shared data dir.
        images: sub-folder holding the scenes.
        pattern: scene file glob.
        split_file: the stored split.
        n_val: validation scenes drawn by :func:`make_split`.
        reader: ``folder → {file name: boxes}`` (``None``: no labels).
        unlabelled: nano classes that may be in these scenes but were not labelled (ships in a
            refinery's port): never asked on them in training, nor counted as false there.

    """

    name: str
    class_name: str | None
    folder: str
    images: str
    pattern: str
    split_file: Path
    n_val: int
    reader: Callable[[Path], dict[str, list[ObjectBox]]] | None
    unlabelled: tuple[str, ...] = ()


DATASETS: dict[str, DatasetSpec] = {
    "aircraft": DatasetSpec(
        "aircraft",
        "aircraft",
        "airbus-aircraft",
        "train",
        "*.jpg",
        SPLIT_FILE,
        15,
        lambda f: read_annotations(f / "annotations.csv"),
    ),
    "oil-storage": DatasetSpec(
        "oil-storage",
        "oil-storage tank",
        "airbus-oil-storage",
        "images",
        "*.jpg",
        _DATA / "oil_storage_split.json",
        15,
        lambda f: read_oil_storage(f / "annotations.csv"),
        unlabelled=("ship",),
    ),
    "cars": DatasetSpec(
        "cars",
        "car",
        "kit-aerial-cars",
        "images",
        "*.jpg",
        _DATA / "cars_split.json",
        12,
        read_yolo_cars,
    ),
    "ships": DatasetSpec(
        "ships",
        "ship",
        "sen2ships",
        "images",
        "*.*",
        _DATA / "ships_split.json",
        3,
        read_ships,
        unlabelled=("oil-storage tank",),
    ),
    "naip": DatasetSpec(
        "naip", None, "naip-time-series", ".", "*.tif", _DATA / "naip_split.json", 3, None
    ),
}


@dataclass(frozen=True)
class LabelledScene:
    """One scene and its boxes of the data set's class (empty for negatives-only sets)."""

    path: Path
    boxes: tuple[ObjectBox, ...]
    dataset: str


def make_split(image_ids: list[str], *, n_val: int = 15, seed: int = 0) -> dict[str, object]:
    """A seeded split by image id: ``{"seed", "val", "train"}`` (sorted lists)."""
    ids = sorted(image_ids)
    rng = random.Random(seed)
    val = sorted(rng.sample(ids, n_val))
    return {"seed": seed, "val": val, "train": [i for i in ids if i not in set(val)]}


def load_split(path: Path = SPLIT_FILE) -> dict[str, list[str]]:
    """A stored split: ``{"train": [...], "val": [...]}`` file names."""
    data = json.loads(path.read_text())
    return {"train": list(data["train"]), "val": list(data["val"])}


def load_scenes(shared_dir: Path, dataset: str, split: str = "train") -> list[LabelledScene]:
    """The scenes of ``dataset``'s ``split`` (``train``, ``val`` or ``all``) with their boxes."""
    if dataset not in DATASETS:
        raise DatasetError(f"unknown data set {dataset!r}; known: {', '.join(DATASETS)}")
    spec = DATASETS[dataset]
    folder = shared_dir / spec.folder
    images = folder / spec.images
    _require(images, f"{dataset} scenes")
    names = sorted(p.name for p in images.glob(spec.pattern))
    if split != "all":
        wanted = set(load_split(spec.split_file)[split])
        names = [n for n in names if n in wanted]
    labels = spec.reader(folder) if spec.reader else {}
    return [LabelledScene(images / n, tuple(labels.get(n, [])), dataset) for n in names]


def ellipse_mask(
    boxes: list[ObjectBox] | tuple[ObjectBox, ...],
    origin: tuple[float, float],
    shape: tuple[int, int],
    shrink: float = 1.0,
) -> NDArray[np.bool_]:
    """Inscribed-ellipse instance targets rasterised on a crop.

    Args:
        boxes: scene-pixel boxes.
        origin: scene ``(x, y)`` of the crop's top-left corner.
        shape: ``(H, W)`` of the crop at native resolution.
        shrink: both radii times this (a *core* target: neighbours stay apart; a predicted
            core grows back by ``1 / shrink`` about its centre).

    Returns:
        ``(H, W)`` bool, True inside any ellipse or outline (pixel centres).

    """
    h, w = shape
    ys = np.arange(h)[:, None] + 0.5 + origin[1]
    xs = np.arange(w)[None, :] + 0.5 + origin[0]
    out = np.zeros(shape, dtype=bool)
    for b in boxes:
        if b.x1 <= origin[0] or b.x0 >= origin[0] + w or b.y1 <= origin[1] or b.y0 >= origin[1] + h:
            continue
        cx, cy = (b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2
        if b.outline is not None:
            ring = [(cx + (x - cx) * shrink, cy + (y - cy) * shrink) for x, y in b.outline]
            out |= _polygon_mask(ring, xs, ys)
            continue
        rx = max((b.x1 - b.x0) / 2 * shrink, 0.5)
        ry = max((b.y1 - b.y0) / 2 * shrink, 0.5)
        out |= ((xs - cx) / rx) ** 2 + ((ys - cy) / ry) ** 2 <= 1.0
    return out


def _polygon_mask(
    ring: list[tuple[float, float]], xs: NDArray[np.floating], ys: NDArray[np.floating]
) -> NDArray[np.bool_]:
    """Pixel centres ``(xs, ys)`` (broadcast columns and rows) inside ``ring``, by even-odd."""
    inside = np.zeros(np.broadcast_shapes(xs.shape, ys.shape), dtype=bool)
    for (xa, ya), (xb, yb) in zip(ring, ring[1:] + ring[:1], strict=True):
        if ya == yb:
            continue
        crosses = (ya > ys) != (yb > ys)
        x_at = xa + (ys - ya) * (xb - xa) / (yb - ya)
        inside ^= crosses & (xs < x_at)
    return inside
