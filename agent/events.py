"""Step events the graphs stream (LangGraph ``custom`` stream mode) for the CLI and the UI.

Every event is a dict with ``event`` (``scene``, ``classified``, ``route``, ``vocabulary``,
``zoom``, ``spectral``, ``dates``, ``date``, ``views``, ``answer``, ``segmenting``, ``stored``,
``done``) and event-specific fields, all
JSON-ready.
"""

from __future__ import annotations

from typing import Any

from langgraph.config import get_stream_writer

from tools.looked_at import LookedAt

__all__ = ["describe", "emit", "spent", "window_of"]


def emit(event: str, **fields: Any) -> None:
    """Send one step event to whoever streams the run (a no-op outside a streamed run)."""
    try:
        writer = get_stream_writer()
    except RuntimeError:  # called outside a graph run
        return
    writer({"event": event, **fields})


def spent(event: dict[str, Any]) -> str:
    """``N px, M tokens (X% of the scene's pixels)`` a ``views`` event says were looked at.

    The event's ``looked_at`` (views and zoom heat maps, :class:`~tools.looked_at.LookedAt`),
    the number the answer states and the database stores; an event without it counts its views.
    """
    record = event.get("looked_at")
    looked = LookedAt.from_dict(record) if record else LookedAt.of(event["budget"], [])
    return looked.spent() if looked is not None else "nothing"


def window_of(event: dict[str, Any]) -> str:
    """``window 3/12``: a zoom event's number of the windows planned.

    ``window 3`` when the planned count is unknown; empty for an event without a number.
    """
    if not event.get("number"):
        return ""
    planned = event.get("planned")
    return f"window {event['number']}/{planned}" if planned else f"window {event['number']}"


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
    if kind == "search":
        return f"Searching for {event['label']}: {event['decision']}"
    if kind == "zoom":
        number = window_of(event)
        return (
            f"Zoom {event['depth']}{f' ({number})' if number else ''}: {event['looked_at']} → "
            f"window {event['window']} "
            f"(score {event['score']:.2f}, {event['pixels']:,} px, {event['tokens']:,} tokens)"
        )
    if kind == "views":
        return f"Looked at {len(event['views'])} view(s): {spent(event)}, heat maps included"
    if kind == "answer":
        return "The VLM answered" + ("" if event["meaningful"] else " (tiny: meaningless)")
    if kind == "segmenting":
        return f"Segmenting {event['box']}"
    if kind == "stored":
        return f"Stored query #{event['query_id']} with {event['results']} result(s)"
    if kind == "done":
        return "Done"
    return kind
