"""Read the scope of a history question: when, where, whose verdict, per scene.

Pure functions over the question's words, used by :mod:`tools.investigation.reading`:

* **when** (:func:`period`) — *today*, *yesterday*, *since yesterday*, *last week* / *the past
  N days*, *this month*, *last month* (the calendar month), *in March* (the latest March not
  after today), *in March 2025*, *since 2026-03-01* / *since March 3*, *between DATE and DATE*,
  *this year*, *in 2025*; about the scene's acquisition date when the question says *acquired*,
  *taken*, *captured* or *imaged*;
* **where** (:func:`bbox`, :func:`in_footprint`) — *in the box W, S, E, N* (longitude first, as
  GeoJSON), *inside this scene's footprint*;
* **whose verdict** (:func:`verdict`) — *the ones I rejected*, *the aircraft I accepted*, *the
  outlines I corrected*;
* **per scene** (:func:`per_scene`) — *which scene had the most…*, *list the scenes with…*,
  *… per scene*.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from tools.investigation.plan import Period, Rank, VerdictWord

__all__ = ["bbox", "box_off_globe", "in_footprint", "per_scene", "period", "scene_rank", "verdict"]

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
_MONTH = r"(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_ISO = r"(\d{4}-\d{2}-\d{2})"
_NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10,
                 "fourteen": 14, "thirty": 30}  # fmt: skip
_ACQUIRED = re.compile(
    r"\b(acquired|taken|captured|imaged|shot|photographed|acquisition|imagery\s+from)\b", re.I
)


def _month_start(year: int, month: int) -> dt.date:
    return dt.date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def _date(day: str, month: str | None, year: str | None, today: dt.date) -> dt.date | None:
    """``March 3`` (the latest not after today), ``3 March 2025`` or an ISO date."""
    try:
        if month is None:
            return dt.date.fromisoformat(day)
        m = _MONTHS[month.lower().rstrip(".")]
        when = dt.date(int(year) if year else today.year, m, int(day))
        if year is None and when > today:
            when = when.replace(year=today.year - 1)
        return when
    except (ValueError, KeyError):
        return None


def period(question: str, today: dt.date) -> Period | None:
    """The span of days a question is about, or ``None`` when it names none."""
    q = question.lower()
    of = "acquired" if _ACQUIRED.search(q) else "stored"
    day = dt.timedelta(days=1)

    def span(since: dt.date | None, until: dt.date | None = None) -> Period:
        return Period(since, until, of)  # type: ignore[arg-type]

    if m := re.search(rf"\bbetween\s+{_ISO}\s+and\s+{_ISO}", q):
        start, end = dt.date.fromisoformat(m.group(1)), dt.date.fromisoformat(m.group(2))
        return span(min(start, end), max(start, end) + day)
    if m := re.search(rf"\b(since|after|from)\s+{_ISO}", q):
        start = dt.date.fromisoformat(m.group(2))
        return span(start + (day if m.group(1) == "after" else dt.timedelta()))
    if m := re.search(rf"\b(before|until)\s+{_ISO}", q):
        return span(None, dt.date.fromisoformat(m.group(2)) + (day if m.group(1) == "until" else
                                                                dt.timedelta()))  # fmt: skip
    since = re.search(rf"\b(?:since|after)\s+(?:the\s+)?{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?"
                      r"(?:,?\s+(\d{4}))?", q)  # fmt: skip
    if since and (begin := _date(since.group(2), since.group(1), since.group(3), today)):
        return span(begin)
    if m := re.search(rf"\bon\s+{_ISO}", q):
        start = dt.date.fromisoformat(m.group(1))
        return span(start, start + day)
    if re.search(r"\bsince\s+yesterday\b", q):
        return span(today - day)
    if re.search(r"\byesterday\b", q):
        return span(today - day, today)
    if re.search(r"\btoday\b|\bthis\s+morning\b", q):
        return span(today, today + day)
    if m := re.search(r"\b(?:last|past|previous)\s+(\d{1,3}|" + "|".join(_NUMBER_WORDS) +
                      r")\s+(days?|weeks?)\b", q):  # fmt: skip
        n = _NUMBER_WORDS.get(m.group(1)) or int(m.group(1))
        return span(today - dt.timedelta(days=n * (7 if m.group(2).startswith("week") else 1)))
    if re.search(r"\b(?:last|past|previous)\s+week\b|\bthis\s+week\b", q):
        return span(today - dt.timedelta(days=7))
    if re.search(r"\b(?:in\s+the|over\s+the|during\s+the)\s+(?:last|past)\s+month\b|"
                 r"\bpast\s+month\b", q):  # fmt: skip
        return span(today - dt.timedelta(days=30))
    if re.search(r"\blast\s+month\b", q):
        first = today.replace(day=1)
        return span(_month_start(first.year, first.month - 1), first)
    if re.search(r"\bthis\s+month\b", q):
        return span(today.replace(day=1))
    if re.search(r"\bthis\s+year\b", q):
        return span(dt.date(today.year, 1, 1))
    if m := re.search(rf"\b(?:in|during|from)\s+{_MONTH}(?:\s+(\d{{4}}))?\b", q):
        month = _MONTHS[m.group(1).rstrip(".")]
        year = int(m.group(2)) if m.group(2) else today.year
        if not m.group(2) and dt.date(year, month, 1) > today:
            year -= 1
        start = dt.date(year, month, 1)
        return span(start, _month_start(year, month + 1))
    if m := re.search(r"\b(?:in|during|from)\s+((?:19|20)\d{2})\b", q):
        year = int(m.group(1))
        return span(dt.date(year, 1, 1), dt.date(year + 1, 1, 1))
    return None


_NUM = r"(-?\d{1,3}(?:\.\d+)?)"
_BOX = re.compile(
    rf"\b(?:bounding\s+box|bbox|box|rectangle|extent)\s*[:(\[]?\s*{_NUM}\s*[,;\s]\s*{_NUM}\s*"
    rf"[,;\s]\s*{_NUM}\s*[,;\s]\s*{_NUM}",
    re.IGNORECASE,
)


def bbox(question: str) -> tuple[float, float, float, float] | None:
    """``box W, S, E, N`` (longitude first, as GeoJSON) → ``(min lon, min lat, max lon, max lat)``.

    The corners are sorted, so ``box E, N, W, S`` is the same box; a box that is not on the
    globe is not a box (``None``).
    """
    m = _BOX.search(question)
    if m is None:
        return None
    x0, y0, x1, y1 = (float(m.group(i)) for i in range(1, 5))
    lon0, lon1, lat0, lat1 = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
    if not (-180 <= lon0 <= lon1 <= 180 and -90 <= lat0 <= lat1 <= 90):
        return None
    return lon0, lat0, lon1, lat1


_BOX_START = re.compile(r"\b(?:bounding\s+box|bbox|box|rectangle)\s*[:(\[]?\s*-?\d", re.IGNORECASE)


def box_off_globe(question: str) -> bool:
    """Whether a box the question names is not four corners on the globe (three numbers…)."""
    return _BOX_START.search(question) is not None and bbox(question) is None


_FOOTPRINT = re.compile(
    r"\b(?:(?:scene|image|tile|picture)(?:'s|s')\s+footprint|footprint\s+of\s+(?:this|the)\s+"
    r"(?:scene|image|tile|picture)|(?:same|this)\s+(?:area|place|spot|location)\s+(?:on|across|at)\s+(?:other|"
    r"all|any|every)\s+dates?|overlapping\s+this\s+(?:scene|image|tile))\b",
    re.IGNORECASE,
)


def in_footprint(question: str) -> bool:
    """Whether the question is about what lies inside this scene's footprint (any scene)."""
    return bool(_FOOTPRINT.search(question))


