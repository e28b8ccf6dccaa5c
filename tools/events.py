"""The step events a question streams while it runs: every kind in this one module.

A capability or a graph node reports progress by passing one of these to its ``emit``; the
session (:mod:`agent.session`) hands them to the CLI's trail and the app's step box as they
happen. Each says itself in one markdown line (:meth:`StepEvent.describe`) and turns into JSON
only for the outside world (:meth:`StepEvent.as_dict`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from geomag_core.budget import LookBudget
from geomag_core.psc.zoom import ZoomStep
from tools.looked_at import LookedAt

__all__ = [
    "Classified",
    "DateMeasured",
    "DatesFound",
    "Done",
    "Emit",
    "PlanRead",
    "Routed",
    "SceneOpened",
    "SearchPlanned",
    "Segmenting",
    "SpectralMeasured",
    "StepEvent",
    "Stored",
    "VLMAnswered",
    "ViewsLooked",
    "VocabularyRead",
    "Zoomed",
    "quiet",
]


@dataclass(frozen=True)
class StepEvent:
    """One step of a question, as it happens."""

    kind: ClassVar[str] = "step"
    """The event's name in JSON (``event``)."""

    def describe(self) -> str:
        """The event as one markdown line of the trail."""
        return self.kind

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"event": kind, **fields}``."""
        return {"event": self.kind, **asdict(self)}


#: Step-event sink: capabilities and graph nodes call ``emit(event)``.
Emit = Callable[[StepEvent], None]


def quiet(event: StepEvent) -> None:
    """An ``emit`` that shows nothing (a look summarised by another event)."""


@dataclass(frozen=True)
class SceneOpened(StepEvent):
    """The scene was opened."""

    kind: ClassVar[str] = "scene"
    path: str
    width: int
    height: int
    crs: str | None

    def describe(self) -> str:
        """Size and CRS."""
        return f"Opened the scene: {self.width}×{self.height} px, {self.crs or 'no CRS'}"


@dataclass(frozen=True)
class Classified(StepEvent):
    """The granularity classifier read the question."""

    kind: ClassVar[str] = "classified"
    granularity: str
    probabilities: dict[str, float]

    def describe(self) -> str:
        """Granularity and probabilities."""
        probs = " · ".join(f"{k} {v:.0%}" for k, v in self.probabilities.items())
        return f"Granularity **{self.granularity}** ({probs})"


@dataclass(frozen=True)
class Routed(StepEvent):
    """Which capability answers which part of the question, and what is refused."""

    kind: ClassVar[str] = "route"
    parts: tuple[tuple[str, tuple[str, ...], str], ...]
    """``(capability, subjects, why)`` per routed part."""
    refused: tuple[tuple[str, str], ...]
    """``(subject, why)`` per refused subject."""
    across_dates: bool = False

    def describe(self) -> str:
        """Who answers what, and what cannot be answered."""
        routed = "; ".join(
            f"**{name}**" + (f" for {', '.join(subjects)}" if subjects else "") + f" ({why})"
            for name, subjects, why in self.parts
        )
        refused = "; ".join(f"{subject}: {why}" for subject, why in self.refused)
        across = " across dates" if self.across_dates else ""
        return (
            f"Route{across}: "
            + (routed or "no active capability can answer")
            + (f" — cannot answer {refused}" if refused else "")
        )


@dataclass(frozen=True)
class VocabularyRead(StepEvent):
    """What GeoMag-nano is asked to look for, and what it cannot detect."""

    kind: ClassVar[str] = "vocabulary"
    known: tuple[str, ...]
    unknown: tuple[str, ...]
    caveats: tuple[str, ...] = ()

    def describe(self) -> str:
        """Looked for / cannot detect."""
        parts = []
        if self.known:
            parts.append("looking for " + ", ".join(self.known))
        if self.unknown:
            parts.append("cannot detect " + ", ".join(self.unknown))
        return "GeoMag-nano: " + ("; ".join(parts) or "no object class it knows is named")


@dataclass(frozen=True)
class PlanRead(StepEvent):
    """The question is answered from stored results: how it was understood."""

    kind: ClassVar[str] = "plan"
    text: str
    operations: tuple[str, ...]

    def describe(self) -> str:
        """The plan in words."""
        if self.operations == ("not_understood",):
            return "Not understood: nothing will be searched or stored"
        return f"Answering from stored results: {self.text}"


@dataclass(frozen=True)
class SearchPlanned(StepEvent):
    """A search chose where to read native resolution (before reading it)."""

    kind: ClassVar[str] = "search"
    label: str
    decision: str
    planned: int = 0

    def describe(self) -> str:
        """The decision, in a sentence."""
        return f"Searching for {self.label}: {self.decision}"


@dataclass(frozen=True)
class Zoomed(StepEvent):
    """One zoom window was chosen (the VLM's zoom) or read (nano's search)."""

    kind: ClassVar[str] = "zoom"
    step: ZoomStep

    @property
    def window_number(self) -> str:
        """``window 3/12`` (``window 3`` when the planned count is unknown; empty unnumbered)."""
        if not self.step.number:
            return ""
        if self.step.planned:
            return f"window {self.step.number}/{self.step.planned}"
        return f"window {self.step.number}"

    def describe(self) -> str:
        """Depth, window, score and what it cost."""
        s = self.step
        number = self.window_number
        cost = f"{s.pixels:,} px, {s.tokens:,} tokens"
        if s.read_pixels and not s.heat_pixels:
            cost = f"read {s.read_pixels:,} px at native resolution, {s.read_tokens:,} tokens"
        elif s.heat_pixels and not s.read_pixels:
            cost = f"heat map of {s.heat_pixels:,} px, {s.heat_tokens:,} tokens"
        return (
            f"Zoom {s.depth}{f' ({number})' if number else ''}: "
            f"{list(s.looked_at.as_tuple())} → window {list(s.window.as_tuple())} "
            f"(score {s.score:.2f}, {cost})"
        )

    def as_dict(self) -> dict[str, Any]:
        """The step's record under ``event: zoom``."""
        return {"event": self.kind, **self.step.as_dict()}


