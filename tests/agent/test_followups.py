"""Investigations on real scenes: follow-ups answered from the stored rows, on both databases.

Every number a follow-up states is recomputed here from the database rows themselves (lengths
from the stored outlines, areas from the stored metric areas), not from the answer's code.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import shapely
from shapely import wkb
from sqlalchemy import func, select

from agent.session import Outcome, Session
from db.engine import create_db_engine
from db.models import QueryRow, ResultRow
from geomag_core.config import Settings

AIRPORT = "014de911-7810-4f7d-8967-3e5402209f4a.jpg"
TANKS = "008589fd-9f7a-4332-bfff-950610e1555b.jpg"
GSD = 0.5  # nano's aircraft training GSD: what a JPEG without a CRS is measured with


@contextlib.contextmanager
def _database(kind: str, tmp_path: Path) -> Iterator[str]:
    if kind == "postgis":
        from tests.conftest import postgis_database

        with postgis_database() as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'history.sqlite'}"


DATABASES = ["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)]


def _rows(url: str, ids: tuple[int, ...] | None = None) -> list[ResultRow]:
    engine = create_db_engine(url)
    with engine.connect() as c:
        stmt = select(ResultRow.id, ResultRow.kind, ResultRow.area_m2, ResultRow.geom_scene_wkb)
        if ids is not None:
            stmt = stmt.where(ResultRow.id.in_(ids))
        rows = list(c.execute(stmt.order_by(ResultRow.id)).all())
    engine.dispose()
    return rows  # type: ignore[return-value]


def _counts(url: str) -> tuple[int, int]:
    engine = create_db_engine(url)
    with engine.connect() as c:
        queries = int(c.scalar(select(func.count()).select_from(QueryRow)) or 0)
        results = int(c.scalar(select(func.count()).select_from(ResultRow)) or 0)
    engine.dispose()
    return queries, results


def _ask_json(data: Path, url: str, scene: Path, question: str, thread: str) -> Any:
    """``geomag ask SCENE QUESTION --thread T --json`` as the real console script (nano)."""
    exe = shutil.which("geomag", path=str(Path(sys.executable).parent))
    assert exe
    env = {**os.environ, "GEOMAG_DATA_DIR": str(data), "GEOMAG_DATABASE_URL": url,
           "GEOMAG_MODEL_PROFILE": "nano"}  # fmt: skip
    cli = subprocess.run(
        [exe, "ask", str(scene), question, "--thread", thread, "--json"],
        capture_output=True, text=True, env=env, timeout=300, check=True,
    )  # fmt: skip
    return json.loads(cli.stdout)


def _length_m(row: ResultRow) -> float:
    """The stored pixel outline's longest rotated-rectangle side, at the assumed GSD."""
    shape = wkb.loads(bytes(row.geom_scene_wkb))
    ring = list(shapely.minimum_rotated_rectangle(shape).exterior.coords)
    return max(
        ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5 for (x0, y0), (x1, y1) in pairwise(ring)
    ) * GSD  # fmt: skip


def _area_m2(row: ResultRow) -> float:
    return float(row.area_m2) if row.area_m2 is not None else (
        wkb.loads(bytes(row.geom_scene_wkb)).area * GSD * GSD
    )  # fmt: skip