_VERDICT = re.compile(
    r"\b(?:i|we|you|analysts?)\s+(?:have\s+|had\s+|already\s+)?(rejected|accepted|corrected|"
    r"confirmed|approved|fixed|reject|accept|correct)\b|"
    r"\b(rejected|accepted|corrected|confirmed|approved)\s+(?:ones|results|detections|objects|"
    r"outlines|masks|findings)\b",
    re.IGNORECASE,
)
_VERDICT_OF: dict[str, VerdictWord] = {
    "rejected": "reject", "reject": "reject", "accepted": "accept", "accept": "accept",
    "confirmed": "accept", "approved": "accept", "corrected": "correct", "correct": "correct",
    "fixed": "correct",
}  # fmt: skip


def verdict(question: str) -> VerdictWord | None:
    """The analyst's verdict a history question filters on (*the ones I rejected*)."""
    m = _VERDICT.search(question)
    if m is None:
        return None
    return _VERDICT_OF[(m.group(1) or m.group(2)).lower()]


_PER_SCENE = re.compile(
    r"\b(?:which|what|list\s+(?:the|all)?|show\s+(?:me\s+)?(?:the|all)?(?:\s+the)?|in\s+which)"
    r"\s+(?:\w+\s+)?(?:scenes?|images?|tiles?|files?|pictures?)\b|"
    r"\bper\s+(?:scene|image|tile|file)\b|\bby\s+(?:scene|image|tile)\b|"
    r"\b(?:scenes?|images?|tiles?)\s+(?:with|containing|where|that\s+(?:have|had|contain))\b",
    re.IGNORECASE,
)


def per_scene(question: str) -> bool:
    """Whether the answer is wanted per scene (*which scene had the most aircraft?*)."""
    return bool(_PER_SCENE.search(question)) and not re.search(
        r"\b(?:this|that|the\s+same)\s+(?:scene|image|tile)\b(?!s)", question, re.I
    )


def scene_rank(question: str) -> Rank | None:
    """*the most* / *the fewest* over scenes ranked by how many objects each has."""
    if re.search(r"\b(?:most|largest\s+number|highest\s+number|more)\b", question, re.I):
        return Rank("count", True, 1)
    if re.search(r"\b(?:fewest|least|smallest\s+number|lowest\s+number|fewer)\b", question, re.I):
        return Rank("count", False, 1)
    return None
