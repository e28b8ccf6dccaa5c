"""Step events the graphs stream (LangGraph ``custom`` stream mode) for the CLI and the UI.

Every event is a dict with ``event`` (``scene``, ``classified``, ``route``, ``vocabulary``,
``zoom``, ``spectral``, ``dates``, ``date``, ``views``, ``answer``, ``segmenting``, ``stored``,
``done``) and event-specific fields, all
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
    if kind == "route":
        routed = "; ".join(
            f"**{p['capability']}**"
            + (f" for {', '.join(p['subjects'])}" if p["subjects"] else "")
            + f" ({p['why']})"
            for p in event["parts"]
        )
        refused = "; ".join(f"{r['subject']}: {r['why']}" for r in event["refused"])
        across = " across dates" if event.get("change") is not None else ""
        return (
            f"Route{across}: "
            + (routed or "no active capability can answer")
            + (f" — cannot answer {refused}" if refused else "")
        )
    if kind == "spectral":
        area = (
            f"{event['area_m2'] / 1e4:,.2f} ha"
            if event["area_m2"] is not None
            else f"{event['area_px']:,} px"
        )
        return (
            f"{event['index'].upper()} > {event['threshold']:.2f} ({event['threshold_method']}): "
            f"{event['count']} {event['subject']} region(s), {area}"
        )
    if kind == "dates":
        return f"Same place: {event['catalogued']} dated scene(s) in the catalogue; measuring " + (
            ", ".join(event["dates"]) or "none"
        )
    if kind == "date":
        area = "–" if event["area_m2"] is None else f"{event['area_m2'] / 1e4:,.2f} ha"
        reused = ", stored rows reused" if event["reused"] else ""
        return (
            f"{event['date']}: {event['count']} {event['subject']} region(s), {area} "
            f"(query #{event['query_id']}{reused})"
        )
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
