"""One routing step: which active capability answers which part of a question, and why.

Each subject the question names goes to the first active capability (in the profile's order)
that answers it and can work on the scene; a free-form capability (the VLM) takes what no other
claims. A question that names nothing goes to the free-form capability; a change question that
names nothing measures water and vegetation when the spectral indices can. Whatever nothing can
answer is refused with the reason, and stored as nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from geomag_core.nano.vocabulary import read_question
from geomag_core.scene import Scene
from geomag_core.temporal import read_dates
from tools.capabilities.base import Capability, Reading

__all__ = ["Part", "Route", "read", "route"]


@dataclass(frozen=True)
class Part:
    """One capability's share of a question.

    Attributes:
        capability: the capability's ``name``.
        subjects: what it is asked about (empty: the whole question, free-form).
        why: why it was chosen, for the trail.

    """

    capability: str
    subjects: list[str]
    why: str


@dataclass(frozen=True)
class Route:
    """The routing decision.

    Attributes:
        parts: who answers what, in order.
        refused: ``{"subject", "why"}`` for what no active capability can answer here.
        unknown: refused subjects that no active capability knows at all (vs. cannot use here).
        change: the dates of a change question (``DateQuestion`` fields), else ``None``.

    """

    parts: list[Part] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    change: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)


def read(question: str, granularity: str) -> Reading:
    """What ``question`` asks for: subjects, caveats, dates."""
    return Reading(question, granularity, read_question(question), read_dates(question))


def route(reading: Reading, scene: Scene, capabilities: list[Capability]) -> Route:
    """Give each subject of ``reading`` to a capability that can answer it on ``scene``."""
    free = next((c for c in capabilities if c.subjects is None), None)
    assigned: dict[str, list[str]] = {}
    why: dict[str, list[str]] = {}
    refused: list[dict[str, str]] = []
    unknown: list[str] = []

    def give(cap: Capability, subject: str | None, reason: str) -> None:
        assigned.setdefault(cap.name, [])
        why.setdefault(cap.name, [])
        if subject is not None and subject not in assigned[cap.name]:
            assigned[cap.name].append(subject)
        if reason not in why[cap.name]:
            why[cap.name].append(reason)

    subjects = reading.subjects
    if not subjects and reading.dates is not None:
        spectral = next((c for c in capabilities if c.subjects and "water" in c.subjects), None)
        reason = "no active capability measures water or vegetation"
        if spectral is not None:
            reason = spectral.unusable_on(scene) or ""
        if not reason:
            subjects = ["water", "vegetation"]
        elif free is None:
            refused.append({"subject": "change (no subject named)", "why": reason})
    for subject in subjects:
        claimers = [c for c in capabilities if c.subjects is not None and c.answers(subject)]
        usable = [c for c in claimers if c.unusable_on(scene) is None]
        if usable:
            give(usable[0], subject, f"{subject}: {usable[0].title} knows it")
        elif free is not None:
            reason = f"{subject}: answered free-form by {free.title}"
            if claimers:
                reason += f" ({claimers[0].title} cannot here: {claimers[0].unusable_on(scene)})"
            give(free, subject, reason)
        elif claimers:
            refused.append({"subject": subject, "why": str(claimers[0].unusable_on(scene))})
        else:
            refused.append({"subject": subject, "why": "no active capability knows it"})
            unknown.append(subject)
    if not subjects and free is not None:
        give(free, None, "no subject a specialised capability knows: the VLM answers free-form")
    order = {c.name: i for i, c in enumerate(capabilities)}
    parts = [
        Part(
            name,
            assigned[name] if name != getattr(free, "name", None) else [],
            "; ".join(why[name]),
        )
        for name in sorted(assigned, key=order.__getitem__)
    ]
    change = None if reading.dates is None else asdict(reading.dates)
    return Route(parts=parts, refused=refused, unknown=unknown, change=change)
