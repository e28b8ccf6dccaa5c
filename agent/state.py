"""The pipeline's state: one question's journey, plus the thread's record of past questions."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Annotated

from geomag_core.boxes import PixelBox
from geomag_core.budget import LookBudget
from geomag_core.findings import Finding
from geomag_core.psc.zoom import ZoomStep
from tools.capabilities import Findings, Measurement, Route
from tools.investigation import Plan

__all__ = ["PastQuestion", "QuestionState"]


@dataclass(frozen=True)
class PastQuestion:
    """One answered question of the investigation (the thread)."""

    question: str
    scene: str
    granularity: str
    query_id: int | None
    answer: str
    result_ids: tuple[int, ...] = ()
    """The results a follow-up may work on next: what was found, or what a follow-up kept."""
    source: str = ""
    """Those results in words, for the next answer (``query #5 (how many aircraft…)``)."""


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
    search: bool = False
    """Search the scene whatever is stored (a batch: exactly-once by request id instead)."""
    plan: Plan | None = None
    """How the question was understood when it is answered from stored results (a follow-up,
    a recall, a question asked before, or not understood); ``None``: a new search."""
    granularity: str = ""
    """image | region | pixel, from the classifier."""
    probabilities: dict[str, float] = field(default_factory=dict)
    """Classifier probabilities per granularity."""
    route: Route | None = None
    """The routing decision: who answers which subjects, what is refused, the dates asked."""
    zoom_steps: list[ZoomStep] = field(default_factory=list)
    """The zoom trail: every window with its heat map's and its read's cost."""
    boxes: list[PixelBox] = field(default_factory=list)
    """The crops looked at: the VLM's [bbox1] or [bbox1, bbox2], nano's windows."""
    budget: LookBudget | None = None
    """Pixels and tokens of the views, next to the native and tiling baselines."""
    findings: dict[str, Findings] = field(default_factory=dict)
    """Per routed capability name, its own account of its look (its ``Findings`` type)."""
    measurements: list[Measurement] = field(default_factory=list)
    """Measurements to store with the question (the dates of a question across dates)."""
    vlm_text: str = ""
    """The VLM's raw answer."""
    results: list[Finding] = field(default_factory=list)
    """Grounded results: masks, boxes and the VLM's text."""
    query_id: int | None = None
    """The stored query's id once saved."""
    result_ids: list[int] = field(default_factory=list)
    """The stored results' ids, in ``results`` order."""
    kept: list[int] = field(default_factory=list)
    """An answer from stored results: every result it kept, the next follow-up's (a history
    answer's may lie on other scenes; ``results`` holds only this scene's, to draw)."""
    measured: dict[str, int] = field(default_factory=dict)
    """Each stored measurement's query id, by its request id."""
    answer: str = ""
    """What the analyst reads."""
    timings_ms: dict[str, float] = field(default_factory=dict)
    """Wall time per pipeline step."""
    history: Annotated[list[PastQuestion], operator.add] = field(default_factory=list)
    """Past questions of this investigation."""