@pytest.mark.parametrize("kind", DATABASES)
def test_follow_ups_on_an_airport_answer_from_the_stored_rows(
    kind: str, tmp_path: Path, shared_data: Path
) -> None:
    scene = shared_data / "airbus-aircraft" / "train" / AIRPORT
    with _database(kind, tmp_path) as url:
        settings = Settings(data_dir=tmp_path, model_profile="nano", database_url=url)
        with Session(settings) as session:
            found = session.ask(scene, "how many aircraft are there?", "inv")
            assert found.plan is None and found.query_id is not None
            stored = _counts(url)
            masks = [r for r in _rows(url) if r.kind.value == "mask"]
            assert len(masks) == len(found.result_ids) >= 10

            longer = session.ask(scene, "how many of them are longer than 40 m?", "inv")
            assert longer.plan is not None
            assert longer.plan.signature() == "followup|length>40|count"
            assert set(longer.plan.read_ids) == {r.id for r in masks}
            expected = {r.id for r in masks if _length_m(r) > 40}
            assert set(longer.result_ids) == expected
            assert f"Count: {len(expected)} " in longer.answer
            assert "0.5 m per pixel" in longer.answer  # the assumption is said

            top = session.ask(scene, "which are the three largest?", "inv")
            ranked = sorted(_rows(url, tuple(expected)), key=_area_m2, reverse=True)[:3]
            assert top.result_ids == tuple(r.id for r in ranked)  # chained on the filter
            total = session.ask(scene, "what is their total area?", "inv")
            assert total.plan is not None and total.plan.read_ids == top.result_ids
            said = sum(_area_m2(r) for r in ranked)
            assert f"Total area: {said:,.1f} m²" in total.answer

            again = session.ask(scene, "How many aircraft are there?", "another-thread")
            assert again.plan is not None and again.plan.source == "asked before"
            assert f"Count: {len(masks)} " in again.answer
            near = session.ask(scene, "how many of them are within 300 m of 47.1, -99.2?", "inv")
            assert "no CRS: distances on the ground cannot be measured" in near.answer
            assert "Count: 0 " in near.answer
            refused = session.ask(scene, "delete them", "inv")
            assert refused.plan is not None and refused.plan.kind == "not_understood"
            assert "Nothing was searched, stored, changed or deleted" in refused.answer
            assert _counts(url) == stored  # follow-ups, re-asks and refusals stored nothing

        record = _ask_json(tmp_path, url, scene, "only the confident ones", "inv")
        assert record["plan"]["operations"] == ["filter", "list"]
        assert record["plan"]["text"].startswith("filter(previous, confidence > 0.8)")
        assert _counts(url) == stored


def _ask(session: Session, scene: Path, question: str) -> Outcome:
    return session.ask(scene, question, "naip")


@pytest.mark.parametrize("kind", DATABASES)
def test_water_follow_ups_and_recall_on_the_naip_tile(
    kind: str, tmp_path: Path, sample_scene: Path
) -> None:
    with _database(kind, tmp_path) as url:
        settings = Settings(data_dir=tmp_path, model_profile="nano", database_url=url)
        with Session(settings) as session:
            water = _ask(session, sample_scene, "outline the water")
            rows = [r for r in _rows(url) if r.kind.value == "mask"]
            big = session.ask(sample_scene, "how many of them are bigger than 1 ha?", "naip")
            assert big.plan is not None and big.plan.signature() == "followup|area>1e+04|count"
            assert len(big.result_ids) == sum(1 for r in rows if r.area_m2 > 1e4)
            mean = session.ask(sample_scene, "what is the mean area of those?", "naip")
            kept = [r for r in rows if r.area_m2 > 1e4]
            assert f"Mean area: {sum(r.area_m2 for r in kept) / len(kept):,.1f} m²" in mean.answer
            recall = session.ask(sample_scene, "what did we find here before?", "new-thread")
            assert recall.plan is not None and recall.plan.kind == "recall"
            assert f"{len(rows)} water" in recall.answer
            assert f"#{water.query_id} “outline the water”" in recall.answer


@pytest.mark.parametrize("kind", DATABASES)
def test_tank_follow_ups_rank_and_count_the_stored_tanks(
    kind: str, tmp_path: Path, shared_data: Path
) -> None:
    scene = shared_data / "airbus-oil-storage" / "images" / TANKS
    with _database(kind, tmp_path) as url:
        settings = Settings(data_dir=tmp_path, model_profile="nano", database_url=url)
        with Session(settings) as session:
            found = session.ask(scene, "how many oil-storage tanks are there?", "tanks")
            tanks = [r for r in _rows(url) if r.kind.value == "mask"]
            assert len(tanks) == len(found.result_ids) >= 5
            stored = _counts(url)
            top = session.ask(scene, "which are the three largest tanks?", "tanks")
            assert top.plan is not None
            assert top.plan.signature() == "followup|label=oil-storage tank|rank:area:desc:3|list"
            tank_gsd = 1.2  # nano's oil-storage training GSD: the JPEG has no CRS
            areas = {r.id: wkb.loads(bytes(r.geom_scene_wkb)).area * tank_gsd**2 for r in tanks}
            assert top.result_ids == tuple(sorted(areas, key=areas.__getitem__, reverse=True)[:3])
            small = session.ask(scene, "how many of them are under 20 m across?", "tanks")
            # "across" is no measure of its own: the plan reads it as a length, said so
            assert small.plan is not None and small.plan.signature() == "followup|length<20|count"
            recall = session.ask(scene, "what did we find here before?", "new-thread")
            assert recall.plan is not None and recall.plan.kind == "recall"
            assert f"Stored: {len(tanks)} oil-storage tanks." in recall.answer  # the plural
            assert _counts(url) == stored


