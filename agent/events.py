"""Step events the graphs stream (LangGraph ``custom`` stream mode) for the CLI and the UI.

Every event is a dict with ``event`` (``scene``, ``classified``, ``vocabulary``, ``zoom``,
``views``, ``answer``, ``segmenting``, ``stored``, ``done``) and event-specific fields, all
JSON-ready.
"""

from __future__ import annotations

from typing import Any

from langgraph.config import get_stream_writer

__all__ = ["describe", "emit", "spent"]


def emit(event: str, **fields: Any) -> None:
    """Send one step event to whoever streams the run (a no-op outside a streamed run)."""
    try:
        writer = get_stream_writer()
    except RuntimeError:  # called outside a graph run
        return
    writer({"event": event, **fields})


def spent(budget: dict[str, Any]) -> str:
    """``N px, M tokens (X% of the scene's pixels)`` from a views budget."""
    views = budget["views"]
    ratio = budget["ratio_to_native"]["pixels"]
    return f"{views['pixels']:,} px, {views['tokens']:,} tokens ({ratio:.1%} of the scene's pixels)"


def describe(event: dict[str, Any]) -> str:
    """The event as one markdown line."""
    kind = str(event["event"])
    if kind == "scene":
        return (
            f"Opened the scene: {event['width']}×{event['height']} px, {event['crs'] or 'no CRS'}"
        )
    if kind == "classified":
        probs = " · ".join(f"{k} {v:.0%}" for k, v in event["probabilities"].items())
        return f"Granularity **{event['granularity']}** ({probs})"
    if kind == "vocabulary":
        parts = []
        if event["known"]:
            parts.append("looking for " + ", ".join(event["known"]))
        if event["unknown"]:
            parts.append("cannot detect " + ", ".join(event["unknown"]))
        return "GeoMag-nano: " + ("; ".join(parts) or "no object class it knows is named")
    if kind == "zoom":
        return (
            f"Zoom {event['depth']}: {event['looked_at']} → window {event['window']} "
            f"(score {event['score']:.2f}, {event['pixels']:,} px, {event['tokens']:,} tokens)"
        )
    if kind == "views":
        return f"Looked at {len(event['views'])} view(s): {spent(event['budget'])}"
    if kind == "answer":
        return "The VLM answered" + ("" if event["meaningful"] else " (tiny: meaningless)")
    if kind == "segmenting":
        return f"Segmenting {event['box']}"
    if kind == "stored":
        return f"Stored query #{event['query_id']} with {event['results']} result(s)"
    if kind == "done":
        return "Done"
    return kind
