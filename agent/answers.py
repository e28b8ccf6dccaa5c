"""Answers that never claim more than the evidence."""

from __future__ import annotations

from agent.state import QuestionState

__all__ = ["NANO_LIMITS", "TINY_WARNING", "compose_answer", "compose_nano_answer"]

TINY_WARNING = (
    "[tiny profile] These results come from a random-weight test model: the text, windows and "
    "masks below exercise the pipeline and mean nothing about the scene."
)


NANO_LIMITS = (
    "GeoMag-nano has no language model: it finds and segments objects (it was trained on "
    "aircraft only) and reports counts, places, areas and confidence. Captions, scene "
    "descriptions and other free-form questions need a full VLM (GEOMAG_MODEL_PROFILE=full)."
)
#: At most this many instances are listed by place in a nano answer.
_LISTED = 10


def compose_nano_answer(state: QuestionState) -> str:
    """Nano's answer, written only from grounded results: count, where, areas, confidence."""
    masks = [r for r in state.results if r.get("kind") == "mask"]
    if state.granularity == "image":
        lines = [f"Answer (image): this question needs a full VLM. {NANO_LIMITS}"]
    else:
        label = masks[0]["label"] if masks else "object"
        if masks:
            conf = [float(r["confidence"]) for r in masks]
            metric = all(r.get("area_m2") is not None for r in masks)
            area = sum(float(r["area_m2"] if metric else r["area_px"]) for r in masks)
            lines = [
                f"Answer ({state.granularity}): found {len(masks)} {label} instance(s) "
                f"(mask confidence {min(conf):.2f}–{max(conf):.2f}, mean "
                f"{sum(conf) / len(conf):.2f}); total area {area:,.0f} {'m²' if metric else 'px²'}."
            ]
            places = "; ".join(
                f"[{', '.join(str(v) for v in r['pixel_box'])}]" for r in masks[:_LISTED]
            )
            more = f" and {len(masks) - _LISTED} more" if len(masks) > _LISTED else ""
            lines.append(f"Where (XYXY scene pixels, largest first): {places}{more}.")
        else:
            lines = [f"Answer ({state.granularity}): nothing found for this question."]
        searched = state.budget.get("searched_fraction") if state.budget else None
        if searched is not None and searched < 1:
            coarse = sum(1 for r in masks if r.get("resolution") == "coarse")
            lines.append(
                f"Searched the {len(state.zoom_steps)} window(s) where the prompt's heat map "
                f"pointed at native resolution, covering {searched:.0%} of the scene; elsewhere "
                f"only the heat map's whole-scene view was seen ({coarse} of the instances come "
                "from it, with coarser outlines), so small objects there can be missed."
            )
        lines.append(NANO_LIMITS)
    if state.budget:
        pixels = state.budget["views"]["pixels"] + sum(z["pixels"] for z in state.zoom_steps)
        tokens = state.budget["views"]["tokens"] + sum(z["tokens"] for z in state.zoom_steps)
        ratio = pixels / state.budget["native"]["pixels"]
        lines.append(
            f"Looked at {pixels:,} pixels, {ratio:.1%} of the scene's, heat map included "
            f"({tokens:,} vision tokens)."
        )
    if state.query_id is not None:
        ids = ", ".join(f"#{i}" for i in state.result_ids) or "none"
        lines.append(f"Stored as query #{state.query_id}; results {ids}.")
    return "\n".join(lines)


def compose_answer(state: QuestionState, *, meaningful: bool, profile: str = "") -> str:
    """The analyst-facing answer: the model's words, what was stored, and what it cost."""
    if profile == "nano":
        return compose_nano_answer(state)
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
