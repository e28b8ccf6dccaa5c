"""Ask the agent about a scene, streaming its step events; list and resume investigations."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.checkpointer import open_checkpointer
from agent.context import AgentContext
from agent.graph import build_agent
from agent.retries import plan_question
from db.evidence import QueryEvidence, load_query_evidence, thread_entries
from geomag_core.config import Settings
from geomag_core.errors import EmptyQueryError
from tools.looked_at import LookedAt
from tools.workbench import Workbench

__all__ = ["AgentRunner", "LookedAt", "Outcome", "ThreadSummary", "new_thread_id"]

StepListener = Callable[[dict[str, Any]], None]


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
    granularity: str = ""
    probabilities: dict[str, float] = field(default_factory=dict)
    zoom_steps: list[dict[str, Any]] = field(default_factory=list)
    boxes: list[list[int]] = field(default_factory=list)
    budget: dict[str, Any] = field(default_factory=dict)
    results: list[dict[str, Any]] = field(default_factory=list)
    query_id: int | None = None
    result_ids: list[int] = field(default_factory=list)
    looked_at: LookedAt | None = None
    findings: dict[str, Any] = field(default_factory=dict)
    """Per capability, what it reported (a change question's per-date ``table``…)."""
    rebuilt: bool = False
    """Read back from the database (a resumed investigation), not just answered."""

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
            zoom_steps=evidence.zoom_steps,
            results=evidence.results,
            query_id=evidence.query_id,
            result_ids=evidence.result_ids,
            looked_at=LookedAt(evidence.pixels, evidence.tokens, width * height),
            rebuilt=True,
        )


@dataclass(frozen=True)
class ThreadSummary:
    """An investigation the sidebar lists: thread id, title, latest scene and question time."""

    thread_id: str
    title: str
    created_at: dt.datetime
    """When its latest question was asked."""
    scene: str | None = None
    """Path or URI of the latest question's scene."""
    questions: int = 1

    @property
    def label(self) -> str:
        """``scene name · MM-DD HH:MM · title`` for a sidebar button."""
        name = Path(self.scene).name if self.scene else "no scene"
        return f"{name} · {self.created_at:%m-%d %H:%M} · {self.title}"


class AgentRunner:
    """The workbench, the checkpointer and the compiled agent, built once per app process.

    Args:
        settings: the configuration the app runs with.

    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.workbench = Workbench(settings)
        self._stack = ExitStack()
        saver = self._stack.enter_context(open_checkpointer(settings))
        self.mode, self.graph = build_agent(self.workbench, saver)

    def ask(
        self, scene: Path, question: str, thread_id: str, on_step: StepListener | None = None
    ) -> Outcome:
        """Answer ``question`` about ``scene`` in thread ``thread_id``.

        ``on_step`` receives each step event (:mod:`agent.events`) as it happens. Errors the
        user can fix are :class:`geomag_core.errors.GeoMagError` with a readable message.
        """
        if not question.strip():
            raise EmptyQueryError()
        config: Any = {"configurable": {"thread_id": thread_id}}
        if self.mode == "investigator":
            from langchain_core.messages import HumanMessage

            message = HumanMessage(f"Scene: {scene}\n{question}")
            state = self.graph.invoke({"messages": [message]}, config)
            text = str(state["messages"][-1].content)
            return Outcome(thread_id, str(scene), question, text)
        # A retried question (same thread, question, scene bytes, models and turn) keeps its
        # request id: an unfinished run resumes, a finished one is replayed, nothing is stored
        # twice (agent.retries).
        plan = plan_question(self.graph, thread_id, self.workbench, scene, question)
        payload = {"scene": str(scene), "question": question, "request_id": plan.request_id}
        context = AgentContext(workbench=self.workbench)
        final: dict[str, Any] = dict(plan.replay or {})
        stream: Any = (
            []
            if plan.replay is not None
            else self.graph.stream(
                None if plan.resume else payload,
                config,
                context=context,
                stream_mode=["custom", "values"],
            )
        )
        for kind, chunk in stream:
            if kind == "custom" and on_step is not None:
                on_step(chunk)
            elif kind == "values":
                final = chunk
        return Outcome(
            thread_id=thread_id,
            scene=final["scene"],
            question=final["question"],
            answer=final["answer"],
            granularity=final["granularity"],
            probabilities=final["probabilities"],
            zoom_steps=final["zoom_steps"],
            boxes=final["boxes"],
            budget=final["budget"],
            results=final["results"],
            query_id=final["query_id"],
            result_ids=final["result_ids"],
            looked_at=self._looked_at(final),
            findings=final.get("findings") or {},
        )

    def _looked_at(self, final: dict[str, Any]) -> LookedAt | None:
        """The stored query's numbers when it was stored, else the same sum from the state."""
        if final.get("query_id") is not None:
            evidence = load_query_evidence(self.workbench.engine, int(final["query_id"]))
            if evidence is not None:
                width, height = evidence.scene_size
                return LookedAt(evidence.pixels, evidence.tokens, width * height)
        return LookedAt.of(final.get("budget") or {}, final.get("zoom_steps") or [])

    def outcomes(self, thread_id: str) -> list[Outcome | None]:
        """Each past question of the thread with its evidence rebuilt from the database.

        ``None`` for an entry that stored nothing (a failed or text-only question).
        """
        rebuilt: list[Outcome | None] = []
        for entry in self.history(thread_id):
            qid = entry.get("query_id")
            evidence = load_query_evidence(self.workbench.engine, int(qid)) if qid else None
            rebuilt.append(
                Outcome.from_evidence(thread_id, entry["answer"], evidence) if evidence else None
            )
        return rebuilt

    def history(self, thread_id: str) -> list[dict[str, Any]]:
        """The thread's past questions from its checkpoint: question, scene, answer, query id."""
        snapshot = self.graph.get_state({"configurable": {"thread_id": thread_id}})
        return list(snapshot.values.get("history", []) if snapshot.values else [])

    def threads(self, limit: int = 30) -> list[ThreadSummary]:
        """The most recent investigations that stored a question, latest question first."""
        return [
            ThreadSummary(e.thread_id, e.title, e.last_asked, e.scene_uri, e.questions)
            for e in thread_entries(self.workbench.engine, limit)
        ]

    def close(self) -> None:
        """Close the checkpointer."""
        self._stack.close()
