"""Batch fixtures: a fresh data dir per test, real scenes, a corrupt copy, and stored rows."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import create_db_engine
from db.models import QueryRow, ResultRow, SceneRow
from geomag_core.config import Settings

#: Routed to nano (aircraft) and to the spectral indices (water): both look on real scenes.
QUESTION = "count the aircraft and outline the water"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh GEOMAG_DATA_DIR (its own SpatiaLite history) for one test."""
    where = tmp_path / "data"
    monkeypatch.setenv("GEOMAG_DATA_DIR", str(where))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("GEOMAG_DATABASE_URL", raising=False)
    monkeypatch.delenv("GEOMAG_MODEL_PROFILE", raising=False)
    return where


@pytest.fixture(scope="session")
def naip_series(shared_data: Path) -> list[Path]:
    """The ten NAIP acquisitions of the shared data (5 m, RGBN, EPSG:26914)."""
    tiles = sorted((shared_data / "naip-time-series").glob("*.tif"))
    assert len(tiles) == 10, f"expected 10 NAIP tiles in {shared_data}, found {len(tiles)}"
    return tiles


@pytest.fixture(scope="session")
def airbus_scenes(shared_data: Path) -> list[Path]:
    """The twelve first Airbus aircraft scenes by name (Pléiades 0.5 m, 2560² JPEG)."""
    scenes = sorted((shared_data / "airbus-aircraft" / "train").glob("*.jpg"))[:12]
    assert len(scenes) == 12, f"expected Airbus aircraft scenes in {shared_data}"
    return scenes


@pytest.fixture
def corrupt_scene(tmp_path: Path, naip_series: list[Path]) -> Path:
    """A NAIP GeoTIFF cut off after its first 4 KiB: its header promises pixels it lacks."""
    out = tmp_path / "scenes" / "truncated.tif"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(naip_series[0].read_bytes()[:4096])
    return out


def stored(settings: Settings) -> list[dict[str, Any]]:
    """Every stored query of ``settings``' history: request id, scene hash and its results.

    Results are compared by kind, label, confidence (3 decimals), pixel box and area (0.01 m²).
    """
    engine = create_db_engine(settings.effective_database_url)
    out = []
    with Session(engine) as session:
        rows = session.execute(
            select(QueryRow, SceneRow.content_hash).join(SceneRow).order_by(QueryRow.id)
        ).all()
        for query, sha in rows:
            results = session.scalars(
                select(ResultRow).where(ResultRow.query_id == query.id).order_by(ResultRow.id)
            ).all()
            out.append(
                {
                    "request_id": query.request_id,
                    "sha256": sha,
                    "text": query.text,
                    "granularity": str(query.granularity),
                    "status": str(query.status),
                    "route": query.model_versions.get("route"),
                    "results": [
                        (
                            str(r.kind),
                            r.label,
                            None if r.confidence is None else round(r.confidence, 3),
                            (r.x0, r.y0, r.x1, r.y1),
                            None if r.area_m2 is None else round(r.area_m2, 2),
                        )
                        for r in results
                    ],
                }
            )
    engine.dispose()
    return out


def request_counts(settings: Settings) -> Counter[str]:
    """How many stored queries carry each request id."""
    return Counter(str(q["request_id"]) for q in stored(settings))


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` still exists (and is not a zombie)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def descendants(pid: int) -> set[int]:
    """Every living process below ``pid`` (children, their children, …), from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found
