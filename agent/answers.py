"""Answers that never claim more than the evidence."""

from __future__ import annotations

from agent.state import QuestionState

__all__ = ["TINY_WARNING", "compose_answer"]

TINY_WARNING = (
    "[tiny profile] These results come from a random-weight test model: the text, windows and "
    "masks below exercise the pipeline and mean nothing about the scene."
)


def compose_answer(state: QuestionState, *, meaningful: bool) -> str:
    """The analyst-facing answer: the model's words, what was stored, and what it cost."""
    lines = [] if meaningful else [TINY_WARNING]
    masks = [r for r in state.results if r.get("kind") == "mask"]
    boxes = [r for r in state.results if r.get("kind") == "box"]
    text = state.vlm_text.replace("[SEG]", "").strip()
    lines.append(f"Answer ({state.granularity}): {text or '(the model gave no text)'}")
    if state.granularity == "pixel":
        area = sum(r.get("area_m2") or 0.0 for r in masks)
        unit = "m²" if any(r.get("area_m2") is not None for r in masks) else "px²"
        if unit == "px²":
            area = sum(r.get("area_px") or 0.0 for r in masks)
        lines.append(f"Segmented {len(masks)} region(s), total area {area:,.0f} {unit}.")
    if boxes:
        lines.append(f"Located {len(boxes)} object(s).")
    if state.zoom_steps:
        windows = " → ".join(str(s["window"]) for s in state.zoom_steps)
        lines.append(f"Zoomed {len(state.zoom_steps)} step(s): {windows}.")
    if state.budget:
        ratio = state.budget["ratio_to_native"]["pixels"]
        tokens = state.budget["views"]["tokens"]
        lines.append(f"Looked at {ratio:.1%} of the scene's pixels ({tokens:,} vision tokens).")
    if state.query_id is not None:
        ids = ", ".join(f"#{i}" for i in state.result_ids) or "none"
        lines.append(f"Stored as query #{state.query_id}; results {ids}.")
    return "\n".join(lines)
