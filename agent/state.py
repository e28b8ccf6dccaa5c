"""The pipeline's state: one question's journey, plus the thread's record of past questions."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Annotated, Any

__all__ = ["QuestionState"]


@dataclass
class QuestionState:
    """What the GeoMag pipeline knows about the current question.

    Per-question fields are reset when a new question starts; ``history`` accumulates over the
    investigation (the LangGraph thread), one entry per answered question.
    """

    scene: str = ""
    """Path of the scene the question is about."""
    question: str = ""
    """The analyst's question, as typed."""
    request_id: str = ""
    """Idempotency key of this question: storing it twice stores it once."""
    granularity: str = ""
    """image | region | pixel, from the classifier."""
    probabilities: dict[str, float] = field(default_factory=dict)
    """Classifier probabilities per granularity."""
    zoom_steps: list[dict[str, Any]] = field(default_factory=list)
    """The zoom trail: window, score, heat coverage, pixels and tokens per step."""
    boxes: list[list[int]] = field(default_factory=list)
    """The crops the VLM looked at (XYXY scene pixels): [bbox1] or [bbox1, bbox2]."""
    budget: dict[str, Any] = field(default_factory=dict)
    """Pixels and tokens of the views, next to the native and tiling baselines."""
    route: dict[str, Any] = field(default_factory=dict)
    """The routing decision: ``parts`` (capability, subjects, why), ``refused`` (subject, why),
    ``unknown`` (subjects no active capability knows) and ``change`` (dates of a question
    across dates, else ``None``)."""
    findings: dict[str, Any] = field(default_factory=dict)
    """Per capability name, what it reports about its look: nano's ``searches`` (count, GSD and
    its source, instances refused for their size, too coarse, share searched at native
    resolution) and ``caveats``; the spectral indices' ``measures`` (index, threshold, bands,
    specks, area); across dates the per-date ``table`` and the ``change``."""
    vlm_text: str = ""
    """The VLM's raw answer."""
    results: list[dict[str, Any]] = field(default_factory=list)
    """Grounded results (answer text, boxes, masks with WKT geometries), JSON-ready."""
    query_id: int | None = None
    """The stored query's id once saved."""
    result_ids: list[int] = field(default_factory=list)
    """The stored results' ids, in ``results`` order."""
    answer: str = ""
    """What the analyst reads."""
    timings_ms: dict[str, float] = field(default_factory=dict)
    """Wall time per pipeline step."""
    history: Annotated[list[dict[str, Any]], operator.add] = field(default_factory=list)
    """Past questions of this investigation: question, granularity, query id, answer."""
