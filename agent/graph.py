"""The compiled graphs: ``graph`` (the pipeline, for ``langgraph.json``) and mode selection."""

from __future__ import annotations

from typing import Any

from langgraph.graph.state import CompiledStateGraph

from agent.investigator import build_investigator, chat_model_from_settings
from agent.pipeline import build_pipeline
from tools.workbench import Workbench

__all__ = ["build_agent", "graph"]

#: The pipeline without a checkpointer (a LangGraph server brings its own). Runs need
#: ``context=AgentContext(workbench=Workbench(Settings()))``.
graph = build_pipeline()


def build_agent(
    workbench: Workbench, checkpointer: Any = None
) -> tuple[str, CompiledStateGraph[Any, Any, Any, Any]]:
    """The configured mode and its graph.

    ``("investigator", …)`` when investigator mode is asked for and a tool-calling model is
    configured, else ``("pipeline", …)``.
    """
    settings = workbench.settings
    if settings.agent_mode == "investigator":
        model = chat_model_from_settings(settings)
        if model is not None:
            return "investigator", build_investigator(model, workbench, checkpointer)
    return "pipeline", build_pipeline(checkpointer)
