"""What an analyst wants done with the objects found, read without a language model.

Common intents, in the order they are tried: *largest / smallest N*, *most (least) confident N*,
*above a confidence* ("with confidence above 0.8", "over 80 %"), *where / list* ("where are…",
"list…", "show me…", "locate…"), and *count* ("how many…", "count…"). Anything else is ``None``:
every result is reported as found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Intent", "read_intent"]

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip
_N = r"(?:(?P<n>\d{1,3}|" + "|".join(_NUMBER_WORDS) + r")\s+)?"
_RANK = re.compile(
    r"\b(?:the\s+)?(?:top\s+)?" + _N + r"(?P<how>largest|biggest|smallest|tiniest|"
    r"most\s+confident|least\s+confident|highest[\s-]+confidence|lowest[\s-]+confidence)\b",
    re.IGNORECASE,
)
_ABOVE = re.compile(
    r"\b(?:confidence|score|probability)\s*(?:of\s+)?(?:above|over|greater\s+than|at\s+least|>=?)"
    r"\s*(?P<value>\d+(?:\.\d+)?)\s*(?P<pct>%|percent)?",
    re.IGNORECASE,
)
_WHERE = re.compile(r"\b(where|list|locate|locations?|positions?|show\s+me|coordinates)\b", re.I)
_COUNT = re.compile(r"\b(how\s+many|count|number\s+of)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Intent:
    """An understood intent.

    Attributes:
        kind: ``largest``, ``smallest``, ``most_confident``, ``least_confident``, ``above``,
            ``where`` or ``count``.
        n: how many (ranking intents; 1 when the question says none, e.g. "the largest").
        threshold: the confidence bound of ``above``, in ``[0, 1]``.

    """

    kind: str
    n: int = 1
    threshold: float | None = None

    def describe(self) -> str:
        """The intent in words, as the answer states it."""
        if self.kind == "above":
            return f"results with confidence above {self.threshold:.2f}"
        if self.kind in ("where", "count"):
            return {"where": "where each one is", "count": "how many"}[self.kind]
        what = self.kind.replace("_", " ")
        return f"the {what} {self.n}" if self.n > 1 else f"the {what}"


def read_intent(question: str) -> Intent | None:
    """The intent ``question`` states, or ``None``."""
    if m := _RANK.search(question):
        raw = (m.group("n") or "1").lower()
        n = _NUMBER_WORDS.get(raw) or int(raw)
        how = m.group("how").lower()
        if how in ("largest", "biggest"):
            kind = "largest"
        elif how in ("smallest", "tiniest"):
            kind = "smallest"
        elif how.startswith(("most", "highest")):
            kind = "most_confident"
        else:
            kind = "least_confident"
        return Intent(kind, n=max(1, n))
    if m := _ABOVE.search(question):
        value = float(m.group("value"))
        if m.group("pct") or value > 1:
            value /= 100
        return Intent("above", threshold=min(max(value, 0.0), 1.0))
    if _WHERE.search(question):
        return Intent("where")
    if _COUNT.search(question):
        return Intent("count")
    return None
