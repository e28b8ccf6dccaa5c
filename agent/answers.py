"""Answers that never claim more than the evidence.

Refusals come first (what no active capability can answer here, and why), then each routed
capability's own account of what it found, then what was looked at and what was stored.
"""

from __future__ import annotations

from agent.state import QuestionState
from geomag_core.findings import Finding
from geomag_core.intents import Intent, read_intent
from geomag_core.labels import counted
from tools.capabilities import Capability, Route, answering
from tools.capabilities.nano import NANO_LIMITS
from tools.capabilities.vlm import TINY_WARNING
from tools.looked_at import LookedAt

__all__ = ["NANO_LIMITS", "TINY_WARNING", "compose_answer"]


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _id_ranges(ids: list[int]) -> str:
    """``#1–#130, #140`` for ids, runs of consecutive ids as ranges."""
    runs: list[list[int]] = []
    for i in ids:
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return ", ".join(f"#{r[0]}" if len(r) == 1 else f"#{r[0]}–#{r[-1]}" for r in runs) or "none"


def _refusals(state: QuestionState, capabilities: list[Capability]) -> list[str]:
    route = state.route or Route()
    parts = route.parts
    specialised = [c for c in capabilities if c.subjects is not None]
    lines: list[str] = []
    unknown = list(route.unknown)
    if unknown and specialised:
        primary, others = specialised[0], specialised[1:]
        lines.append(
            f"{primary.title} cannot detect {_join(unknown)}; it knows {primary.knows()}."
            + ("" if parts else " Nothing was searched or stored for this question.")
        )
        lines += [f"Also available: {c.title}, for {c.knows()}." for c in others]
    for item in route.refused:
        if item.subject not in unknown:
            lines.append(f"Cannot answer about {item.subject} on this scene: {item.why}.")
    if not parts and not route.refused:
        knows = "; ".join(f"{c.title}: {c.knows()}" for c in specialised)
        lines.append(
            "Cannot answer this with the active profile: it has no language model for "
            f"free-form questions, and answers only about what its tools know ({knows}). "
            "Nothing was searched."
        )
        if state.granularity == "image":
            lines.append(
                "Answer (image): this question needs a full VLM (GEOMAG_MODEL_PROFILE=full)."
            )
    return lines


#: At most this many results are listed for an intent.
_LISTED = 10


def _entry(rid: int | None, r: Finding) -> str:
    """One result in a list: id, label, size, confidence, pixel box, and lat/lon with a CRS."""
    size = f"{r.area_m2:,.0f} m²" if r.area_m2 is not None else f"{r.area_px or 0:,} px"
    conf = "" if r.confidence is None else f", confidence {r.confidence:.2f}"
    where = f"[{', '.join(str(v) for v in r.pixel_box)}]" if r.pixel_box else ""
    shape = r.geometry
    if shape is not None:
        centre = shape.centroid
        where += f" (lat {centre.y:.5f}, lon {centre.x:.5f})"
    ref = f"#{rid} " if rid is not None else ""
    return f"{ref}{r.label}: {size}{conf} at {where}"


def _intent_lines(state: QuestionState, intent: Intent) -> list[str]:
    """The results the intent asks for, listed (every result stays stored)."""
    ids: list[int | None] = [*state.result_ids] or [None] * len(state.results)
    found = [(rid, r) for rid, r in zip(ids, state.results, strict=True) if r.is_mask]
    if not found:  # the capability's own lines say what was (not) found and where it looked
        return []
    lines = [f"Understood: {intent.describe()}."]

    def size(item: tuple[int | None, Finding]) -> float:
        return item[1].size

    def confidence(item: tuple[int | None, Finding]) -> float:
        return float(item[1].confidence or 0.0)

    if intent.kind == "count":
        labels: dict[str, int] = {}
        for _, r in found:
            labels[str(r.label)] = labels.get(str(r.label), 0) + 1
        return [*lines, "Count: " + ", ".join(counted(n, k) for k, n in labels.items()) + "."]
    if intent.kind == "above":
        assert intent.threshold is not None
        picked = [f for f in found if confidence(f) > intent.threshold]
        lines.append(f"{len(picked)} of {len(found)} results are above {intent.threshold:.2f}.")
    elif intent.kind in ("largest", "smallest"):
        picked = sorted(found, key=size, reverse=intent.kind == "largest")[: intent.n]
    elif intent.kind in ("most_confident", "least_confident"):
        ranked = sorted(found, key=confidence, reverse=intent.kind == "most_confident")
        picked = ranked[: intent.n]
    else:
        picked = found
    lines += [f"- {_entry(rid, r)}" for rid, r in picked[:_LISTED]]
    if len(picked) > _LISTED:
        lines.append(f"… and {len(picked) - _LISTED} more (all are stored; see History).")
    return lines


def compose_answer(
    state: QuestionState, capabilities: list[Capability], *, meaningful: bool
) -> str:
    """The analyst-facing answer, written only from the routed capabilities' evidence."""
    pairs = answering(state.route or Route(), capabilities)
    lines: list[str] = []
    if not meaningful and any(cap.subjects is None for _, cap in pairs):
        lines.append(TINY_WARNING)
    lines += _refusals(state, capabilities)
    for part, cap in pairs:
        lines += cap.answer_lines(state, state.findings[part.capability])
    intent = read_intent(state.question)
    if intent is not None and pairs and all(cap.lists_results for _, cap in pairs):
        lines += _intent_lines(state, intent)
    looked = LookedAt.of(state.budget, state.zoom_steps)
    if looked is not None:
        lines.append(pairs[0][1].looked_line(looked) if pairs else looked.line())
    if state.query_id is not None:
        ids = _id_ranges(state.result_ids)
        lines.append(f"Stored as query #{state.query_id}; results {ids}.")
    return "\n".join(line for line in lines if line)
