"""Ask the agent about a scene, streaming its step events; list and resume investigations."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from agent.checkpointer import open_checkpointer
from agent.context import AgentContext
from agent.graph import build_agent
from db.models import InvestigationRow
from geomag_core.config import Settings
from geomag_core.errors import EmptyQueryError
from tools.workbench import Workbench

__all__ = ["AgentRunner", "Outcome", "ThreadSummary", "new_thread_id"]

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


@dataclass(frozen=True)
class ThreadSummary:
    """An investigation the sidebar lists: its thread id, title and start time."""

    thread_id: str
    title: str
    created_at: dt.datetime


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
        payload = {"scene": str(scene), "question": question, "request_id": uuid.uuid4().hex}
        context = AgentContext(workbench=self.workbench)
        final: dict[str, Any] = {}
        stream: Any = self.graph.stream(
            payload, config, context=context, stream_mode=["custom", "values"]
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
        )

    def history(self, thread_id: str) -> list[dict[str, Any]]:
        """The thread's past questions from its checkpoint: question, scene, answer, query id."""
        snapshot = self.graph.get_state({"configurable": {"thread_id": thread_id}})
        return list(snapshot.values.get("history", []) if snapshot.values else [])

    def threads(self, limit: int = 30) -> list[ThreadSummary]:
        """The most recent investigations that stored a question, newest first."""
        stmt = (
            select(InvestigationRow.thread_id, InvestigationRow.title, InvestigationRow.created_at)
            .order_by(InvestigationRow.created_at.desc(), InvestigationRow.id.desc())
            .limit(limit)
        )
        with self.workbench.engine.connect() as connection:
            rows = connection.execute(stmt).all()
        return [ThreadSummary(tid, title or tid, created) for tid, title, created in rows]

    def close(self) -> None:
        """Close the checkpointer."""
        self._stack.close()
