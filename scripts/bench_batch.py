"""Scenes per minute of one question over 12 Airbus aircraft scenes with nano, four ways.

    .venv/bin/python scripts/bench_batch.py [--scenes N] [--cpus N] [--out FILE.json]

1. ``geomag ask`` run once per scene (12 processes, one after another): each process imports
   the stack and loads the models again;
2. ``geomag batch --engine local``: one process, models loaded once;
3. ``geomag batch --engine ray --workers 1`` and 4. ``--workers 2``: a local Ray on this
   machine, one actor per worker loading the models once.

Every run is a subprocess with a fresh data dir (nothing is skipped), timed from start to exit
(so Ray's start-up counts). "Load outside the steps" is, per ask, the process's wall time
minus its pipeline steps' time (``timings_ms`` of ``--json``), and for a batch its workers'
model loading. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
GEOMAG = [sys.executable, "-m", "agent.cli.main"]
QUESTION = "how many aircraft are there?"


def _env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GEOMAG_DATA_DIR=str(data_dir),
        HF_HUB_OFFLINE="1",
        GEOMAG_MODEL_PROFILE="nano",
        GEOMAG_QUESTION_BUDGET_S="100000",  # no run's search stops early on a busy machine
    )
    env.pop("GEOMAG_DATABASE_URL", None)
    return env


def _run(command: list[str], data_dir: Path) -> tuple[float, Any]:
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=REPO, env=_env(data_dir), capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[:6])} … failed ({done.returncode}): {done.stderr[-800:]}")
    return wall, json.loads(done.stdout)


def bench(scenes: list[Path], cpus: int) -> list[dict[str, Any]]:
    """Time the four ways; one row each."""
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        root = Path(tmp)
        walls, loads, found = [], [], 0
        for i, scene in enumerate(scenes):
            wall, record = _run([*GEOMAG, "ask", str(scene), QUESTION, "--json"], root / "asks")
            steps = sum(record["timings_ms"].values()) / 1000
            walls.append(wall)
            loads.append(wall - steps)
            found += len(record["result_ids"])
            print(f"  ask {i + 1}/{len(scenes)}: {wall:.1f} s", file=sys.stderr)
        rows.append(
            {
                "how": f"{len(scenes)} separate `geomag ask` runs",
                "wall_s": sum(walls),
                "loads": len(scenes),
                "load_s": sum(loads),
                "results": found,
            }
        )
        for how, extra in [
            ("`geomag batch --engine local`", ["--engine", "local"]),
            ("`geomag batch --engine ray --workers 1`", ["--engine", "ray", "--workers", "1"]),
            ("`geomag batch --engine ray --workers 2`", ["--engine", "ray", "--workers", "2"]),
        ]:
            command = [*GEOMAG, "batch", QUESTION, *map(str, scenes), *extra, "--json"]
            if "ray" in extra:
                command += ["--cpus", str(cpus)]
            wall, record = _run(command, root / how.split()[-1].strip("`").replace(" ", ""))
            assert record["counts"]["answered"] == len(scenes), record["counts"]
            rows.append(
                {
                    "how": how,
                    "wall_s": wall,
                    "loads": len(record["model_load_s"]),
                    "load_s": sum(record["model_load_s"].values()),
                    "results": sum(len(s["result_ids"]) for s in record["scenes"]),
                }
            )
            print(f"  {how}: {wall:.1f} s", file=sys.stderr)
    return rows


def table(rows: list[dict[str, Any]], n: int) -> str:
    """The markdown table, ratios against the separate asks."""
    base = rows[0]
    lines = [
        "| how | wall (s) | scenes/min | × separate asks | model loads "
        "| load outside the steps (s) | stored results |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        rate = 60 * n / r["wall_s"]
        lines.append(
            f"| {r['how']} | {r['wall_s']:.1f} | {rate:.2f} | "
            f"{base['wall_s'] / r['wall_s']:.2f} | {r['loads']} | {r['load_s']:.1f} | "
            f"{r['results']} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Parse the options, run, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenes", type=int, default=12)
    parser.add_argument("--cpus", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=None)
    shared = Path(os.environ.get("GEOMAG_SHARED_DATA_DIR", REPO.parent / "shared" / "data"))
    parser.add_argument("--images", type=Path, default=shared / "airbus-aircraft" / "train")
    args = parser.parse_args()
    scenes = sorted(args.images.glob("*.jpg"))[: args.scenes]
    if len(scenes) < args.scenes:
        sys.exit(f"need {args.scenes} scenes in {args.images}, found {len(scenes)}")
    rows = bench(scenes, args.cpus)
    n = len(scenes)
    print(table(rows, n))
    asks, local = rows[0]["wall_s"], rows[1]["wall_s"]
    print(
        f"\nPer scene: {asks / n:.1f} s as separate asks, {local / n:.1f} s in one batch process "
        f"(its start and model load included): loading once saved {asks - local:.1f} s over {n} "
        f"scenes. 'Load outside the steps' is a run's wall time minus its pipeline steps' time "
        f"(asks: process start and imports) or the workers' model loading (batches); an ask "
        f"loads its models lazily inside its steps, so it understates an ask's overhead. "
        f"{os.cpu_count()} CPUs, Ray given {args.cpus}."
    )
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
