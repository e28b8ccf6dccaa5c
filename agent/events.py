"""Emit step events (:mod:`tools.events`, every kind typed in one module) to a streamed run.

The graphs hand each event to LangGraph's ``custom`` stream; :mod:`agent.session` passes them on
to the CLI's trail and the app's step box as they happen.
"""

from __future__ import annotations

from langgraph.config import get_stream_writer

from tools.events import StepEvent

__all__ = ["emit"]


def emit(event: StepEvent) -> None:
    """Send one step event to whoever streams the run (a no-op outside a streamed run)."""
    try:
        writer = get_stream_writer()
    except RuntimeError:  # called outside a graph run
        return
    writer(event)
