"""Benchmark the history query "label + bounding box + time window" on SpatiaLite and PostGIS.

Loads N synthetic results per store (boxes of 20-500 m over a 10°×10° region, 20 labels, two
years of timestamps), then times ``db.history.find_results`` — the code path the CLI and the app
use — for random (label, 0.5° box, 90-day window) filters, and prints p50/p95 side by side.

    .venv/bin/python scripts/bench_history.py --spatialite-n 100000 --postgis-n 1000000

PostGIS: ``--postgis-url`` (default: GEOMAG_TEST_POSTGIS_URL, else scripts/services.sh's URL).
The benchmark creates a database ``geomag_bench`` there and drops it afterwards (``--keep``).
Not a unit test: it prints numbers and asserts nothing about them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from db.engine import create_db_engine  # noqa: E402
from db.history import HistoryFilter, find_results  # noqa: E402
from db.migrations import upgrade  # noqa: E402

REGION = (-100.0, 40.0, -90.0, 50.0)
LABELS = [f"class-{i:02d}" for i in range(20)]
START = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
SPAN_S = 2 * 365 * 86400
RESULTS_PER_QUERY = 50
BBOX_DEG = 0.5
WINDOW = dt.timedelta(days=90)
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"


def synthetic_rows(n: int, seed: int) -> Iterator[tuple[int, str, float, str, float, dt.datetime]]:
    """``(query_id, label, confidence, WKT, area_m2, created_at)`` for ``n`` box results."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(REGION[0], REGION[2], n)
    y = rng.uniform(REGION[1], REGION[3], n)
    size = rng.uniform(20, 500, n) / 111_000.0
    labels = rng.integers(0, len(LABELS), n)
    conf = rng.uniform(0, 1, n).round(3)
    seconds = rng.integers(0, SPAN_S, n)
    for i in range(n):
        x0, y0, s = x[i], y[i], size[i]
        wkt = f"POLYGON(({x0} {y0},{x0 + s} {y0},{x0 + s} {y0 + s},{x0} {y0 + s},{x0} {y0}))"
        when = START + dt.timedelta(seconds=int(seconds[i]))
        yield (i // RESULTS_PER_QUERY + 1, LABELS[labels[i]], float(conf[i]), wkt, 0.0, when)


def load(engine: Engine, n: int, seed: int) -> float:
    """Migrate an empty database, insert ``n`` results, return seconds taken."""
    started = time.perf_counter()
    upgrade(engine)
    queries = (n + RESULTS_PER_QUERY - 1) // RESULTS_PER_QUERY
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO scenes (uri, content_hash, width, height, bands, created_at) "
                "VALUES ('/bench.tif', :h, 1000, 1000, 3, :t)"
            ),
            {"h": "0" * 64, "t": START},
        )
        connection.execute(
            text(
                "INSERT INTO queries (scene_id, text, granularity, p_image, p_region, p_pixel, "
                "model_versions, pixels, tokens, latency_ms, status, created_at) VALUES "
                "(1, :q, 'region', 0.1, 0.8, 0.1, '{}', 0, 0, 0, 'ok', :t)"
            ),
            [{"q": f"synthetic question {i}", "t": START} for i in range(queries)],
        )
    raw = engine.raw_connection()
    try:
        rows = synthetic_rows(n, seed)
        if engine.dialect.name == "postgresql":
            _copy_postgis(raw.driver_connection, rows)
        else:
            _insert_spatialite(raw.driver_connection, rows)
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return time.perf_counter() - started


def _copy_postgis(connection: object, rows: Iterator[tuple[object, ...]]) -> None:
    sql = "COPY results (query_id, kind, label, confidence, geom, area_m2, created_at) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(sql) as copy:  # type: ignore[attr-defined]
        for qid, label, conf, wkt, area, when in rows:
            copy.write_row((qid, "box", label, conf, f"SRID=4326;{wkt}", area, when))


def _insert_spatialite(connection: object, rows: Iterator[tuple[object, ...]]) -> None:
    sql = (
        "INSERT INTO results (query_id, kind, label, confidence, geom, area_m2, created_at) "
        "VALUES (?, 'box', ?, ?, GeomFromText(?, 4326), ?, ?)"
    )
    batch = [
        (qid, label, conf, wkt, area, when.replace(tzinfo=None).strftime(SQLITE_TIME))  # type: ignore[attr-defined]
        for qid, label, conf, wkt, area, when in rows
    ]
    connection.executemany(sql, batch)  # type: ignore[attr-defined]


