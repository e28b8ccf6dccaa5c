"""One session API for every front end: ask a question, stream its steps, get a typed outcome.

The CLI (``geomag ask``), the app and batch all run questions through :class:`Session`; nothing
else streams or invokes the question graph. A session owns the workbench (models, database),
the thread checkpointer and the compiled agent:

* :meth:`Session.ask` answers a question in an investigation (a LangGraph thread). A retried
  question (same thread, question, scene bytes, models and turn) keeps its request id: an
  unfinished run resumes from its checkpoint, a finished one is replayed and nothing is stored
  twice (:mod:`agent.retries`). Step events (:mod:`tools.events`) reach ``on_event`` as they
  happen.
* :meth:`Session.answer_once` answers one question outside any thread under a given request id
  (a batch's scene).
* :meth:`Session.history`, :meth:`Session.outcomes` and :meth:`Session.threads` read
  investigations back, with their evidence rebuilt from the database.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from agent.checkpointer import open_checkpointer, prune_thread
from agent.context import AgentContext
from agent.graph import build_agent
from agent.investigator import run_investigator
from agent.retries import plan_question
from agent.state import PastQuestion, QuestionState
from db.evidence import QueryEvidence, load_query_evidence, thread_entries
from geomag_core.budget import LookBudget
from geomag_core.config import Settings
from geomag_core.errors import EmptyQueryError, is_blank
from geomag_core.findings import Finding
from geomag_core.psc.zoom import ZoomStep
from tools.capabilities import Findings, Route
from tools.events import StepEvent
from tools.investigation import Plan
from tools.looked_at import LookedAt
from tools.workbench import Workbench

__all__ = ["EventListener", "Outcome", "Session", "ThreadSummary", "new_thread_id"]

#: Receives each step event as it happens.
EventListener = Callable[[StepEvent], None]


def new_thread_id() -> str:
    """A fresh investigation (LangGraph thread) id."""
    return uuid.uuid4().hex[:12]


@dataclass(frozen=True)
class Outcome:
    """What one answered question left: the answer, the evidence and the stored ids."""

    thread_id: str
    scene: str
    question: str
    answer: str
    mode: str = "pipeline"
    """``pipeline`` or ``investigator`` (a tool-calling LLM; its outcome is text only)."""
    granularity: str = ""
    probabilities: dict[str, float] = field(default_factory=dict)
    route: Route | None = None
    plan: Plan | None = None
    """How it was understood when answered from stored results (``None``: a search)."""
    zoom_steps: tuple[ZoomStep, ...] = ()
    boxes: tuple[tuple[int, int, int, int], ...] = ()
    budget: LookBudget | None = None
    results: tuple[Finding, ...] = ()
    query_id: int | None = None
    result_ids: tuple[int, ...] = ()
    looked_at: LookedAt | None = None
    findings: dict[str, Findings] = field(default_factory=dict)
    """Per routed capability, its own account (a question across dates: the per-date table)."""
    measured: dict[str, int] = field(default_factory=dict)
    """Query ids of the measurements stored with it (the dates of a change question)."""
    timings_ms: dict[str, float] = field(default_factory=dict)
    replayed: bool = False
    """Answered before in this thread: replayed from the checkpoint, nothing ran or was stored."""
    resumed: bool = False
    """An interrupted run of this question was continued from its checkpoint."""
    rebuilt: bool = False
    """Read back from the database (a resumed investigation), not just answered."""

    @classmethod
    def of_state(
        cls, thread_id: str, state: QuestionState, *, replayed: bool = False, resumed: bool = False
    ) -> Outcome:
        """The outcome a finished pipeline run leaves."""
        return cls(
            thread_id=thread_id,
            scene=state.scene,
            question=state.question,
            answer=state.answer,
            granularity=state.granularity,
            probabilities=dict(state.probabilities),
            route=state.route,
            plan=state.plan,
            zoom_steps=tuple(state.zoom_steps),
            boxes=tuple(b.as_tuple() for b in state.boxes),
            budget=state.budget,
            results=tuple(state.results),
            query_id=state.query_id,
            result_ids=tuple(state.result_ids),
            looked_at=LookedAt.of(state.budget, state.zoom_steps),
            findings=dict(state.findings),
            measured=dict(state.measured),
            timings_ms=dict(state.timings_ms),
            replayed=replayed,
            resumed=resumed,
        )

    @classmethod
    def from_evidence(cls, thread_id: str, answer: str, evidence: QueryEvidence) -> Outcome:
        """An earlier answer with its evidence as the database kept it."""
        width, height = evidence.scene_size
        return cls(
            thread_id=thread_id,
            scene=evidence.scene_uri,
            question=evidence.question,
            answer=answer,
            granularity=evidence.granularity,
            probabilities=evidence.probabilities,
            zoom_steps=tuple(evidence.zoom_steps),
            results=tuple(evidence.results),
            query_id=evidence.query_id,
            result_ids=tuple(evidence.result_ids),
            looked_at=LookedAt(evidence.pixels, evidence.tokens, width * height),
            rebuilt=True,
        )

    def as_dict(self) -> dict[str, Any]:
        """The JSON record ``geomag ask --json`` prints."""
        return {
            "mode": self.mode,
            "thread": self.thread_id,
            "scene": self.scene,
            "question": self.question,
            "granularity": self.granularity,
            "probabilities": self.probabilities,
            "route": None if self.route is None else _route_record(self.route),
            "plan": None if self.plan is None else self.plan.as_dict(),
            "zoom_steps": [s.as_dict() for s in self.zoom_steps],
            "boxes": [list(b) for b in self.boxes],
            "budget": None if self.budget is None else self.budget.as_dict(),
            "looked_at": None if self.looked_at is None else self.looked_at.as_dict(),
            "findings": {name: f.as_dict() for name, f in self.findings.items()},
            "query_id": self.query_id,
            "result_ids": list(self.result_ids),
            "results": [r.as_dict() for r in self.results],
            "answer": self.answer,
            "timings_ms": self.timings_ms,
            "replayed": self.replayed,
        }


def _route_record(route: Route) -> object:
    return {
        "parts": [
            {"capability": p.capability, "subjects": list(p.subjects), "why": p.why}
            for p in route.parts
        ],
        "refused": [{"subject": r.subject, "why": r.why} for r in route.refused],
        "unknown": list(route.unknown),
        "dates": None if route.dates is None else route.dates.describe(),
    }


@dataclass(frozen=True)
class ThreadSummary:
    """An investigation a list shows: thread id, title, latest scene and question time."""

    thread_id: str
    title: str
    created_at: dt.datetime
    """When its latest question was asked."""
    scene: str | None = None
    """Path or URI of the latest question's scene."""
    questions: int = 1
    scenes: int = 1
    """How many scenes its questions were about."""


