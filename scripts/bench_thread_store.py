"""The size of ``threads.sqlite`` as questions accumulate (issue 26: it must stay bounded).

    .venv/bin/python scripts/bench_thread_store.py [--questions 100] [--threads 10]

One session (nano, the shipped weights) asks a cycle of questions of the bundled NAIP sample
(searches, water and vegetation outlines, follow-ups), spread over ``--threads`` investigations,
and prints the thread store's size and checkpoint rows every quarter of the way.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from agent.session import Session  # noqa: E402
from geomag_core.config import Settings  # noqa: E402

SCENE = REPO / "samples" / "m_4709963_se_14_1_20200831.tif"
QUESTIONS = [
    "how many aircraft are there?",
    "outline the water",
    "segment the vegetation",
    "how many of them are larger than 500 m²?",
    "what is in this scene?",
]


def main() -> None:
    """Ask, and print the store's size every quarter of the way."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--threads", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        store = data / "threads.sqlite"
        print("| questions | threads.sqlite (MB) | checkpoint rows |\n|---:|---:|---:|")
        with Session(Settings(data_dir=data, model_profile="nano", gsd=0.5)) as session:
            for n in range(1, args.questions + 1):
                # each thread's next question differs from its last (the same one is a retry)
                question = QUESTIONS[((n - 1) // args.threads) % len(QUESTIONS)]
                session.ask(SCENE, question, f"thread-{(n - 1) % args.threads}")
                if n % max(1, args.questions // 4) == 0:
                    with sqlite3.connect(store) as db:
                        rows = db.execute("SELECT count(*) FROM checkpoints").fetchone()[0]
                    print(f"| {n} | {store.stat().st_size / 1e6:.1f} | {rows} |", flush=True)


if __name__ == "__main__":
    main()