def time_queries(engine: Engine, repeats: int, seed: int) -> tuple[float, float, float]:
    """p50 and p95 latency (ms) of ``repeats`` random filters, and the mean number of hits."""
    rng = np.random.default_rng(seed + 1)
    latencies, hits = [], []
    for i in range(repeats + 10):
        x = rng.uniform(REGION[0], REGION[2] - BBOX_DEG)
        y = rng.uniform(REGION[1], REGION[3] - BBOX_DEG)
        since = START + dt.timedelta(seconds=int(rng.integers(0, SPAN_S - WINDOW.total_seconds())))
        where = HistoryFilter(
            labels=[LABELS[int(rng.integers(0, len(LABELS)))]],
            bbox=(x, y, x + BBOX_DEG, y + BBOX_DEG),
            since=since,
            until=since + WINDOW,
        )
        started = time.perf_counter()
        page = find_results(engine, where, limit=100)
        elapsed = (time.perf_counter() - started) * 1000
        if i >= 10:  # the first ten warm the caches and the connection pool
            latencies.append(elapsed)
            hits.append(len(page.items))
    p50, p95 = np.percentile(latencies, [50, 95])
    return float(p50), float(p95), float(np.mean(hits))


def postgis_server_url(given: str | None) -> str:
    """The PostGIS server to use: the flag, the test URL, or scripts/services.sh's."""
    url = given or os.environ.get("GEOMAG_TEST_POSTGIS_URL")
    if url:
        return url
    script = ROOT / "scripts" / "services.sh"
    return subprocess.run([script], check=True, capture_output=True, text=True).stdout.strip()


def bench_postgis(server: str, n: int, repeats: int, seed: int, keep: bool) -> tuple[float, ...]:
    """Load and time PostGIS in a database ``geomag_bench`` of ``server``."""
    admin = create_db_engine(server).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS geomag_bench WITH (FORCE)"))
        connection.execute(text("CREATE DATABASE geomag_bench"))
    engine = create_db_engine(make_url(server).set(database="geomag_bench"))
    try:
        loaded = load(engine, n, seed)
        return (loaded, *time_queries(engine, repeats, seed))
    finally:
        engine.dispose()
        if not keep:
            with admin.connect() as connection:
                connection.execute(text("DROP DATABASE IF EXISTS geomag_bench WITH (FORCE)"))
        admin.dispose()


def bench_spatialite(n: int, repeats: int, seed: int, workdir: Path) -> tuple[float, ...]:
    """Load and time a new SpatiaLite file in ``workdir``."""
    path = workdir / "bench.sqlite"
    for leftover in workdir.glob("bench.sqlite*"):
        leftover.unlink()
    engine = create_db_engine(f"sqlite:///{path}")
    try:
        loaded = load(engine, n, seed)
        return (loaded, *time_queries(engine, repeats, seed))
    finally:
        engine.dispose()


def main() -> None:
    """Parse the flags, run both benchmarks, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spatialite-n", type=int, default=100_000, help="0 skips SpatiaLite")
    parser.add_argument("--postgis-n", type=int, default=1_000_000, help="0 skips PostGIS")
    parser.add_argument("--postgis-url", default=None)
    parser.add_argument("--repeats", type=int, default=200, help="timed queries per store")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, default=None, help="for the SpatiaLite file")
    parser.add_argument("--keep", action="store_true", help="keep the PostGIS bench database")
    args = parser.parse_args()

    rows: list[tuple[str, int, tuple[float, ...]]] = []
    if args.spatialite_n > 0:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = args.workdir or Path(tmp)
            workdir.mkdir(parents=True, exist_ok=True)
            stats = bench_spatialite(args.spatialite_n, args.repeats, args.seed, workdir)
            rows.append(("SpatiaLite", args.spatialite_n, stats))
    if args.postgis_n > 0:
        server = postgis_server_url(args.postgis_url)
        stats = bench_postgis(server, args.postgis_n, args.repeats, args.seed, args.keep)
        rows.append(("PostGIS", args.postgis_n, stats))

    print(
        f"\nlabel + {BBOX_DEG}° bbox + {WINDOW.days}-day window, "
        f"{args.repeats} random queries each (find_results, limit 100)\n"
    )
    print("| store      |         N | load (s) | p50 (ms) | p95 (ms) | mean hits |")
    print("|------------|----------:|---------:|---------:|---------:|----------:|")
    for name, n, (loaded, p50, p95, hits) in rows:
        print(
            f"| {name:<10} | {n:>9,} | {loaded:>8.1f} | {p50:>8.2f} | {p95:>8.2f} | {hits:>9.1f} |"
        )


if __name__ == "__main__":
    main()
