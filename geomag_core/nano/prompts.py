"""Training prompts for nano: the aircraft asked for many ways, and classes absent from airports."""

from __future__ import annotations

__all__ = ["NEGATIVE_PROMPTS", "POSITIVE_PROMPTS"]

_TEMPLATES = (
    "{n}",
    "segment the {n}",
    "how many {n} are there?",
    "where are the {n}?",
    "find all {n}",
    "show me every {n} in this image",
    "count the {n}",
    "outline the {n}",
    "are there any {n}?",
    "locate the {n} in the scene",
    "mask all {n}",
    "give the footprint of each of the {n}",
)
_AIRCRAFT = (
    "aircraft",
    "airplanes",
    "planes",
    "jets",
    "airliners",
    "aeroplanes",
    "parked aircraft",
)
#: Classes that do not occur in the Airbus airport scenes; their target is an empty mask.
_ABSENT = (
    "ships",
    "boats",
    "swimming pools",
    "tennis courts",
    "wind turbines",
    "soccer fields",
    "baseball diamonds",
    "harbors",
    "oil rigs",
    "greenhouses",
)

POSITIVE_PROMPTS: tuple[str, ...] = tuple(t.format(n=n) for n in _AIRCRAFT for t in _TEMPLATES)
NEGATIVE_PROMPTS: tuple[str, ...] = tuple(t.format(n=n) for n in _ABSENT for t in _TEMPLATES)
