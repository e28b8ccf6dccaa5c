"""Plan, run and sum up a batch: one question over many scenes, each stored exactly once.

:func:`plan_batch` hashes every scene and derives its request id; a scene whose request id is
already in the history (the same question about the same bytes with the same models) is
skipped unless ``redo``. :func:`run_batch` hands the rest to an engine, writes one JSON line per
scene to a report file as outcomes arrive, and returns the :class:`BatchSummary`. Killed half
way, a rerun of the same command answers only the scenes that were not stored.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select

from agent.batch.answering import SceneOutcome, one_line
from agent.batch.scenes import SceneTask, batch_request_id, file_sha256
from db.engine import redacted
from db.models import QueryRow, ResultRow
from geomag_core.config import Settings
from geomag_core.errors import SceneReadError
from geomag_core.scene import check_scene_file
from tools.workbench import Workbench

__all__ = ["BatchPlan", "BatchSummary", "Engine", "plan_batch", "run_batch"]


class Engine(Protocol):
    """What :func:`run_batch` needs of an engine (:mod:`agent.batch.engines`)."""

    name: str
    workers: int

    def run(
        self, tasks: Sequence[SceneTask], report: Callable[[SceneOutcome], None]
    ) -> list[SceneOutcome]:
        """Answer ``tasks``, calling ``report`` with each outcome as it arrives."""
        ...


@dataclass
class BatchPlan:
    """What a batch will do: the scenes to answer, and those it skips or cannot even read."""

    question: str
    to_run: list[SceneTask]
    """Scenes to answer, in the order given."""
    settled: list[SceneOutcome]
    """Scenes already answered (``skipped``) and files that cannot be read (``failed``)."""


@dataclass
class BatchSummary:
    """The end of a batch: how many scenes were answered, skipped and failed, and why."""

    question: str
    engine: str
    workers: int
    outcomes: list[SceneOutcome]
    wall_s: float
    report_path: str
    database: str
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        tally = Counter(o.status for o in self.outcomes)
        self.counts = {k: tally.get(k, 0) for k in ("answered", "skipped", "failed")}

    @property
    def failures(self) -> list[SceneOutcome]:
        """The failed scenes, each with its reason."""
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def scenes_per_min(self) -> float:
        """Answered scenes per minute of the batch's wall time (model loading included)."""
        return 60.0 * self.counts["answered"] / self.wall_s if self.wall_s > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, with every scene's outcome."""
        loads = {o.worker: o.load_s for o in self.outcomes if o.worker}
        return {
            "question": self.question,
            "engine": self.engine,
            "workers": self.workers,
            "counts": self.counts,
            "wall_s": round(self.wall_s, 3),
            "scenes_per_min": round(self.scenes_per_min, 2),
            "model_load_s": loads,
            "report": self.report_path,
            "database": self.database,
            "scenes": [o.as_dict() for o in self.outcomes],
        }


def plan_batch(
    settings: Settings, question: str, scenes: Sequence[Path], *, redo: bool = False
) -> BatchPlan:
    """Hash the scenes, derive their request ids and find those already answered."""
    versions = Workbench(settings).model_versions()
    token = uuid.uuid4().hex if redo else None
    tasks: list[SceneTask] = []
    settled: list[SceneOutcome] = []
    for path in scenes:
        try:
            check_scene_file(path)  # a FIFO or /dev/zero would never finish hashing
            sha = file_sha256(path)
        except SceneReadError as exc:
            settled.append(SceneOutcome(str(path), "", "", "failed", error=str(exc), attempts=0))
            continue
        except OSError as exc:
            error = str(SceneReadError(path, exc.strerror or one_line(exc)))
            settled.append(SceneOutcome(str(path), "", "", "failed", error=error, attempts=0))
            continue
        request = batch_request_id(question, sha, versions, redo=token)
        tasks.append(SceneTask(str(path), sha, request))
    # Always read (which also creates and migrates the history before any worker opens it).
    done = _answered(settings, [t.request_id for t in tasks])
    to_run = []
    for task in tasks:
        if task.request_id in done:
            query_id, result_ids, labels = done[task.request_id]
            settled.append(
                SceneOutcome(
                    task.path,
                    task.sha256,
                    task.request_id,
                    "skipped",
                    query_id=query_id,
                    result_ids=result_ids,
                    labels=labels,
                    attempts=0,
                )
            )
        else:
            to_run.append(task)
    return BatchPlan(question, to_run, settled)


def _answered(
    settings: Settings, request_ids: list[str]
) -> dict[str, tuple[int, list[int], dict[str, int]]]:
    """Request id → (query id, result ids, results per label) of those already stored."""
    engine = Workbench(settings).engine  # created and migrated before any worker opens it
    found: dict[str, tuple[int, list[int], dict[str, int]]] = {}
    with engine.connect() as connection:
        for start in range(0, len(request_ids), 500):
            chunk = request_ids[start : start + 500]
            rows = connection.execute(
                select(QueryRow.request_id, QueryRow.id).where(QueryRow.request_id.in_(chunk))
            ).all()
            for request_id, query_id in rows:
                results = connection.execute(
                    select(ResultRow.id, ResultRow.label, ResultRow.kind)
                    .where(ResultRow.query_id == query_id)
                    .order_by(ResultRow.id)
                ).all()
                labels = Counter(str(label or kind) for _, label, kind in results)
                found[str(request_id)] = (int(query_id), [r[0] for r in results], dict(labels))
    engine.dispose()
    return found


def run_batch(
    settings: Settings,
    plan: BatchPlan,
    engine: Engine,
    *,
    report: Callable[[SceneOutcome], None] | None = None,
    report_dir: Path | None = None,
) -> BatchSummary:
    """Run ``plan`` on ``engine``; every outcome goes to ``report`` and to the report file.

    The report file (``<data_dir>/batches/<time>-<id>.jsonl`` unless ``report_dir``) gets one
    JSON line per scene as it is settled, so a killed batch leaves what it did behind.
    """
    started = time.perf_counter()
    folder = report_dir or settings.data_dir / "batches"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"{stamp}-{uuid.uuid4().hex[:8]}.jsonl"
    outcomes: list[SceneOutcome] = []
    with path.open("w", encoding="utf-8") as fh:

        def settle(outcome: SceneOutcome) -> None:
            outcomes.append(outcome)
            fh.write(json.dumps(outcome.as_dict(), default=str) + "\n")
            fh.flush()
            if report is not None:
                report(outcome)

        for outcome in plan.settled:
            settle(outcome)
        if plan.to_run:
            engine.run(plan.to_run, settle)
    return BatchSummary(
        question=plan.question,
        engine=engine.name,
        workers=engine.workers,
        outcomes=outcomes,
        wall_s=time.perf_counter() - started,
        report_path=str(path),
        database=redacted(settings.effective_database_url),
    )
