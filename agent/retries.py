"""Retrying a question stores nothing twice: request ids derived from what was asked.

A question's request id is a SHA-256 of the thread, the question, the scene's content hash, the
model versions and the thread's turn number (how many questions it has answered). Asked again
after a crash, the same question in the same thread gets the same id, so the history database
returns the first save instead of storing a second copy, and:

* if the thread's checkpoint shows that run unfinished, it is **resumed** from the checkpoint
  (the steps already done are not redone, the thread remembers the question once);
* if the run had finished (its answer was lost with the process), the answer is **replayed**
  from the thread: nothing runs, nothing is stored.

A different question, another scene, other models or a new thread is a new request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.state import QuestionState
from tools.workbench import Workbench

__all__ = ["QuestionPlan", "plan_question", "request_id_for"]


def request_id_for(
    thread_id: str, question: str, scene_sha256: str, versions: Mapping[str, str], turn: int
) -> str:
    """The request id of turn ``turn`` of thread ``thread_id`` (64 hex digits)."""
    key = json.dumps(
        {
            "thread": thread_id,
            "question": question.strip(),
            "scene_sha256": scene_sha256,
            "versions": versions,
            "turn": turn,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class QuestionPlan:
    """What to do with a question in a thread: run it, resume it, or replay its answer."""

    request_id: str
    """The derived request id (see :func:`request_id_for`)."""
    turn: int
    """The thread's answered questions before this one."""
    resume: bool = False
    """The thread's unfinished run is this question: continue it from the checkpoint."""
    replay: QuestionState | None = None
    """The thread's last state, when it already answered exactly this request."""


def plan_question(
    graph: Any, thread_id: str, workbench: Workbench, scene: str | Path, question: str
) -> QuestionPlan:
    """Decide how to run ``question`` about ``scene`` in ``thread_id`` of the pipeline ``graph``.

    Opening the scene (to hash it) also checks it is readable and allowed, before any model
    loads.
    """
    config: Any = {"configurable": {"thread_id": thread_id}}
    snapshot = graph.get_state(config)
    state = QuestionState(**(snapshot.values or {}))
    history = state.history
    sha = workbench.scene(scene).content_hash
    versions = workbench.model_versions()
    turn = len(history)
    request_id = request_id_for(thread_id, question, sha, versions, turn)
    if snapshot.next and state.request_id == request_id:
        return QuestionPlan(request_id, turn, resume=True)
    if history and turn > 0:
        previous = request_id_for(thread_id, question, sha, versions, turn - 1)
        if state.request_id == previous and history[-1].query_id == state.query_id:
            return QuestionPlan(previous, turn - 1, replay=state)
    return QuestionPlan(request_id, turn)