class Session:
    """The workbench, the checkpointer and the compiled agent: build once, ask many times.

    Args:
        settings: the configuration (profile, database, scene folders…).
        workbench: an existing workbench (batch workers, tests); default: one from ``settings``.
        threads: keep investigations in the checkpointer (``False`` for batch: no threads).
        max_depth: most zoom steps per question.

    """

    def __init__(
        self,
        settings: Settings,
        *,
        workbench: Workbench | None = None,
        threads: bool = True,
        max_depth: int = 3,
    ) -> None:
        self.settings = settings
        self.workbench = workbench or Workbench(settings)
        self.max_depth = max_depth
        self._stack = ExitStack()
        saver = self._stack.enter_context(open_checkpointer(settings)) if threads else None
        self._saver = saver
        self.mode, self.graph = build_agent(self.workbench, saver)

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def ask(
        self,
        scene: str | Path,
        question: str,
        thread_id: str | None = None,
        on_event: EventListener | None = None,
    ) -> Outcome:
        """Answer ``question`` about ``scene`` in investigation ``thread_id`` (default: new).

        Raises:
            GeoMagError: what the user can fix (an empty question, an unreadable scene, a model
                server that is down…), with a readable message.

        """
        if is_blank(question):
            raise EmptyQueryError()
        thread = thread_id or new_thread_id()
        path = str(self.workbench.scene(scene).path)  # readable, allowed, within the limits
        config: Any = {"configurable": {"thread_id": thread}}
        if self.mode == "investigator":
            from langchain_core.messages import HumanMessage

            message = HumanMessage(f"Scene: {path}\n{question}")
            inputs = {"messages": [message]}
            state = run_investigator(self.graph, inputs, config, self.settings.vllm_url)
            text = str(state["messages"][-1].content)
            return Outcome(thread, path, question, text, mode="investigator")
        plan = plan_question(self.graph, thread, self.workbench, path, question)
        if plan.replay is not None:
            return Outcome.of_state(thread, plan.replay, replayed=True)
        payload: dict[str, object] = {
            "scene": path,
            "question": question,
            "request_id": plan.request_id,
        }
        final = self._run(None if plan.resume else payload, config, on_event)
        prune_thread(self._saver, thread)  # the turn finished: its step checkpoints can go
        return Outcome.of_state(thread, final, resumed=plan.resume)

    def answer_once(
        self,
        scene: str | Path,
        question: str,
        request_id: str,
        on_event: EventListener | None = None,
    ) -> Outcome:
        """Answer ``question`` about ``scene`` outside any thread, stored under ``request_id``.

        Asked again with the same request id, the first save is returned and nothing is
        stored twice (a batch's retried scene). The scene is always searched: a batch question
        is no follow-up, and its request id already decides what is answered once.
        """
        if is_blank(question):
            raise EmptyQueryError()
        payload = {
            "scene": str(scene),
            "question": question,
            "request_id": request_id,
            "search": True,
        }
        final = self._run(payload, None, on_event)
        return Outcome.of_state("", final)

    def _run(
        self, payload: dict[str, object] | None, config: Any, on_event: EventListener | None
    ) -> QuestionState:
        """Stream the pipeline, passing each step event on; the final state."""
        context = AgentContext(workbench=self.workbench, max_depth=self.max_depth)
        state = QuestionState()
        stream: Any = self.graph.stream(
            payload, config, context=context, stream_mode=["custom", "values"]
        )
        for kind, chunk in stream:
            if kind == "custom" and on_event is not None:
                on_event(chunk)
            elif kind == "values":
                state = QuestionState(**chunk)
        return state

    def history(self, thread_id: str) -> list[PastQuestion]:
        """The thread's past questions from its checkpoint."""
        snapshot = self.graph.get_state({"configurable": {"thread_id": thread_id}})
        return list((snapshot.values or {}).get("history", []))

    def outcomes(self, thread_id: str) -> list[Outcome | None]:
        """Each past question of the thread with its evidence rebuilt from the database.

        ``None`` for an entry that stored nothing (a failed or text-only question).
        """
        rebuilt: list[Outcome | None] = []
        for entry in self.history(thread_id):
            qid = entry.query_id
            evidence = load_query_evidence(self.workbench.engine, qid) if qid else None
            rebuilt.append(
                Outcome.from_evidence(thread_id, entry.answer, evidence) if evidence else None
            )
        return rebuilt

    def threads(self, limit: int = 30) -> list[ThreadSummary]:
        """The most recent investigations that stored a question, latest question first."""
        return [
            ThreadSummary(e.thread_id, e.title, e.last_asked, e.scene_uri, e.questions, e.scenes)
            for e in thread_entries(self.workbench.engine, limit)
        ]

    def close(self) -> None:
        """Close the checkpointer."""
        self._stack.close()
