"""The object class a question refers to, for labelling stored results."""

from __future__ import annotations

import re

__all__ = ["label_from_question"]

#: Canonical label → words that name it (singular and plural, common synonyms).
_CLASSES: dict[str, tuple[str, ...]] = {
    "aircraft": (
        "aircraft",
        "airplane",
        "airplanes",
        "aeroplane",
        "plane",
        "planes",
        "jet",
        "jets",
    ),
    "ship": ("ship", "ships", "boat", "boats", "vessel", "vessels"),
    "vehicle": ("vehicle", "vehicles", "car", "cars", "truck", "trucks", "bus", "buses"),
    "storage tank": ("storage tank", "storage tanks", "tank", "tanks", "oil tank", "oil tanks"),
    "building": ("building", "buildings", "house", "houses", "roof", "roofs", "warehouse"),
    "road": ("road", "roads", "street", "streets", "highway", "highways"),
    "bridge": ("bridge", "bridges"),
    "field": ("field", "fields", "farmland", "cropland", "crop", "crops"),
    "water": ("water", "lake", "lakes", "pond", "ponds", "river", "rivers", "reservoir"),
    "forest": ("forest", "forests", "trees", "woodland", "vegetation"),
    "court": ("court", "courts", "tennis court", "basketball court"),
    "pool": ("pool", "pools", "swimming pool", "swimming pools"),
    "runway": ("runway", "runways", "taxiway", "taxiways", "apron"),
}
_PATTERNS = [
    (label, re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE))
    for label, words in _CLASSES.items()
]


def label_from_question(question: str) -> str:
    """The first known object class named in ``question`` (by position), else ``object``."""
    found = [(m.start(), label) for label, rx in _PATTERNS if (m := rx.search(question))]
    return min(found)[1] if found else "object"