OTHER_AIRPORT = "0263270b-e3ee-41dc-aeef-43ff77e66d5b.jpg"


def _masks_by_query(url: str) -> dict[int, list[int]]:
    engine = create_db_engine(url)
    with engine.connect() as c:
        rows = c.execute(
            select(ResultRow.query_id, ResultRow.id).where(ResultRow.kind == "mask")
        ).all()
    engine.dispose()
    out: dict[int, list[int]] = {}
    for query_id, result_id in rows:
        out.setdefault(int(query_id), []).append(int(result_id))
    return out


@pytest.mark.parametrize("kind", DATABASES)
def test_history_compare_and_describe_over_two_airports(
    kind: str, tmp_path: Path, shared_data: Path
) -> None:
    """Questions over everything stored, scenes side by side, a scene described — all counted
    again here from the rows, and nothing stored by any of them."""
    from db.enums import Verdict
    from db.feedback import save_feedback

    first = shared_data / "airbus-aircraft" / "train" / AIRPORT
    second = shared_data / "airbus-aircraft" / "train" / OTHER_AIRPORT
    with _database(kind, tmp_path) as url:
        settings = Settings(data_dir=tmp_path, model_profile="nano", database_url=url)
        with Session(settings) as session:
            a = session.ask(first, "how many aircraft are there?", "two")
            b = session.ask(second, "how many aircraft are there?", "two")
            masks = _masks_by_query(url)
            n_a, n_b = len(masks[a.query_id or 0]), len(masks[b.query_id or 0])
            assert n_a >= 10 and n_b >= 10 and n_a != n_b
            stored = _counts(url)

            compared = session.ask(second, "compare with the other airport", "two")
            assert compared.plan is not None and compared.plan.signature() == "compare|count"
            assert f"| {AIRPORT} | {n_a} |" in compared.answer
            assert f"| {OTHER_AIRPORT} | {n_b} |" in compared.answer
            most = session.ask(second, "which scene had the most aircraft?", "two")
            top, count = max((AIRPORT, n_a), (OTHER_AIRPORT, n_b), key=lambda t: t[1])
            assert f"Most: {top} ({count} object(s))" in most.answer
            everything = session.ask(first, "how many aircraft are stored in the database?", "x")
            assert f"Count: {n_a + n_b} " in everything.answer
            recent = session.ask(first, "how many aircraft were found since yesterday?", "x")
            assert f"Count: {n_a + n_b} " in recent.answer
            march = session.ask(first, "how many aircraft were found in March 2020?", "x")
            assert "Nothing stored matches" in march.answer

            rejected = masks[a.query_id or 0][:2]
            for rid in rejected:
                save_feedback(create_db_engine(url), rid, Verdict.REJECT)
            mine = session.ask(first, "show the aircraft I rejected", "x")
            assert mine.plan is not None
            assert mine.plan.signature() == "history|label=aircraft|verdict=reject|list"
            assert sorted(mine.result_ids) == sorted(rejected)

            described = session.ask(first, "what is in this scene?", "x")
            assert described.plan is not None and described.plan.kind == "describe"
            kept = n_a - len(rejected)  # the analyst's rejections no longer count as found
            assert f"Looked for: aircraft ({kept} distinct found)" in described.answer
            assert "No CRS" in described.answer and "No near-infrared band" in described.answer
            assert "Not looked for yet: car, oil-storage tank" in described.answer
            assert _counts(url)[0] == stored[0]  # history, compare, describe: no query stored

        record = _ask_json(tmp_path, url, second, "list the scenes with aircraft", "two")
        assert record["plan"]["operations"] == ["history", "filter", "group", "count"]
        assert len(record["plan"]["read_ids"]) == n_a + n_b - len(rejected)
        assert _counts(url)[0] == stored[0]


