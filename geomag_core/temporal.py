"""Questions across dates: does a question ask about change, and over which years.

"How has the water area changed since 2009?", "what changed here since 2016?", "compare
vegetation in 2012 and 2020", "water over time". Years are four-digit 19xx/20xx numbers.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

__all__ = ["DateQuestion", "pick_dates", "read_dates"]

_CHANGE = re.compile(
    r"\b(chang\w*|compar\w*|differ\w*|evol\w*|trends?|over\s+(?:time|the\s+years)|since|"
    r"gain\w*|lost|loss|grew|grow\w*|shr[iu]nk\w*|increas\w*|decreas\w*|through\s+time|"
    r"time\s+series|year\s+(?:to|by)\s+year|between\s+(?:19|20)\d\d)\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b((?:19|20)\d\d)\b")
_SINCE = re.compile(r"\b(?:since|from|after)\s+((?:19|20)\d\d)\b", re.IGNORECASE)
_UNTIL = re.compile(r"\b(?:until|till|to|before|through)\s+((?:19|20)\d\d)\b", re.IGNORECASE)


@dataclass(frozen=True)
class DateQuestion:
    """What a change question says about dates.

    Attributes:
        since: first year asked for ("since 2009", "from 2012 to 2020").
        until: last year asked for.
        years: years named otherwise ("in 2012 and 2020"), in order.

    """

    since: int | None = None
    until: int | None = None
    years: tuple[int, ...] = ()

    def describe(self) -> str:
        """The dates asked for, in words."""
        if self.years:
            return "the years " + ", ".join(str(y) for y in self.years)
        if self.since and self.until:
            return f"{self.since} to {self.until}"
        if self.since:
            return f"since {self.since}"
        if self.until:
            return f"until {self.until}"
        return "every available date"


def read_dates(question: str) -> DateQuestion | None:
    """The dates of a change question, or ``None`` when ``question`` is not about change."""
    if not _CHANGE.search(question):
        return None
    since = _SINCE.search(question)
    until = _UNTIL.search(question)
    used = {m.group(1) for m in (since, until) if m}
    years = tuple(int(y) for y in _YEAR.findall(question) if y not in used)
    return DateQuestion(
        since=int(since.group(1)) if since else None,
        until=int(until.group(1)) if until else None,
        years=tuple(dict.fromkeys(years)),
    )


def pick_dates(asked: DateQuestion, available: list[dt.date]) -> tuple[list[dt.date], list[str]]:
    """The available dates that answer ``asked`` (sorted) and notes on what is missing.

    Named years take every date of that year; ``since``/``until`` bound the range; with neither,
    every date is used.
    """
    notes: list[str] = []
    dates = sorted(set(available))
    if asked.years:
        chosen = [d for d in dates if d.year in asked.years]
        missing = [y for y in asked.years if not any(d.year == y for d in dates)]
        if missing:
            notes.append(
                "no scene of this place from "
                + ", ".join(map(str, missing))
                + " is in the catalogue"
            )
        return chosen, notes
    chosen = [
        d
        for d in dates
        if (asked.since is None or d.year >= asked.since)
        and (asked.until is None or d.year <= asked.until)
    ]
    if asked.since is not None and chosen and chosen[0].year != asked.since:
        notes.append(
            f"the catalogue has no scene of this place from {asked.since}; the earliest after "
            f"it is {chosen[0].isoformat()}"
        )
    if asked.until is not None and chosen and chosen[-1].year != asked.until:
        notes.append(
            f"the catalogue has no scene of this place from {asked.until}; the latest before it "
            f"is {chosen[-1].isoformat()}"
        )
    return chosen, notes
