"""A batch on PostGIS, the cluster store: two Ray workers writing at once, duplicates once."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.batch.engines import RayEngine
from agent.batch.runner import plan_batch, run_batch
from geomag_core.config import Settings
from tests.batch.conftest import QUESTION, request_counts, stored
from tests.conftest import postgis_database

pytestmark = [pytest.mark.postgis, pytest.mark.slow]


def test_two_workers_on_postgis_store_each_scene_once_even_when_tasks_repeat(
    data_dir: Path, naip_series: list[Path]
) -> None:
    with postgis_database() as url:
        settings = Settings(database_url=url, scene_files=tuple(naip_series))
        plan = plan_batch(settings, QUESTION, naip_series)
        # Every task twice, interleaved: the two workers race to store the same request ids.
        plan.to_run = [t for task in plan.to_run for t in (task, task)]
        summary = run_batch(settings, plan, RayEngine(settings, QUESTION, workers=2, cpus=2))

        assert summary.counts == {"answered": 20, "skipped": 0, "failed": 0}
        counts = request_counts(settings)
        assert len(counts) == 10
        assert set(counts.values()) == {1}
        by_request: dict[str, set[int | None]] = {}
        for outcome in summary.outcomes:
            by_request.setdefault(outcome.request_id, set()).add(outcome.query_id)
        assert all(len(ids) == 1 for ids in by_request.values())  # both copies: the same save
        assert sum(len(q["results"]) for q in stored(settings)) > 500  # NDWI regions, stored

        again = plan_batch(settings, QUESTION, naip_series)
        assert again.to_run == []
        assert [o.status for o in again.settled] == ["skipped"] * 10
