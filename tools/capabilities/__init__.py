"""Answering capabilities and the routing step that picks them.

Adding a way of answering is one module here: a :class:`Capability` subclass that declares its
subjects (words for them live in the label registry, :mod:`geomag_core.labels`), listed in
:data:`CAPABILITIES` and named by the profiles that offer it (``geomag_core/profiles.py``).
A question across dates needs nothing of a capability but ``measures = True``:
:func:`answering` wraps it in :class:`~tools.capabilities.change.AcrossDates`.
"""

from __future__ import annotations

from tools.capabilities.base import (
    Answered,
    Capability,
    Findings,
    Looked,
    Measurement,
    Reading,
    Refusal,
    look_budget,
)
from tools.capabilities.change import AcrossDates
from tools.capabilities.nano import NanoDetector
from tools.capabilities.routing import Part, Refused, Route, read, route
from tools.capabilities.spectral import SpectralIndices
from tools.capabilities.vlm import VisionLanguageModel
from tools.workbench import Workbench

__all__ = [
    "CAPABILITIES",
    "AcrossDates",
    "Answered",
    "Capability",
    "Findings",
    "Looked",
    "Measurement",
    "Part",
    "Reading",
    "Refusal",
    "Refused",
    "Route",
    "active_capabilities",
    "answering",
    "look_budget",
    "read",
    "route",
]

#: Every capability by name.
CAPABILITIES: dict[str, type[Capability]] = {
    c.name: c for c in (NanoDetector, SpectralIndices, VisionLanguageModel)
}


def active_capabilities(wb: Workbench) -> list[Capability]:
    """The capabilities the workbench's profile offers, in routing order."""
    return [CAPABILITIES[name](wb) for name in wb.profile.capabilities]


def answering(decided: Route, capabilities: list[Capability]) -> list[tuple[Part, Capability]]:
    """Each routed part with the capability that answers it (across dates: wrapped)."""
    by_name = {c.name: c for c in capabilities}
    return [
        (part, AcrossDates(by_name[part.capability]) if decided.dates else by_name[part.capability])
        for part in decided.parts
    ]
