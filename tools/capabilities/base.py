"""What an answering capability is: what it can answer, and how it answers.

A capability (nano's detector, the spectral indices, the VLM) declares the subjects it answers
(``None``: any free-form question), the granularities it serves and the bands it needs; the
router (:mod:`tools.capabilities.routing`) gives each question's subjects to the first active
capability that can answer them on the scene. ``look`` does the work and returns a
:class:`Looked`; ``answer_lines`` says what it found, from the stored evidence only.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from geomag_core.budget import Budget, VisionTokenGeometry, native_baseline, tiling_baseline
from geomag_core.nano.vocabulary import VocabularyMatch
from geomag_core.scene import Scene
from geomag_core.temporal import DateQuestion
from tools.workbench import Workbench

__all__ = ["Capability", "Emit", "Looked", "Reading", "add_budgets", "budget_record"]

#: Step-event sink: ``emit("zoom", **fields)`` (the agent passes its stream writer).
Emit = Callable[..., None]


@dataclass(frozen=True)
class Reading:
    """What a question asks for.

    Attributes:
        question: the question as typed.
        granularity: image | region | pixel (the classifier's).
        vocabulary: nano classes named, other things named, caveats.
        dates: the dates of a question about change, ``None`` otherwise.

    """

    question: str
    granularity: str
    vocabulary: VocabularyMatch
    dates: DateQuestion | None = None

    @property
    def subjects(self) -> list[str]:
        """Everything the question names, in order: nano classes first, then other things."""
        return [c.name for c in self.vocabulary.known] + list(self.vocabulary.unknown)


@dataclass
class Looked:
    """What a capability saw for one question (JSON-ready)."""

    results: list[dict[str, Any]] = field(default_factory=list)
    zoom_steps: list[dict[str, Any]] = field(default_factory=list)
    boxes: list[list[int]] = field(default_factory=list)
    budget: dict[str, Any] = field(default_factory=dict)
    findings: dict[str, Any] = field(default_factory=dict)
    vlm_text: str = ""


def budget_record(
    scene: Scene, pixels: int, tokens: int, searched_fraction: float
) -> dict[str, Any]:
    """Pixels and tokens spent, beside the native and GeoPixel-tiling baselines."""
    geometry = VisionTokenGeometry()
    native = native_baseline(scene.width, scene.height, geometry)
    tiling = tiling_baseline(scene.width, scene.height, geometry)
    ours = Budget(pixels=pixels, tokens=tokens)
    return {
        "views": {"pixels": ours.pixels, "tokens": ours.tokens},
        "native": {"pixels": native.pixels, "tokens": native.tokens},
        "tiling": {"pixels": tiling.pixels, "tokens": tiling.tokens},
        "ratio_to_native": ours.ratio_to(native),
        "ratio_to_tiling": ours.ratio_to(tiling),
        "searched_fraction": searched_fraction,
    }


def add_budgets(total: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    """Two searches' budgets as one (pixels and tokens add up; the searched share is the max)."""
    if not more:
        return total
    if not total:
        return more
    views = {k: total["views"][k] + more["views"][k] for k in ("pixels", "tokens")}
    return total | {
        "views": views,
        "ratio_to_native": {k: views[k] / total["native"][k] for k in ("pixels", "tokens")},
        "ratio_to_tiling": {k: views[k] / total["tiling"][k] for k in ("pixels", "tokens")},
        "searched_fraction": max(total["searched_fraction"], more["searched_fraction"]),
    }


class Capability(ABC):
    """One way of answering.

    Class attributes:
        name: short key (``nano``, ``spectral``, ``vlm``), as profiles list them.
        title: how answers and the trail name it.
        subjects: subjects it answers (``None``: any question, free-form).
        granularities: granularities it serves.
        needs_bands: band roles it needs (``nir``).
        measures: whether it measures something comparable across dates (area, count).

    """

    name: ClassVar[str]
    title: ClassVar[str]
    subjects: ClassVar[tuple[str, ...] | None]
    granularities: ClassVar[frozenset[str]] = frozenset({"image", "region", "pixel"})
    needs_bands: ClassVar[tuple[str, ...]] = ()
    measures: ClassVar[bool] = False

    def __init__(self, wb: Workbench) -> None:
        self.wb = wb

    def answers(self, subject: str) -> bool:
        """Whether ``subject`` is one this capability answers (free-form: any)."""
        return self.subjects is None or subject in self.subjects

    def unusable_on(self, scene: Scene) -> str | None:
        """Why it cannot work on ``scene`` (e.g. a missing band), or ``None``."""
        return None

    def knows(self) -> str:
        """What it answers, in words (for refusals and the app's banner)."""
        return "any question" if self.subjects is None else ", ".join(self.subjects)

    @abstractmethod
    def look(
        self, scene: str, reading: Reading, subjects: list[str], emit: Emit, *, max_depth: int = 3
    ) -> Looked:
        """Answer ``subjects`` of ``reading`` on ``scene``; stream step events through ``emit``."""

    @abstractmethod
    def answer_lines(self, state: Any, findings: dict[str, Any]) -> list[str]:
        """What it found, in sentences, from ``state``'s results and its own ``findings``."""
