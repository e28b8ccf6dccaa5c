"""A seeded miniature of the shared data folder nano trains on, for fast training tests.

Two scenes per labelled set (named as the project's training splits name them, so
:func:`geomag_core.nano.datasets.load_scenes` finds them) and one NAIP tile, each a small
synthetic image with bright squares as its objects, written in each set's own format: the Airbus
aircraft CSV (polygons), the Airbus oil-storage CSV (bounds), KIT's YOLO labels and a 4-band
GeoTIFF. Nothing binary is committed; run the function to make one.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from geomag_core.nano.datasets import DATASETS, load_split
from tests.data.rasters import pattern, write_geotiff, write_plain_image

#: Side of every synthetic scene (pixels).
SIDE = 320
#: Top-left corners and side of the squares painted as objects in every scene.
OBJECTS = ((40, 60, 24), (200, 150, 30), (120, 240, 20))


def _scene(seed: int) -> np.ndarray:
    """A 3×SIDE×SIDE uint8 pattern with a bright square at each of :data:`OBJECTS`."""
    data = pattern(3, SIDE, SIDE, "uint8", seed=seed) // 2
    for x, y, s in OBJECTS:
        data[:, y : y + s, x : x + s] = 240
    return data


def _boxes() -> list[tuple[int, int, int, int]]:
    return [(x, y, x + s, y + s) for x, y, s in OBJECTS]


def write_nano_sets(root: Path, per_set: int = 2, seed: int = 0) -> Path:
    """Write the miniature shared data folder under ``root``; returns ``root``."""
    names = {k: load_split(DATASETS[k].split_file)["train"][:per_set] for k in DATASETS}
    # Airbus aircraft: train/<id>.jpg and polygons in annotations.csv
    aircraft = root / "airbus-aircraft"
    (aircraft / "train").mkdir(parents=True)
    with (aircraft / "annotations.csv").open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["id", "image_id", "geometry", "class"])
        for i, name in enumerate(names["aircraft"]):
            write_plain_image(aircraft / "train" / name, _scene(seed + i))
            for x0, y0, x1, y1 in _boxes():
                ring = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
                out.writerow([f"{i}-{x0}", name, str(ring), "Airplane"])
    # Airbus oil storage: images/<id>.jpg and bounds keyed by the id without ".jpg"
    tanks = root / "airbus-oil-storage"
    (tanks / "images").mkdir(parents=True)
    with (tanks / "annotations.csv").open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["image_id", "class", "bounds"])
        for i, name in enumerate(names["oil-storage"]):
            write_plain_image(tanks / "images" / name, _scene(seed + 10 + i))
            for box in _boxes():
                out.writerow([name.removesuffix(".jpg"), "oil-storage-tank", str(box)])
    # KIT cars: images/<name>.jpg and YOLO labels (class 0 = car, normalised centre and size)
    cars = root / "kit-aerial-cars"
    (cars / "images").mkdir(parents=True)
    (cars / "labels").mkdir()
    for i, name in enumerate(names["cars"]):
        write_plain_image(cars / "images" / name, _scene(seed + 20 + i))
        lines = [
            f"0 {(x0 + x1) / 2 / SIDE} {(y0 + y1) / 2 / SIDE} {(x1 - x0) / SIDE} {(y1 - y0) / SIDE}"
            for x0, y0, x1, y1 in _boxes()
        ]
        (cars / "labels" / name.replace(".jpg", ".txt")).write_text("\n".join(lines) + "\n")
    # NAIP: a 4-band GeoTIFF with no objects (negatives for every class)
    naip = root / "naip-time-series"
    naip.mkdir()
    write_geotiff(naip / names["naip"][0], pattern(4, SIDE, SIDE, "uint8", seed=seed + 30))
    return root
