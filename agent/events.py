"""Step events the graphs stream (LangGraph ``custom`` stream mode) for the CLI and the UI.

Every event is a dict with ``event`` (``scene``, ``classified``, ``zoom``, ``views``, ``answer``,
``segmenting``, ``stored``, ``done``) and event-specific fields, all JSON-ready.
"""

from __future__ import annotations

from typing import Any

from langgraph.config import get_stream_writer

__all__ = ["emit"]


def emit(event: str, **fields: Any) -> None:
    """Send one step event to whoever streams the run (a no-op outside a streamed run)."""
    try:
        writer = get_stream_writer()
    except RuntimeError:  # called outside a graph run
        return
    writer({"event": event, **fields})