@dataclass(frozen=True)
class SpectralMeasured(StepEvent):
    """A spectral index was measured over the scene."""

    kind: ClassVar[str] = "spectral"
    subject: str
    index: str
    threshold: float
    threshold_method: str
    count: int
    area_m2: float | None
    area_px: int

    def describe(self) -> str:
        """Index, threshold, regions and area."""
        area = (
            f"{self.area_m2 / 1e4:,.2f} ha" if self.area_m2 is not None else f"{self.area_px:,} px"
        )
        return (
            f"{self.index.upper()} > {self.threshold:.2f} ({self.threshold_method}): "
            f"{self.count} {self.subject} region(s), {area}"
        )


@dataclass(frozen=True)
class DatesFound(StepEvent):
    """The catalogue's dated scenes of the same place, and those to be measured."""

    kind: ClassVar[str] = "dates"
    dates: tuple[str, ...]
    catalogued: int

    def describe(self) -> str:
        """How many dates and which."""
        return f"Same place: {self.catalogued} dated scene(s) in the catalogue; measuring " + (
            ", ".join(self.dates) or "none"
        )


@dataclass(frozen=True)
class DateMeasured(StepEvent):
    """One date of a question across dates was measured (stored with the question)."""

    kind: ClassVar[str] = "date"
    date: str
    subject: str
    count: int
    area_m2: float | None
    reused: bool = False
    query_id: int | None = None

    def describe(self) -> str:
        """Regions and area of the date."""
        area = "–" if self.area_m2 is None else f"{self.area_m2 / 1e4:,.2f} ha"
        stored = f" (query #{self.query_id}, stored rows reused)" if self.reused else ""
        return f"{self.date}: {self.count} {self.subject} region(s), {area}{stored}"


@dataclass(frozen=True)
class ViewsLooked(StepEvent):
    """The TMRA views the VLM is shown, and what the question looked at in all."""

    kind: ClassVar[str] = "views"
    views: tuple[str, ...]
    """Name of each view."""
    budget: LookBudget
    looked_at: LookedAt | None = None

    def describe(self) -> str:
        """Number of views and pixels spent (heat maps included)."""
        looked = self.looked_at or LookedAt.of(self.budget, [])
        spent = looked.spent() if looked is not None else "nothing"
        return f"Looked at {len(self.views)} view(s): {spent}, heat maps included"

    def as_dict(self) -> dict[str, Any]:
        """Views, budget and ``looked_at`` as JSON."""
        looked = None if self.looked_at is None else self.looked_at.as_dict()
        return {
            "event": self.kind,
            "views": list(self.views),
            "budget": self.budget.as_dict(),
            "looked_at": looked,
        }


@dataclass(frozen=True)
class VLMAnswered(StepEvent):
    """The VLM answered."""

    kind: ClassVar[str] = "answer"
    text: str
    meaningful: bool

    def describe(self) -> str:
        """Says when the model is a random-weight test model."""
        return "The VLM answered" + ("" if self.meaningful else " (tiny: meaningless)")


@dataclass(frozen=True)
class Segmenting(StepEvent):
    """Masks are being decoded and vectorised."""

    kind: ClassVar[str] = "segmenting"
    box: tuple[int, int, int, int]
    label: str | None = None

    def describe(self) -> str:
        """The box segmented."""
        return f"Segmenting {list(self.box)}"


@dataclass(frozen=True)
class Stored(StepEvent):
    """The question was stored."""

    kind: ClassVar[str] = "stored"
    query_id: int
    results: int

    def describe(self) -> str:
        """Query id and result count."""
        return f"Stored query #{self.query_id} with {self.results} result(s)"


@dataclass(frozen=True)
class Done(StepEvent):
    """The answer is written."""

    kind: ClassVar[str] = "done"
    answer: str
    query_id: int | None = None
    result_ids: tuple[int, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        """Done."""
        return "Done"
