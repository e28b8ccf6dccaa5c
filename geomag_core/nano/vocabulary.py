"""Which of nano's classes a question asks for, and what it asks for that nano cannot detect.

Nano answers only for the classes it was trained on
(:data:`~geomag_core.nano.classes.NANO_CLASSES`).
A question is read for (1) those classes' words, (2) the names of other things analysts ask
about in overhead imagery, and (3) when neither appears, the phrase after a request verb
("segment all …", "how many … are there"). Anything asked for that is not a nano class is
reported as such, so "nothing found" is never said about a class nano cannot see.

Every word comes from the one label registry, :mod:`geomag_core.labels`: nano's classes, the
words that name them only in part, other subjects and the places where objects stand.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from geomag_core.labels import SUBJECTS, SubjectKind, names_pattern, subject
from geomag_core.nano.classes import NANO_CLASSES, ObjectClass

__all__ = ["CLASS_CAVEATS", "VocabularyMatch", "read_question"]

#: What to say when a word names a nano class only in part (class name → caveat).
_PARTIAL_CAVEATS: dict[str, str] = {
    "car": "GeoMag-nano detects cars, not trucks, buses or other vehicles",
}
#: Words that name a nano class only in part: the class is searched and the caveat is said.
_PARTIAL: dict[str, tuple[str, str]] = {
    word: (
        c.name,
        _PARTIAL_CAVEATS.get(
            c.name, f"GeoMag-nano detects {c.plural}: {word!r} names them in part"
        ),
    )
    for c in NANO_CLASSES
    for word in subject(c.name).partial
}
CLASS_CAVEATS = {v[1] for v in _PARTIAL.values()}

_NANO_NAMES = {c.name for c in NANO_CLASSES}
#: Other things asked about in overhead imagery (canonical name → words). Nano knows none.
#: The canonical name is the registry subject's plural ("ships", "water"), as answers say it.
_OTHER: dict[str, tuple[str, ...]] = {
    s.plural: s.names
    for s in SUBJECTS
    if s.kind is not SubjectKind.PLACE and s.label not in _NANO_NAMES
}
#: Places where nano's classes stand: named as context ("aircraft at the airport"), they are not
#: a request; asked for alone ("segment the airport"), they are something nano cannot detect.
_CONTEXT: dict[str, tuple[str, ...]] = {
    s.plural: s.names for s in SUBJECTS if s.kind is SubjectKind.PLACE
}
_REQUEST = re.compile(
    r"\b(?:segment|count|find|locate|detect|outline|mask|show|highlight|identify|map|delineate"
    r"|extract|draw|mark|measure|list|where\s+(?:are|is)|how\s+many|are\s+there|is\s+there)\b"
    r"\s+(?:me\s+)?(?:(?:all|the|every|each|any|of|some|a|an|those|these|visible)\s+)*"
    r"(?P<what>[^\W\d_][\w\- ]{0,40}?)"
    r"(?=\s+(?:in|on|at|of|near|around|inside|within|from|that|which|are|is|visible|there|here"
    r"|and|or|with)\b|[?.!,;:]|$)",
    re.IGNORECASE,
)
_VAGUE = {
    "object",
    "objects",
    "thing",
    "things",
    "everything",
    "anything",
    "something",
    "it",
    "them",
    "this",
    "that",
    "stuff",
    "features",
    "feature",
    "items",
    "item",
    "targets",
    "target",
}


@dataclass(frozen=True)
class VocabularyMatch:
    """What a question asks nano for.

    Attributes:
        known: nano classes asked for, in the order the question names them.
        unknown: things asked for that nano cannot detect (as the question or a canonical name
            says them), in order.
        caveats: sentences to say with the answer (a word that names a class only in part).

    """

    known: list[ObjectClass] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)


_KNOWN = [(c, names_pattern(c.words)) for c in NANO_CLASSES]
_PARTIAL_RX = [(w, names_pattern((w,))) for w in _PARTIAL]
_OTHER_RX = [(name, names_pattern(words)) for name, words in _OTHER.items()]
_CONTEXT_RX = [(name, names_pattern(words)) for name, words in _CONTEXT.items()]


def clean_text(text: str, limit: int = 500) -> str:
    """``text`` without control characters, whitespace collapsed, at most ``limit`` characters."""
    kept = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text[: limit * 4])
    return " ".join(kept.split())[:limit]


def read_question(question: str) -> VocabularyMatch:
    """The nano classes ``question`` asks for, what else it asks for, and caveats to say."""
    text = clean_text(question)
    taken: list[tuple[int, int]] = []

    def free(m: re.Match[str]) -> bool:
        return all(m.end() <= a or m.start() >= b for a, b in taken)

    found: list[tuple[int, ObjectClass]] = []
    for cls, rx in _KNOWN:
        for m in rx.finditer(text):
            taken.append(m.span())
            found.append((m.start(), cls))
    caveats: list[str] = []
    for word, rx in _PARTIAL_RX:
        for m in rx.finditer(text):
            if free(m):
                taken.append(m.span())
                name, caveat = _PARTIAL[word]
                found.append((m.start(), next(c for c in NANO_CLASSES if c.name == name)))
                if caveat not in caveats:
                    caveats.append(caveat)
    other: list[tuple[int, str]] = []
    for name, rx in _OTHER_RX:
        for m in rx.finditer(text):
            if free(m):
                taken.append(m.span())
                other.append((m.start(), name))
    if not found and not other:
        for name, rx in _CONTEXT_RX:
            for m in rx.finditer(text):
                if free(m):
                    other.append((m.start(), name))
    known: list[ObjectClass] = []
    for _, cls in sorted(found, key=lambda x: x[0]):
        if cls not in known:
            known.append(cls)
    unknown: list[str] = []
    for _, name in sorted(other):
        if name not in unknown:
            unknown.append(name)
    if not known and not unknown:
        request = _REQUEST.search(text)
        what = request.group("what").strip(" -").lower() if request else ""
        if what and what not in _VAGUE and what.split()[0] not in _VAGUE:
            unknown.append(what)
    return VocabularyMatch(known, unknown, caveats)
