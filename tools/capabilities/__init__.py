"""Answering capabilities and the routing step that picks them.

Adding a way of answering is one module here: a :class:`Capability` subclass, listed in
:data:`CAPABILITIES` and named by the profiles that offer it (``geomag_core/profiles.py``).
"""

from __future__ import annotations

from tools.capabilities.base import (
    Capability,
    Emit,
    Looked,
    Reading,
    add_budgets,
    budget_record,
)
from tools.capabilities.nano import NanoDetector
from tools.capabilities.routing import Part, Route, read, route
from tools.capabilities.spectral import SpectralIndices
from tools.capabilities.vlm import VisionLanguageModel
from tools.workbench import Workbench

__all__ = [
    "CAPABILITIES",
    "Capability",
    "Emit",
    "Looked",
    "Part",
    "Reading",
    "Route",
    "active_capabilities",
    "add_budgets",
    "budget_record",
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
