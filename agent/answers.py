"""Answers that never claim more than the evidence."""

from __future__ import annotations

from typing import Any

from agent.state import QuestionState
from geomag_core.nano.classes import class_named, known_list

__all__ = ["NANO_LIMITS", "TINY_WARNING", "compose_answer", "compose_nano_answer"]

TINY_WARNING = (
    "[tiny profile] These results come from a random-weight test model: the text, windows and "
    "masks below exercise the pipeline and mean nothing about the scene."
)


NANO_LIMITS = (
    f"GeoMag-nano has no language model: it finds and segments {known_list()} (the classes it "
    "was trained on) and reports counts, places, areas and confidence. Captions, scene "
    "descriptions and other free-form questions need a full VLM (GEOMAG_MODEL_PROFILE=full)."
)
#: At most this many instances are listed by place in a nano answer.
_LISTED = 10


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _class_lines(search: dict[str, Any], masks: list[dict[str, Any]], steps: int) -> list[str]:
    """What the search for one class found, said plainly (never "nothing" for an unseen area)."""
    target = class_named(search["label"])
    plural, gsd = target.plural, float(search["gsd_m"])
    if search["too_coarse"]:
        return [
            f"At this scene's {gsd:.2g} m per pixel, {plural} are at most "
            f"{target.length_m[1] / gsd:.0f} px across: too small for GeoMag-nano to see (it "
            f"looks for {plural} at {target.max_gsd_m:g} m per pixel or finer; trained at "
            f"{target.gsd_m:g} m). Nothing is reported for {plural}."
        ]
    searched = float(search["searched_fraction"])
    lines = []
    if masks:
        conf = [float(r["confidence"]) for r in masks]
        metric = all(r.get("area_m2") is not None for r in masks)
        area = sum(float(r["area_m2"] if metric else r["area_px"]) for r in masks)
        lines.append(
            f"Found {len(masks)} {target.name if len(masks) == 1 else plural} "
            f"(mask confidence {min(conf):.2f}–{max(conf):.2f}, mean "
            f"{sum(conf) / len(conf):.2f}); total area {area:,.0f} {'m²' if metric else 'px²'}."
        )
        places = "; ".join(
            f"[{', '.join(str(v) for v in r['pixel_box'])}]" for r in masks[:_LISTED]
        )
        more = f" and {len(masks) - _LISTED} more" if len(masks) > _LISTED else ""
        lines.append(f"Where (XYXY scene pixels, largest first): {places}{more}.")
    else:
        lines.append(
            f"Found no {plural}: {searched:.0%} of the scene was searched at native resolution"
            + ("." if searched >= 1 else ", the rest only in the whole-scene view.")
        )
    if searched < 1:
        coarse = sum(1 for r in masks if r.get("resolution") == "coarse")
        lines.append(
            f"Searched {steps} window(s) where the {target.name} heat map pointed, covering "
            f"{searched:.0%} of the scene at native resolution; elsewhere only the heat map's "
            f"whole-scene view was seen ({coarse} of the instances come from it, with coarser "
            f"outlines), so small {plural} there can be missed."
        )
    if search["implausible"]:
        lo, hi = target.length_m
        lines.append(
            f"{search['implausible']} more candidate(s) were not reported: their size is "
            f"impossible for {plural} ({lo:g}–{hi:g} m) at {gsd:.2g} m per pixel "
            f"({search['gsd_source']})."
        )
    return lines


def compose_nano_answer(state: QuestionState) -> str:
    """Nano's answer, written only from grounded results: what it can and cannot see first."""
    findings = state.findings or {"known": [], "unknown": [], "caveats": [], "searches": []}
    unknown: list[str] = findings["unknown"]
    lines: list[str] = []
    if unknown:
        lines.append(
            f"GeoMag-nano cannot detect {_join(unknown)}; it knows {known_list()}."
            + ("" if findings["known"] else " Nothing was searched or stored for this question.")
        )
    lines += [f"{c}." for c in findings["caveats"]]
    if not findings["known"] and not unknown:
        if state.granularity == "image":
            lines.append("Answer (image): this question needs a full VLM.")
        else:
            lines.append(
                f"GeoMag-nano answers questions about {known_list()}: name one of them (e.g. "
                "“how many aircraft are there?”). Nothing was searched."
            )
    masks = [r for r in state.results if r.get("kind") == "mask"]
    for search in findings["searches"]:
        mine = [r for r in masks if r.get("label") == search["label"]]
        steps = sum(
            1 for z in state.zoom_steps if z.get("label", search["label"]) == search["label"]
        )
        lines += _class_lines(search, mine, steps)
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
