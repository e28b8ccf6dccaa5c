"""What nano's heat map costs beyond the overview's own forward pass (issue 28, item 3).

    .venv/bin/python scripts/bench_heat.py [--scene JPEG] [--side 1024] [--runs 5]

Times, on the whole-scene view ``auto`` looks at first (the scene fitted to ``--side`` px), the
forward pass alone (:meth:`NanoModel.segment`) and the forward pass with the backward pass that
gradient-weights the attention (:meth:`NanoModel.look`, what the search runs: its masks and heat
come from that one pass). Prints a markdown table of medians and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from geomag_core.boxes import PixelBox  # noqa: E402
from geomag_core.config import Settings  # noqa: E402
from geomag_core.nano.predictor import NanoModel  # noqa: E402
from geomag_core.scene import Scene  # noqa: E402
from geomag_core.tmra import fitted_view  # noqa: E402

AIRPORT = "airbus-aircraft/train/014de911-7810-4f7d-8967-3e5402209f4a.jpg"


def main() -> None:
    """Time both passes in turn, ``--runs`` times each after a warm-up, and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scene", type=Path, default=Settings().shared_data_dir / AIRPORT)
    parser.add_argument("--side", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    model = NanoModel.load()
    scene = Scene(args.scene)
    view = fitted_view(scene, PixelBox(0, 0, scene.width, scene.height), args.side)
    query = "segment the aircraft"
    passes = {
        "forward (masks only)": model.segment,
        "forward + backward (masks and heat)": model.look,
    }
    for run in passes.values():
        run(view.image, query)  # warm-up
    times: dict[str, list[float]] = {name: [] for name in passes}
    for _ in range(args.runs):
        for name, run in passes.items():  # in turn, so drift hits both alike
            start = time.perf_counter()
            run(view.image, query)
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(t) for name, t in times.items()}
    print(f"{view.width}×{view.height} view of {args.scene.name}, median of {args.runs}\n")
    print("| pass | seconds |\n|---|---:|")
    for name, seconds in medians.items():
        print(f"| {name} | {seconds:.3f} |")
    forward, both = medians.values()
    print(f"\nthe backward pass adds {both / forward - 1:+.1%}")


if __name__ == "__main__":
    main()
