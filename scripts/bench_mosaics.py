"""Two large-scene benchmarks for iterative zoom: a dense and a sparse 10,240² tank mosaic.

Built, seeded, from the project's *validation* split (never trained on) and the NAIP series:

* ``dense``: the 15 validation oil-storage scenes (2,560², ~1.2 m) in a 4 × 4 grid, the 16th
  cell a NAIP crop (our split has 15 validation tank scenes, not 16);
* ``sparse``: one validation tank scene among 15 NAIP crops resampled from 5 m to the tanks'
  1.2 m (farmland: no tanks), so most of the scene holds nothing to find. NAIP has 10 dates of
  one quarter-quad: each cell is a seeded crop of a seeded date, flipped or turned.

Each strategy of the small-object benchmark (``geomag eval small-objects``; ``e-auto`` is what
``geomag ask`` does, iterative zoom included; ``e'-auto-one-level`` is it without) runs in a
child process of its own, so its wall time and peak memory are its own::

    .venv/bin/python scripts/bench_mosaics.py                       # both, three strategies
    .venv/bin/python scripts/bench_mosaics.py --mosaic sparse --strategies all

The mosaics (GeoTIFF without a CRS, scored at the class's 1.2 m) and their boxes are kept in
``--out`` (ignored by git; the Airbus images stay out of the repository) and reused.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import rasterio
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CELL = 2560
TANK_GSD, NAIP_GSD = 1.2, 5.0
DEFAULT = ("b-tiling", "e-auto", "e'-auto-one-level")


def _naip_crop(paths: list[Path], rng: random.Random) -> np.ndarray:
    """A 2,560² RGB crop of a seeded NAIP date, resampled 5 m → 1.2 m, flipped or turned."""
    with rasterio.open(rng.choice(paths)) as src:
        rgb = src.read([1, 2, 3]).transpose(1, 2, 0)
    factor = NAIP_GSD / TANK_GSD
    big = Image.fromarray(rgb).resize(
        (round(rgb.shape[1] * factor), round(rgb.shape[0] * factor)), Image.Resampling.BICUBIC
    )
    x = rng.randrange(0, big.width - CELL + 1)
    y = rng.randrange(0, big.height - CELL + 1)
    crop = np.asarray(big.crop((x, y, x + CELL, y + CELL)))
    crop = np.rot90(crop, rng.randrange(4))
    return np.ascontiguousarray(crop[:, ::-1] if rng.random() < 0.5 else crop)


def build(kind: str, out: Path, seed: int, shared: Path) -> tuple[Path, list[list[float]]]:
    """Write the ``kind`` mosaic (once) and return it with its tank boxes (scene pixels)."""
    from geomag_core.nano.datasets import load_scenes

    path, truth_path = out / f"{kind}-10240.tif", out / f"{kind}-10240.boxes.json"
    if path.exists() and truth_path.exists():
        return path, json.loads(truth_path.read_text())
    rng = random.Random(f"{kind}/{seed}")
    tanks = load_scenes(shared, "oil-storage", "val")
    naip = sorted((shared / "naip-time-series").glob("*.tif"))
    if kind == "dense":
        cells: list[object] = [*tanks, None]
    else:
        cells = [rng.choice(tanks), *([None] * 15)]
    rng.shuffle(cells)
    image = np.zeros((4 * CELL, 4 * CELL, 3), dtype=np.uint8)
    truth: list[list[float]] = []
    for i, cell in enumerate(cells):
        y0, x0 = (i // 4) * CELL, (i % 4) * CELL
        if cell is None:
            image[y0 : y0 + CELL, x0 : x0 + CELL] = _naip_crop(naip, rng)
            continue
        pixels = np.asarray(Image.open(cell.path).convert("RGB"))  # type: ignore[attr-defined]
        image[y0 : y0 + CELL, x0 : x0 + CELL] = pixels[:CELL, :CELL]
        truth += [[b.x0 + x0, b.y0 + y0, b.x1 + x0, b.y1 + y0] for b in cell.boxes]  # type: ignore[attr-defined]
    out.mkdir(parents=True, exist_ok=True)
    profile = {"driver": "GTiff", "width": 4 * CELL, "height": 4 * CELL, "count": 3,
               "dtype": "uint8", "tiled": True, "blockxsize": 512, "blockysize": 512,
               "compress": "deflate"}  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(image.transpose(2, 0, 1))
    truth_path.write_text(json.dumps(truth))
    return path, truth


def one(path: Path, truth: list[list[float]], strategy: str) -> dict[str, object]:
    """Run one strategy on one mosaic (in this process) and return its row."""
    from geomag_core.nano.benchmark import BenchmarkConfig, StrategyTotals, run_scene
    from geomag_core.nano.predictor import NanoModel
    from geomag_core.scene import Scene

    model = NanoModel.load(None, device="cpu")
    totals: dict[str, StrategyTotals] = {}
    cfg = BenchmarkConfig(target="oil-storage tank")
    scene = Scene(path)
    t = time.perf_counter()
    run_scene(model, scene, [tuple(b) for b in truth], cfg, totals, only=(strategy,))  # type: ignore[misc]
    row = totals[strategy].as_dict(0.5)
    return {
        "strategy": strategy,
        "recall": row["recall"],
        "precision": row["precision"],
        "recall_iou30": row["iou30"]["recall"],
        "pixels": row["pixels_per_scene"] / (scene.width * scene.height),
        "seconds": time.perf_counter() - t,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    """Build the mosaics and print one table per mosaic (or, with ``--one``, one JSON row)."""
    from geomag_core.config import Settings
    from geomag_core.nano.benchmark import LARGE_SCENE_STRATEGIES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mosaic", choices=["dense", "sparse", "both"], default="both")
    parser.add_argument("--strategies", default=",".join(DEFAULT), help="comma-separated, or 'all'")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "mosaics")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--one", nargs=2, metavar=("MOSAIC", "STRATEGY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    shared = Settings().shared_data_dir
    if args.one:
        path, truth = build(args.one[0], args.out, args.seed, shared)
        print(json.dumps(one(path, truth, args.one[1])))
        return
    names = LARGE_SCENE_STRATEGIES if args.strategies == "all" else args.strategies.split(",")
    unknown = set(names) - set(LARGE_SCENE_STRATEGIES)
    if unknown:
        parser.error(f"unknown strategies {sorted(unknown)}; known: {LARGE_SCENE_STRATEGIES}")
    kinds = ["dense", "sparse"] if args.mosaic == "both" else [args.mosaic]
    for kind in kinds:
        path, truth = build(kind, args.out, args.seed, shared)
        print(f"\n{kind}: {path.name}, {len(truth)} tanks", flush=True)
        print("| strategy | R@0.5 | P@0.5 | R@0.3 | pixels (share) | s | peak MiB | s / tiling |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|", flush=True)
        tiling_s = None
        for name in names:
            cmd = [sys.executable, __file__, "--one", kind, name, "--out", str(args.out),
                   "--seed", str(args.seed)]  # fmt: skip
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"| {name} | failed: {done.stderr.strip().splitlines()[-1:]} |", flush=True)
                continue
            r = json.loads(done.stdout.strip().splitlines()[-1])
            tiling_s = r["seconds"] if name == "b-tiling" else tiling_s
            ratio = f"{r['seconds'] / tiling_s:.2f}" if tiling_s else "–"
            print(
                f"| {name} | {r['recall']:.3f} | {r['precision']:.3f} | {r['recall_iou30']:.3f} "
                f"| {r['pixels']:.1%} | {r['seconds']:.0f} | {r['peak_mib']:.0f} | {ratio} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
