"""One routing step: which active capability answers which part of a question, and why.

Each subject the question names goes to the first active capability (in the profile's order)
that answers it and can work on the scene; a free-form capability (the VLM) takes what no other
claims. A question that names nothing goes to the free-form capability; a change question that
names nothing measures water and vegetation when the spectral indices can. Whatever nothing can
answer is refused with the reason, and stored as nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from geomag_core.nano.vocabulary import read_question
from geomag_core.scene import Scene
from geomag_core.temporal import DateQuestion, read_dates
from tools.capabilities.base import Capability, Reading

__all__ = ["Part", "Refused", "Route", "read", "route"]


@dataclass(frozen=True)
class Part:
    """One capability's share of a question.

    Attributes:
        capability: the capability's ``name``.
        subjects: what it is asked about (empty: the whole question, free-form).
        why: why it was chosen, for the trail.

    """

    capability: str
    subjects: tuple[str, ...]
    why: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "subjects", tuple(self.subjects))  # lists from a checkpoint


@dataclass(frozen=True)
class Refused:
    """A subject no active capability can answer here, and why."""

    subject: str
    why: str


@dataclass(frozen=True)
class Route:
    """The routing decision.

    Attributes:
        parts: who answers what, in order.
        refused: what no active capability can answer here.
        unknown: refused subjects that no active capability knows at all (vs. cannot use here).
        dates: the dates of a question across dates, else ``None``: each part's capability
            then measures every date (:class:`~tools.capabilities.change.AcrossDates`).

    """

    parts: tuple[Part, ...] = ()
    refused: tuple[Refused, ...] = ()
    unknown: tuple[str, ...] = ()
    dates: DateQuestion | None = field(default=None)

    def __post_init__(self) -> None:
        for name in ("parts", "refused", "unknown"):  # lists from a checkpoint
            object.__setattr__(self, name, tuple(getattr(self, name)))


def read(question: str, granularity: str) -> Reading:
    """What ``question`` asks for: subjects, caveats, dates."""
    return Reading(question, granularity, read_question(question), read_dates(question))


def route(reading: Reading, scene: Scene, capabilities: list[Capability]) -> Route:
    """Give each subject of ``reading`` to a capability that can answer it on ``scene``.

    Across dates only capabilities that measure (counts, areas) take part; a question across
    dates that names nothing measures water and vegetation when the spectral indices can.
    """
    across = reading.dates is not None
    free = next((c for c in capabilities if c.subjects is None), None)
    cannot_compare = ""
    if across and free is not None and not free.measures:
        cannot_compare = (
            f"{free.title} measures nothing comparable across dates: a change question needs a "
            "capability that counts or measures (nano's classes, water, vegetation)"
        )
        free = None
    assigned: dict[str, list[str]] = {}
    why: dict[str, list[str]] = {}
    refused: list[Refused] = []
    unknown: list[str] = []

    def give(cap: Capability, subject: str | None, reason: str) -> None:
        assigned.setdefault(cap.name, [])
        why.setdefault(cap.name, [])
        if subject is not None and subject not in assigned[cap.name]:
            assigned[cap.name].append(subject)
        if reason not in why[cap.name]:
            why[cap.name].append(reason)

    subjects = reading.subjects
    if not subjects and across:
        spectral = next((c for c in capabilities if c.subjects and "water" in c.subjects), None)
        reason = "no active capability measures water or vegetation"
        if spectral is not None:
            reason = spectral.unusable_on(scene) or ""
        if not reason:
            subjects = ["water", "vegetation"]
        else:
            refused.append(Refused("change (no subject named)", cannot_compare or reason))
    for subject in subjects:
        claimers = [c for c in capabilities if c.subjects is not None and c.answers(subject)]
        if across:
            claimers = [c for c in claimers if c.measures] or claimers
        usable = [c for c in claimers if c.unusable_on(scene) is None]
        if usable and (not across or usable[0].measures):
            give(usable[0], subject, f"{subject}: {usable[0].title} knows it")
        elif usable:
            refused.append(
                Refused(subject, f"{usable[0].title} measures nothing comparable across dates")
            )
        elif free is not None:
            reason = f"{subject}: answered free-form by {free.title}"
            if claimers:
                reason += f" ({claimers[0].title} cannot here: {claimers[0].unusable_on(scene)})"
            give(free, subject, reason)
        elif claimers:
            refused.append(Refused(subject, str(claimers[0].unusable_on(scene))))
        elif cannot_compare:
            refused.append(Refused(subject, cannot_compare))
        else:
            refused.append(Refused(subject, "no active capability knows it"))
            unknown.append(subject)
    if not subjects and free is not None:
        give(free, None, "no subject a specialised capability knows: the VLM answers free-form")
    order = {c.name: i for i, c in enumerate(capabilities)}
    parts = tuple(
        Part(
            name,
            tuple(assigned[name]) if name != getattr(free, "name", None) else (),
            "; ".join(why[name]),
        )
        for name in sorted(assigned, key=order.__getitem__)
    )
    return Route(parts, tuple(refused), tuple(unknown), reading.dates)
