"""Training prompts for nano: each trained class asked for many ways, and classes it never learns.

A prompt's class decides the target: the scene's own class → its instances; another nano class or
an absent class → an empty mask. So the text, not the scene, decides what is segmented.
"""

from __future__ import annotations

from geomag_core.nano.classes import NANO_CLASSES

__all__ = ["NEGATIVE_PROMPTS", "POSITIVE_PROMPTS", "class_prompts"]

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
#: Words per class used in training prompts (plural forms; the rest generalise through MiniLM).
_NOUNS: dict[str, tuple[str, ...]] = {
    "aircraft": ("aircraft", "airplanes", "planes", "jets", "airliners", "aeroplanes"),
    "oil-storage tank": (
        "oil storage tanks",
        "storage tanks",
        "oil tanks",
        "tanks",
        "fuel tanks",
        "round tanks",
    ),
    "car": (
        "cars",
        "parked cars",
        "automobiles",
        "passenger cars",
        "motor cars",
        "cars on the road",
    ),
}
#: Classes nano never learns; their target is always an empty mask.
_ABSENT = (
    "ships",
    "boats",
    "swimming pools",
    "tennis courts",
    "wind turbines",
    "soccer fields",
    "buildings",
    "roads",
    "trees",
    "harbors",
    "greenhouses",
    "bridges",
)


def class_prompts(name: str) -> tuple[str, ...]:
    """Every training prompt for the nano class ``name``."""
    return tuple(t.format(n=n) for n in _NOUNS[name] for t in _TEMPLATES)


POSITIVE_PROMPTS: dict[str, tuple[str, ...]] = {c.name: class_prompts(c.name) for c in NANO_CLASSES}
NEGATIVE_PROMPTS: tuple[str, ...] = tuple(t.format(n=n) for n in _ABSENT for t in _TEMPLATES)
