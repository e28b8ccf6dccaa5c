"""What an answering capability is: what it can answer, and how it answers.

A capability (nano's detector, the spectral indices, the VLM) declares the subjects it answers
(``None``: any free-form question), the granularities it serves and the bands it needs; the
router (:mod:`tools.capabilities.routing`) gives each question's subjects to the first active
capability that can answer them on the scene. ``look`` does the work and returns a
:class:`Looked`; ``answer_lines`` says what it found, from the stored evidence only.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Protocol

from geomag_core.boxes import PixelBox
from geomag_core.budget import Budget, LookBudget
from geomag_core.findings import Finding
from geomag_core.nano.vocabulary import VocabularyMatch
from geomag_core.psc.zoom import ZoomStep
from geomag_core.scene import Scene
from geomag_core.temporal import DateQuestion
from tools.events import Emit
from tools.looked_at import LookedAt
from tools.workbench import Workbench

__all__ = [
    "Answered",
    "Capability",
    "Emit",
    "Findings",
    "Looked",
    "Measurement",
    "Reading",
    "Refusal",
    "look_budget",
]


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


@dataclass(frozen=True)
class Findings:
    """What a capability reports about its look beyond its results (each capability its own)."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)


@dataclass(frozen=True)
class Refusal(Findings):
    """A capability was routed but could not answer; says why."""

    text: str


@dataclass(frozen=True)
class Measurement:
    """A measurement stored as a query of its own, in the question's transaction.

    A question across dates measures each date of the place this way, so asking again (in any
    words) finds the dates' rows by ``request_id`` instead of storing them twice.
    """

    scene: str
    question: str
    request_id: str
    results: tuple[Finding, ...]
    zoom_steps: tuple[ZoomStep, ...] = ()
    budget: LookBudget | None = None
    method: str | None = None
    look_ms: float = 0.0


@dataclass
class Looked:
    """What a capability saw for one question."""

    findings: Findings
    results: list[Finding] = field(default_factory=list)
    zoom_steps: list[ZoomStep] = field(default_factory=list)
    boxes: list[PixelBox] = field(default_factory=list)
    budget: LookBudget | None = None
    vlm_text: str = ""
    measurements: list[Measurement] = field(default_factory=list)


class Answered(Protocol):
    """What an answer is written from: the question's evidence after the store step."""

    @property
    def granularity(self) -> str:
        """Image | region | pixel."""

    @property
    def results(self) -> list[Finding]:
        """Every finding of the question, in stored order."""

    @property
    def zoom_steps(self) -> list[ZoomStep]:
        """The zoom trail."""

    @property
    def vlm_text(self) -> str:
        """The VLM's words (empty without a VLM)."""

    @property
    def measured(self) -> dict[str, int]:
        """Query ids of the measurements stored with the question, by request id."""


def look_budget(scene: Scene, pixels: int, tokens: int, searched_fraction: float) -> LookBudget:
    """Pixels and tokens spent on ``scene``, beside the native and GeoPixel-tiling baselines."""
    return LookBudget.of(scene.width, scene.height, Budget(pixels, tokens), searched_fraction)


class Capability(ABC):
    """One way of answering.

    Class attributes:
        name: short key (``nano``, ``spectral``, ``vlm``), as profiles list them.
        title: how answers and the trail name it.
        subjects: subjects it answers (``None``: any question, free-form).
        granularities: granularities it serves.
        needs_bands: band roles it needs (``nir``).
        measures: whether it measures something comparable across dates (area, count).
        lists_results: whether an answer may list and rank its results (intents).

    """

    name: ClassVar[str]
    title: ClassVar[str]
    subjects: ClassVar[tuple[str, ...] | None]
    granularities: ClassVar[frozenset[str]] = frozenset({"image", "region", "pixel"})
    needs_bands: ClassVar[tuple[str, ...]] = ()
    measures: ClassVar[bool] = False
    lists_results: ClassVar[bool] = True

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

    def method(self, findings: Findings) -> str | None:
        """The method it measured with (index and threshold), for provenance; else ``None``."""
        return None

    def looked_line(self, looked: LookedAt) -> str:
        """The answer's last line about what was looked at."""
        return looked.line()

    @abstractmethod
    def look(
        self, scene: str, reading: Reading, subjects: list[str], emit: Emit, *, max_depth: int = 3
    ) -> Looked:
        """Answer ``subjects`` of ``reading`` on ``scene``; report each step through ``emit``.

        Reads only: whatever is to be stored goes back in the :class:`Looked` (results and
        measurements), and the graph's store step writes it in one transaction.
        """

    @abstractmethod
    def answer_lines(self, answered: Answered, findings: Findings) -> list[str]:
        """What it found, in sentences, from the question's evidence and its own findings."""
