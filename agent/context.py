"""Run-time context of the graphs: the workbench (models, database) and per-run options."""

from __future__ import annotations

from dataclasses import dataclass

from tools.workbench import Workbench

__all__ = ["AgentContext"]


@dataclass(frozen=True)
class AgentContext:
    """Passed to every run as LangGraph's ``context``.

    Attributes:
        workbench: shared models, scenes and the database.
        max_depth: most zoom steps per question.

    """

    workbench: Workbench
    max_depth: int = 3
