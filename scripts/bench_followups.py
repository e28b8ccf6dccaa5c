"""Seconds per follow-up answered from stored results, after the models are loaded.

    .venv/bin/python scripts/bench_followups.py [--scene JPEG] [--runs N] [--database URL]

One session (nano, the shipped weights) asks "how many aircraft are there?" of two real Airbus
airports once (the searches, timed once), then each follow-up below ``--runs`` times, each in a
new investigation that has asked about both airports; every follow-up is answered from the
stored rows (nothing is searched or stored, which the script checks). Prints a markdown table:
median, min and max seconds per question, and the searches' times beside them.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from agent.session import Session  # noqa: E402
from geomag_core.config import Settings  # noqa: E402

AIRPORT = "airbus-aircraft/train/014de911-7810-4f7d-8967-3e5402209f4a.jpg"
OTHER = "airbus-aircraft/train/0263270b-e3ee-41dc-aeef-43ff77e66d5b.jpg"
SEARCH = "how many aircraft are there?"
FOLLOW_UPS = [
    "how many of them are longer than 40 m?",
    "which are the three largest?",
    "what is their total area?",
    "now only the confident ones",
    "what is the mean length of those?",
    "what did we find here before?",
    SEARCH,  # in a new thread: asked before, its stored rows answer
    "how deep is the pond?",  # not understood
    "compare with the other airport",
    "which scene had the most aircraft?",
    "how many aircraft were found since yesterday?",
    "what is in this scene?",
]


def main() -> None:
    """Run the search once, each follow-up --runs times; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scene", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database", default=None, help="default: a new SpatiaLite file")
    args = parser.parse_args()
    scene = args.scene or Settings().shared_data_dir / AIRPORT
    other = Settings().shared_data_dir / OTHER
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        settings = Settings(data_dir=Path(tmp), model_profile="nano", database_url=url)
        with Session(settings) as session:
            started = time.perf_counter()
            first = session.ask(scene, SEARCH, "bench")
            search_s = time.perf_counter() - started
            started = time.perf_counter()
            session.ask(other, SEARCH, "bench")
            rows = [
                (f"{SEARCH} (the search, once)", [search_s]),
                (f"{SEARCH} (the other airport's search, once)", [time.perf_counter() - started]),
            ]
            for question in FOLLOW_UPS:
                times = []
                for run in range(args.runs):
                    thread = f"bench-{question}-{run}"
                    if question != SEARCH:  # both airports in the thread (asked before)
                        session.ask(other, SEARCH, thread)
                        session.ask(scene, SEARCH, thread)
                    started = time.perf_counter()
                    answer = session.ask(scene, question, thread)
                    times.append(time.perf_counter() - started)
                    assert answer.plan is not None and answer.query_id is None, question
                rows.append((question, times))
            assert first.query_id is not None
    print(f"Follow-ups on {scene.name} ({len(first.result_ids)} aircraft stored), {args.runs} runs")
    print()
    print("| question (each in a new investigation) | median s | min s | max s |")
    print("|---|---:|---:|---:|")
    for question, times in rows:
        print(
            f"| {question} | {statistics.median(times):.3f} | {min(times):.3f} | {max(times):.3f} |"
        )


if __name__ == "__main__":
    main()
