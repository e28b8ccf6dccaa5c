"""Peak memory and wall time of the CLI on a large tiled GeoTIFF (issue 15's limits table).

Generates a seeded ``SIDE``² 3-band tiled, deflate GeoTIFF (no overviews, the worst case for
decimated reads; ``--sparse``: a 1 m/px scene of which only three tiles hold data) in a
temporary folder, then runs each command in a child process and reports
its peak resident memory (``ru_maxrss`` of the child, i.e. its VmHWM) and wall time::

    .venv/bin/python scripts/bench_limits.py --side 20000

Nothing is kept: the raster is deleted at the end (``--keep DIR`` keeps it there).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.windows import Window

BIN = Path(sys.executable).parent


def _profile(side: int, metres_per_px: float, **extra: object) -> dict[str, object]:
    """A ``side``² RGB uint8 tiled, deflate BigTIFF in UTM 33N at ``metres_per_px``."""
    return {
        "driver": "GTiff",
        "width": side,
        "height": side,
        "count": 3,
        "dtype": "uint8",
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        "compress": "deflate",
        "crs": "EPSG:32633",
        "transform": Affine(metres_per_px, 0, 400_000, 0, -metres_per_px, 5_000_000),
        "BIGTIFF": "YES",
        **extra,
    }


def make_scene(path: Path, side: int, seed: int = 0) -> Path:
    """A ``side``² RGB uint8 tiled GeoTIFF: smooth fields plus noise, written in 512-row strips."""
    rng = np.random.default_rng(seed)
    xx = np.arange(side, dtype=np.float32)
    with rasterio.open(path, "w", **_profile(side, 0.5, zlevel=1)) as dst:
        for y0 in range(0, side, 512):
            rows = min(512, side - y0)
            yy = np.arange(y0, y0 + rows, dtype=np.float32)[:, None]
            base = 100 + 60 * np.sin(xx[None, :] / 900.0) * np.cos(yy / 700.0)
            noise = rng.integers(0, 24, (3, rows, side), dtype=np.uint8)
            strip = (base[None] + noise).astype(np.uint8)
            dst.write(strip, window=Window(0, y0, side, rows))
    return path


def make_sparse_scene(path: Path, side: int, seed: int = 7) -> Path:
    """A ``side``² RGB GeoTIFF at 1 m/px of which only three 512² tiles hold data.

    Tiny on disk and fast to make, but a reader that decodes it whole needs ``3 * side²``
    bytes; nano must find its few objects without doing so.
    """
    rng = np.random.default_rng(seed)
    with rasterio.open(path, "w", **_profile(side, 1.0, sparse_ok=True)) as dst:
        block = rng.integers(0, 255, (3, 512, 512), dtype=np.uint8)
        for col, row in ((0, 0), (side // 2, side // 2), (side - 512, side - 512)):
            dst.write(block, window=Window(col, row, 512, 512))
    return path


def measure(command: list[str], env: dict[str, str]) -> tuple[int, float, float]:
    """Exit status, peak RSS (MiB) and wall seconds of ``command`` run as a child."""
    started = time.perf_counter()
    proc = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode:
        print(proc.stderr.strip().splitlines()[-1:], file=sys.stderr)
    return proc.returncode, peak_kib / 1024, wall


def main() -> None:
    """Generate the scene, run the commands one per child process, print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--side", type=int, default=20_000)
    parser.add_argument("--keep", type=Path, default=None)
    parser.add_argument("--commands", default="scene,views,ask,ask-tiny")
    parser.add_argument(
        "--sparse", action="store_true", help="a sparse 1 m/px scene (three 512² tiles of data)"
    )
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="geomag-limits-"))
    folder.mkdir(parents=True, exist_ok=True)
    scene = folder / f"{'sparse' if args.sparse else 'tiled'}_{args.side}.tif"
    if not scene.exists():
        t = time.perf_counter()
        (make_sparse_scene if args.sparse else make_scene)(scene, args.side)
        size = scene.stat().st_size / 2**20
        print(f"made {scene} ({size:,.0f} MiB) in {time.perf_counter() - t:.0f} s")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GEOMAG_DATA_DIR": str(folder / "data")}
    geomag = str(BIN / "geomag")
    commands = {
        "scene": [geomag, "scene", str(scene), "--json"],
        "views": [geomag, "views", str(scene), "-g", "pixel", "--json"],
        "ask": [geomag, "ask", str(scene), "how many aircraft are there?", "--json"],
        # the tiny profile's pixel path: PSC zoom, TMRA views, SAM2 features, the mask decoder
        "ask-tiny": [
            geomag,
            "ask",
            str(scene),
            "segment the fields",
            "--profile",
            "tiny",
            "--json",
        ],
    }
    print("| command | exit | peak RSS (MiB) | wall (s) |\n|---|---:|---:|---:|")
    for name in args.commands.split(","):
        # a fresh wrapper per command, so ru_maxrss is that command's own peak
        wrapper = [
            sys.executable,
            "-c",
            "import json,sys; sys.path.insert(0, sys.argv[1]); "
            "from bench_limits import measure; "
            "print(json.dumps(measure(json.loads(sys.argv[2]), dict(__import__('os').environ))))",
            str(Path(__file__).parent),
            __import__("json").dumps(commands[name]),
        ]
        out = subprocess.run(wrapper, env=env, capture_output=True, text=True)
        if out.returncode:
            print(out.stderr, file=sys.stderr)
            continue
        code, peak, wall = __import__("json").loads(out.stdout.strip().splitlines()[-1])
        print(f"| geomag {name} | {code} | {peak:,.0f} | {wall:,.1f} |", flush=True)
    if args.keep is None:
        for p in sorted(folder.rglob("*"), reverse=True):
            p.unlink() if p.is_file() else p.rmdir()
        folder.rmdir()


if __name__ == "__main__":
    main()