@pytest.mark.parametrize("kind", DATABASES)
def test_a_naip_tile_is_described_and_its_footprint_searched_across_dates(
    kind: str, tmp_path: Path, naip_tiles: list[Path]
) -> None:
    first, later = naip_tiles[0], naip_tiles[1]
    with _database(kind, tmp_path) as url:
        settings = Settings(data_dir=tmp_path, model_profile="nano", database_url=url)
        with Session(settings) as session:
            here = session.ask(first, "outline the water", "naip")
            session.ask(later, "outline the water", "naip")
            by_query = _masks_by_query(url)
            regions = sum(len(ids) for ids in by_query.values())
            stored = _counts(url)
            across = session.ask(
                first, "how many water regions were found inside this scene's footprint?", "naip"
            )
            assert across.plan is not None
            assert across.plan.signature() == "history|label=water|footprint|count"
            assert "in 2 scene(s)" in across.answer  # both dates of the same tile
            assert f"({regions} stored result(s)" in across.answer
            # drawn: this tile's results only; kept for the next question: both dates'
            assert set(across.result_ids) == set(by_query[here.query_id or 0])
            assert "are on this scene and drawn" in across.answer
            big = session.ask(first, "how many of them are larger than 1 ha?", "naip")
            assert big.plan is not None and len(big.plan.read_ids) == regions
            described = session.ask(first, "describe this image", "naip")
            day = first.stem.rsplit("_", 1)[-1]  # m_…_20200831: the tile's date
            assert f"acquired {day[:4]}-{day[4:6]}-{day[6:]}" in described.answer
            assert "CRS EPSG:269" in described.answer  # NAIP: UTM on NAD83
            assert "Measured now (not stored): water " in described.answer
            assert _counts(url) == stored


def test_a_scale_given_for_a_jpeg_is_stored_and_sizes_its_tanks(
    tmp_path: Path, shared_data: Path
) -> None:
    """Issue 26: the analyst's scale is kept with the query; history and follow-ups use it."""
    from db.enums import ResultKind
    from db.history import HistoryFilter, find_all_results
    from geomag_core.scales import ScaleBook
    from geomag_core.scene import Scene

    scene = shared_data / "airbus-oil-storage" / "images" / TANKS
    url = f"sqlite:///{tmp_path / 'history.sqlite'}"
    ScaleBook(tmp_path).give(Scene(scene).content_hash, 1.2)  # what the app's picker stores
    settings = Settings(data_dir=tmp_path, model_profile="nano", database_url=url)
    with Session(settings) as session:
        found = session.ask(scene, "how many oil-storage tanks are there?", "tanks")
        assert "1.2 m per pixel (given for this scene in the app)" in found.answer
        assert " m² at 1.2 m per pixel (" in found.answer  # the total area in metres too
        top = session.ask(scene, "which are the three largest tanks?", "tanks")
        assert "are at 1.2 m per pixel (given for this scene in the app)" in top.answer
        masks = HistoryFilter(kinds=[ResultKind.MASK])
        records = find_all_results(session.workbench.engine, masks)
    engine = create_db_engine(url)
    with engine.connect() as c:
        scales = set(c.execute(select(QueryRow.scale_m, QueryRow.scale_source)).all())
    engine.dispose()
    assert scales == {(1.2, "given for this scene in the app")}
    assert len(records) == len(found.result_ids) >= 5
    for r in records:  # the pixel outline's area at the given scale, said where it came from
        assert r.outline_px is not None and r.geometry is None
        assert r.area_m2 == pytest.approx(r.outline_px.area * 1.44)
        assert r.scale_source == "given for this scene in the app"
