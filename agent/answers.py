"""Answers that never claim more than the evidence.

Refusals come first (what no active capability can answer here, and why), then each routed
capability's own account of what it found, then what was looked at and what was stored.
"""

from __future__ import annotations

from agent.state import QuestionState
from tools.capabilities import Capability
from tools.capabilities.change import change_lines
from tools.capabilities.nano import NANO_LIMITS
from tools.capabilities.vlm import TINY_WARNING

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
    route = state.route or {}
    parts = route.get("parts", [])
    specialised = [c for c in capabilities if c.subjects is not None]
    lines: list[str] = []
    unknown: list[str] = route.get("unknown", [])
    if unknown and specialised:
        primary, others = specialised[0], specialised[1:]
        lines.append(
            f"{primary.title} cannot detect {_join(unknown)}; it knows {primary.knows()}."
            + ("" if parts else " Nothing was searched or stored for this question.")
        )
        lines += [f"Also available: {c.title}, for {c.knows()}." for c in others]
    for item in route.get("refused", []):
        if item["subject"] not in unknown:
            lines.append(f"Cannot answer about {item['subject']} on this scene: {item['why']}.")
    if not parts and not route.get("refused"):
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


def compose_answer(
    state: QuestionState, capabilities: list[Capability], *, meaningful: bool
) -> str:
    """The analyst-facing answer, written only from the routed capabilities' evidence."""
    by_name = {c.name: c for c in capabilities}
    route = state.route or {}
    parts = route.get("parts", [])
    lines: list[str] = []
    if not meaningful and any(by_name[p["capability"]].subjects is None for p in parts):
        lines.append(TINY_WARNING)
    lines += _refusals(state, capabilities)
    for part in parts:
        found = state.findings.get(part["capability"], {})
        if route.get("change") is not None:
            lines += change_lines(found) if "table" in found else [found.get("refusal", "")]
        else:
            lines += by_name[part["capability"]].answer_lines(state, found)
    if state.budget:
        pixels = state.budget["views"]["pixels"] + sum(z["pixels"] for z in state.zoom_steps)
        tokens = state.budget["views"]["tokens"] + sum(z["tokens"] for z in state.zoom_steps)
        ratio = pixels / state.budget["native"]["pixels"]
        if route.get("change") is not None:
            lines.append(f"Read {pixels:,} pixels across the dates ({ratio:.2g}× this scene's).")
        else:
            lines.append(
                f"Looked at {pixels:,} pixels, {ratio:.1%} of the scene's, heat maps included "
                f"({tokens:,} vision tokens)."
            )
    if state.query_id is not None:
        ids = _id_ranges(state.result_ids)
        lines.append(f"Stored as query #{state.query_id}; results {ids}.")
    return "\n".join(line for line in lines if line)
