"""Answer one scene of a batch through the same pipeline as ``geomag ask``.

A :class:`SceneAnswerer` builds the workbench and the pipeline once and loads the profile's
models up front, then answers scene after scene: in the driver's process (``--engine local``)
or as a Ray actor (one per worker). Each answer is stored by the pipeline's ``store`` step in
its own transaction under the scene's batch request id, so a retried or duplicated task returns
the first save instead of storing twice. A scene that fails (unreadable file, out of memory, a
database error after the store step's retries) comes back as a ``failed`` outcome with its
error in one line; the answerer goes on with the next scene.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from agent.batch.scenes import SceneTask
from agent.session import Session
from geomag_core.config import Settings
from geomag_core.errors import GeoMagError

__all__ = ["SceneAnswerer", "SceneOutcome", "one_line"]


@dataclass
class SceneOutcome:
    """What became of one scene of a batch."""

    path: str
    """The scene file."""
    sha256: str
    """Its content hash."""
    request_id: str
    """Its batch request id (the stored query's ``request_id``)."""
    status: str
    """``answered``, ``skipped`` (answered before for the same question and models) or
    ``failed``."""
    query_id: int | None = None
    """The stored query (answered and skipped scenes)."""
    result_ids: list[int] = field(default_factory=list)
    """The stored results, in the pipeline's order."""
    labels: dict[str, int] = field(default_factory=dict)
    """Stored results per label (``answer`` for text answers)."""
    answer: str = ""
    """The analyst's answer text."""
    error: str = ""
    """Why it failed, in one line (failed scenes)."""
    seconds: float = 0.0
    """Wall time of the answer on its worker."""
    worker: str = ""
    """Which worker answered: ``local`` or ``ray:<pid>``."""
    load_s: float = 0.0
    """How long that worker took to load its models (once per worker)."""
    attempts: int = 1
    """Tries it took (a worker that died mid-scene makes another try)."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)


def one_line(exc: BaseException) -> str:
    """``Kind: first line of the message`` (at most 300 characters)."""
    text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else "no message"
    return text if isinstance(exc, GeoMagError) else f"{type(exc).__name__}: {text}"


class SceneAnswerer:
    """Loads the profile's models once, then answers one question about scene after scene.

    Args:
        settings: the batch's settings (profile, database URL, the batch's scene files).
        question: the question asked of every scene.
        threads: torch intra-op threads for this answerer (``None``: torch's default).
        worker: the name outcomes carry (``local``; Ray actors use ``ray:<pid>``).

    """

    def __init__(
        self,
        settings: Settings,
        question: str,
        threads: int | None = None,
        worker: str | None = None,
    ) -> None:
        started = time.perf_counter()
        if threads:
            import torch

            torch.set_num_threads(threads)
        self.question = question
        self.worker = worker or f"ray:{os.getpid()}"
        self.session = Session(settings, threads=False)
        self.workbench = self.session.workbench
        self._load_models()
        self.load_s = round(time.perf_counter() - started, 3)

    def _load_models(self) -> None:
        """Build every model the profile uses now, so no scene pays for it."""
        wb = self.workbench
        _ = wb.engine, wb.classifier
        if "nano" in wb.profile.capabilities:
            _ = wb.nano
        if wb.profile.has_vlm:
            _ = wb.vlm

    def pid(self) -> int:
        """The process this answerer runs in."""
        return os.getpid()

    def answer(self, task: SceneTask, attempts: int = 1) -> SceneOutcome:
        """Answer the batch's question about ``task``'s scene and store it (exactly once)."""
        started = time.perf_counter()
        outcome = SceneOutcome(
            path=task.path,
            sha256=task.sha256,
            request_id=task.request_id,
            status="failed",
            worker=self.worker,
            load_s=self.load_s,
            attempts=attempts,
        )
        try:
            final = self.session.answer_once(task.path, self.question, task.request_id)
        except (GeoMagError, OSError, MemoryError) as exc:
            # One scene's failure (corrupt file, out of memory, database) is that scene's.
            outcome.error = one_line(exc)
        except Exception as exc:  # a bug on one scene must not lose the other scenes' work
            if os.environ.get("GEOMAG_DEBUG") == "1":
                raise
            if type(exc).__name__ == "OutOfMemoryError":  # torch's, on a GPU
                outcome.error = f"out of memory: {one_line(exc)}"
            else:
                outcome.error = f"internal error ({one_line(exc)}); rerun it with --engine local "
                outcome.error += "and GEOMAG_DEBUG=1 for the traceback"
        else:
            outcome.status = "answered"
            outcome.query_id = final.query_id
            outcome.result_ids = list(final.result_ids)
            outcome.answer = final.answer
            for result in final.results:
                label = str(result.label or result.kind)
                outcome.labels[label] = outcome.labels.get(label, 0) + 1
        outcome.seconds = round(time.perf_counter() - started, 3)
        return outcome
