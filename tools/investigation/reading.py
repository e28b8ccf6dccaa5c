"""Read a question into a plan over stored results, without a language model.

A small grammar, not a list of phrases: a question is first screened for what the product must
refuse (changing or deleting stored data; things overhead imagery cannot measure: depth,
volume, height, contents…; requests with nothing to act on), then read for the parts a plan is
made of, each found wherever it stands in the sentence:

* **source** — an anaphor or a reference to the last answer (*them*, *those*, *of these*, *the
  ones*, *you found*…) makes it a follow-up on the previous answer; *before*, *last time*,
  *have we looked* make it a recall of what is stored about the scene;
* **conditions** — a comparative (*longer / larger / bigger / wider / more / over / above / at
  least*, or *shorter / smaller / less / under / below*) with a number and a unit: metres are a
  length, m², hectares or km² an area, a bare fraction or a percentage after *confident /
  confidence / score* a confidence; *the confident ones* keeps confidence ≥ 0.8 (said);
* **place** — *within R m of LAT, LON* or *within R m of the largest one*;
* **class** — any class the label registry knows (*only the tanks*);
* **rank** — *largest / biggest / smallest / longest / shortest / most / least confident*, with
  an optional count (*the three largest*), or *west to east*, *northernmost*…;
* **aggregate** — *how many / count / number of*, *total / combined / sum*, *mean / average*,
  *median*, *share / fraction / percentage of the scene*; otherwise the results are listed.

Three more kinds of question are read before those: *describe this scene* (what can be
measured about it), *compare* the scenes of this investigation (not its dates: those are the
change capability's), and **history** over everything stored, recognised by a scope
(:mod:`tools.investigation.scope`: a period, a box, this scene's footprint, the analyst's
verdicts, a per-scene answer) or by words that reach beyond this scene (*across all scenes*,
*in the database*, *anything … within 2 km of LAT, LON*).

:func:`read_plan` returns ``None`` for a question that is none of these: a new search, which
the pipeline answers by looking at the scene.
"""

from __future__ import annotations

import datetime as dt
import re

from geomag_core.labels import SubjectKind, labels_in, subject
from geomag_core.nano.classes import known_list
from tools.investigation import scope
from tools.investigation.plan import Aggregate, Condition, Filter, Measure, Near, Plan, Rank

__all__ = ["CAN_DO", "CONFIDENT", "asks_again", "read_plan"]

#: "The confident ones": results at or above this confidence (said in the answer).
CONFIDENT = 0.8

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "a dozen": 12, "a couple of": 2, "a few": 3,
}  # fmt: skip
_NUM = r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?)"

_UNSAFE = re.compile(
    r"\b(delete|remove|erase|drop|forget|wipe|purge|clear|discard|destroy|overwrite|"
    r"rename|relabel|edit|modify|update|change\s+(?:the|their|its)\s+(?:label|labels|results?)|"
    r"clean(?:\s+|-)?up|dedup\w*|de-duplicate|merge|"
    r"(?:mark|flag|tag|label|set|save|record|store)\s+(?:\w+\s+){0,4}as\s+(?:a\s+|an\s+)?"
    r"(?:false|wrong|correct|right|rejected|accepted|bad|good|true|positive|negative|\w+\s+"
    r"positives?)|reject\s+(?:them|all|it|the\s+\w+)|accept\s+(?:them|all|it|the\s+\w+))\b",
    re.IGNORECASE,
)
#: What overhead imagery (and this product) cannot measure, by the words that ask for it.
_UNMEASURABLE: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(deep|depth|deeper|bathymetr\w*)\b", re.I), "depth"),
    (
        re.compile(
            r"\b(volume|litres?|liters?|barrels?|gallons?|cubic|capacity|how\s+much\s+(?:oil|"
            r"fuel|gas|liquid|petrol|crude)|how\s+full|fill(?:ed)?\s+level|contents?|"
            r"(?:are|is|were|was)\s+(?:\w+\s+){0,3}(?:full|empty|filled|loaded)|"
            r"what\s+(?:is\s+)?(?:in|inside)\s+(?:them|the\s+tanks?))\b",
            re.I,
        ),
        "volume or contents",
    ),
    (re.compile(r"\b(tall|taller|height|high\s+(?:is|are)|elevation|altitude)\b", re.I), "height"),
    (re.compile(r"\b(weigh|weight|heavy|tons?|tonnes?)\b", re.I), "weight"),
    (re.compile(r"\b(how\s+old|age|built\s+in|year\s+built|construction\s+date)\b", re.I), "age"),
    (re.compile(r"\b(speed|fast|moving|velocity|heading)\b", re.I), "speed or motion"),
    (re.compile(r"\b(owner|owns|whose|operator|airline|company|brand|manufacturer|"
                r"(?:what|which)\s+(?:make|model|airline))\b", re.I),
     "ownership, make or type"),
    (re.compile(r"\b(temperature|price|cost|costs|worth|monetary)\b", re.I),
     "temperature or value"),
)  # fmt: skip
_VAGUE = re.compile(
    r"^\s*(?:please\s+)?(?:make\s+it\s+better|improve(?:\s+it)?|do\s+better|try\s+harder|"
    r"fix\s+it|again\s+but\s+better|better|more|do\s+something|whatever|hm+|ok(?:ay)?|"
    r"why|what\s+now|and\??|so\??)\s*[.!?]*\s*$",
    re.IGNORECASE,
)

#: Words that carry no request on their own ("hmm, ok", "right, thanks").
_FILLER = frozenset(
    [
        "hm",
        "hmm",
        "hmmm",
        "ok",
        "okay",
        "k",
        "so",
        "and",
        "well",
        "right",
        "sure",
        "cool",
        "thanks",
        "thank",
        "you",
        "yes",
        "yeah",
        "yep",
        "no",
        "nope",
        "fine",
        "great",
        "nice",
        "good",
        "alright",
        "interesting",
        "wow",
        "oh",
        "ah",
        "uh",
        "um",
        "huh",
    ]
)


def _only_filler(text: str) -> bool:
    words = re.findall(r"[a-z]+", text.lower())
    return bool(words) and all(w in _FILLER for w in words)


_RECALL = re.compile(
    r"\b(before|last\s+time|earlier|previously|so\s+far|in\s+the\s+past|already|"
    r"have\s+we\s+(?:looked|searched|checked|seen|been|analy[sz]ed)|ever\s+(?:looked|searched)|"
    r"(?:what|anything)\s+(?:is|was)\s+stored|(?:stored|saved)\s+(?:here|results?|for\s+this))\b",
    re.IGNORECASE,
)
_AGAIN = re.compile(
    r"\b(from\s+scratch|search\s+again|look\s+again|re-?search|re-?run|fresh|anew|new\s+search|"
    r"ignore\s+(?:the\s+)?(?:stored|previous|earlier))\b",
    re.IGNORECASE,
)
_ANAPHOR = re.compile(
    r"\b(them|those|these|they|the\s+ones|ones|of\s+which|you\s+(?:just\s+)?found|"
    r"(?:were|was)\s+found|found\s+(?:so\s+far|above|earlier)|the\s+results?|"
    r"that\s+list|this\s+list|the\s+same|among\s+(?:them|those|these)|only)\b",
    re.IGNORECASE,
)

_MORE = (
    r"(?:longer|larger|bigger|wider|greater|more|over|above|exceed(?:s|ing)?|surpass(?:es|ing)?|"
    r"beyond|at\s+least|higher|>=?|≥)"
)
_LESS = (
    r"(?:shorter|smaller|narrower|less|fewer|under|below|beneath|at\s+most|up\s+to|lower|"
    r"<=?|≤)"
)
_UNIT = (
    r"(km²|km2|square\s+kilomet(?:er|re)s?|sq\.?\s*km|ha|hectares?|m²|m2|sq\.?\s*m|"
    r"square\s+met(?:er|re)s?|km|kilomet(?:er|re)s?|m|met(?:er|re)s?|ft|feet|foot|"
    r"px|pixels?|%|percent)?"
)
_COMPARE = re.compile(
    rf"(?P<dir>{_MORE}|{_LESS})\s*(?:(?:confident|certain|sure|long|large|big|wide|in\s+"
    r"(?:length|area|size))\s+)?(?:than\s+|of\s+)?(?:about\s+|approximately\s+|~\s*)?"
    rf"{_NUM}\s*{_UNIT}(?![A-Za-z])",
    re.IGNORECASE,
)
_CONFIDENCE_WORD = re.compile(r"\b(confiden\w*|score|certain\w*|sure|probabilit\w*)\b", re.I)
_CONFIDENT_ONES = re.compile(
    r"\b(?:the\s+|only\s+(?:the\s+)?)?(?:confident|certain|sure|reliable)\s+ones\b|"
    r"\bonly\s+(?:the\s+)?(?:confident|certain|sure|reliable)\b|\bhigh[\s-]+confidence\b",
    re.I,
)
_WITHIN = re.compile(
    rf"\b(?:within|closer\s+than|less\s+than|under|no\s+more\s+than)\s+{_NUM}\s*"
    r"(km|kilomet(?:er|re)s?|m|met(?:er|re)s?)\s+(?:of|from|around)\s+(?P<what>[^?;]*)",
    re.IGNORECASE,
)
_LATLON = re.compile(r"(-?\d{1,2}(?:\.\d+)?)\s*°?\s*[,;\s]\s*(-?\d{1,3}(?:\.\d+)?)")

_RANK_WORDS: tuple[tuple[re.Pattern[str], str, bool], ...] = (
    (re.compile(r"\b(largest|biggest|greatest|widest|most\s+extensive)\b", re.I), "area", True),
    (re.compile(r"\b(smallest|tiniest|least\s+extensive)\b", re.I), "area", False),
    (re.compile(r"\b(longest)\b", re.I), "length", True),
    (re.compile(r"\b(shortest)\b", re.I), "length", False),
    (
        re.compile(r"\b(most\s+(?:confident|certain|likely|sure)|highest[\s-]+(?:confidence|"
                   r"score))\b", re.I),
        "confidence",
        True,
    ),
    (
        re.compile(r"\b(least\s+(?:confident|certain|likely|sure)|lowest[\s-]+(?:confidence|"
                   r"score))\b", re.I),
        "confidence",
        False,
    ),
    (re.compile(r"\b(west\s+to\s+east|westernmost|westmost|from\s+the\s+west)\b", re.I),
     "west", True),
    (re.compile(r"\b(east\s+to\s+west|easternmost|from\s+the\s+east)\b", re.I), "east", True),
    (re.compile(r"\b(north\s+to\s+south|northernmost|from\s+the\s+north)\b", re.I), "north", True),
    (re.compile(r"\b(south\s+to\s+north|southernmost|from\s+the\s+south)\b", re.I), "south", True),
)  # fmt: skip
_COUNT_BEFORE_RANK = re.compile(
    r"\b(?:top\s+|the\s+)?(?P<n>\d{1,3}|" + "|".join(_NUMBER_WORDS) + r")\s+(?:\w+\s+)?$|"
    r"\bwhich\s+(?P<which>\d{1,3}|" + "|".join(_NUMBER_WORDS) + r")\s+(?:\w+\s+){0,3}$",
    re.IGNORECASE,
)
_HOW_MANY = re.compile(r"\b(how\s+many|count|number\s+of|tally)\b", re.I)
_TOTAL = re.compile(r"\b(total|combined|sum|altogether|in\s+all|overall|cumulative)\b", re.I)
_MEAN = re.compile(r"\b(mean|average|typical|avg)\b", re.I)
_MEDIAN = re.compile(r"\bmedian\b", re.I)
#: "how big are they?": their sizes, when no single figure (mean, total, ...) is asked for.
_SIZES = re.compile(
    r"\b(how\s+(?:big|large|long|wide)\b|what\s+sizes?\b|(?:their|the)\s+sizes\b|"
    r"size\s+range\b|dimensions\b)",
    re.I,
)
_SHARE = re.compile(
    r"\b(share|fraction|proportion|percentage|percent|what\s+part|how\s+much)\s+of\s+the\s+"
    r"(?:scene|image|area|tile)\b",
    re.IGNORECASE,
)
_LENGTH_WORD = re.compile(
    r"\b(length|long|longer|shorter|span|size\s+in\s+m(?:etres|eters)?)\b", re.I
)
_AREA_WORD = re.compile(r"\b(area|surface|footprint|extent|size|big|large)\b", re.I)
_CONFIDENCE_AGG = re.compile(r"\b(confidence|score|certainty)\b", re.I)
_LIST = re.compile(r"\b(list|show|which|where|what\s+are|give\s+me|name|display)\b", re.I)


_ANAPHORS = ("them", "those", "these", "they")


def _near_miss(word: str, target: str) -> bool:
    """One letter swapped with its neighbour, dropped or doubled: a typo of ``target``."""
    if word == target or len(word) < 4:
        return False
    swaps = {
        target[:i] + target[i + 1] + target[i] + target[i + 2 :] for i in range(len(target) - 1)
    }
    drops = {target[:i] + target[i + 1 :] for i in range(len(target))}
    doubles = {target[:i] + target[i] + target[i:] for i in range(len(target))}
    return word in swaps | doubles or (len(word) >= 4 and word in drops)


def _untypo(text: str) -> str:
    """Anaphors typed with a slip (*thme*, *thsoe*) read as the word meant."""

    def fix(m: re.Match[str]) -> str:
        word = m.group(0)
        for target in _ANAPHORS:
            if _near_miss(word.lower(), target):
                return target
        return word

    return re.sub(r"[A-Za-z]+", fix, text)


def _number(text: str) -> float:
    """``2,000`` (thousands), ``0,8`` (a decimal comma) and ``12.5`` as numbers."""
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", text):
        return float(text.replace(",", ""))
    return float(text.replace(",", "."))


def _to_metric(value: float, unit: str, *, measure_hint: Measure | None) -> tuple[Measure, float]:
    """A number and its unit as (measure, value in m / m² / fraction)."""
    u = unit.lower().replace(" ", "").replace(".", "")
    if u in ("km²", "km2", "squarekilometers", "squarekilometres", "squarekilometer",
             "squarekilometre", "sqkm"):  # fmt: skip
        return "area", value * 1e6
    if u in ("ha", "hectare", "hectares"):
        return "area", value * 1e4
    if u.startswith(("m²", "m2", "sqm", "squaremet")):
        return "area", value
    if u in ("km", "kilometer", "kilometers", "kilometre", "kilometres"):
        return "length", value * 1000
    if u in ("ft", "feet", "foot"):
        return "length", value * 0.3048
    if u in ("m", "meter", "meters", "metre", "metres"):
        return "length", value
    if u in ("%", "percent"):
        return "confidence", value / 100
    if measure_hint == "confidence" or value <= 1:
        return "confidence", value if value <= 1 else value / 100
    return measure_hint or "length", value


def _conditions(question: str) -> tuple[Condition, ...]:
    found = []
    for m in _COMPARE.finditer(question):
        before = question[max(0, m.start() - 40) : m.start()]
        hint: Measure | None = (
            "confidence" if _CONFIDENCE_WORD.search(before + m.group(0)) else None
        )
        measure, value = _to_metric(_number(m.group(2)), m.group(3) or "", measure_hint=hint)
        if (m.group(3) or "").lower() in ("px", "pixel", "pixels"):
            continue  # pixels are not a size on the ground: left to the answer to explain
        words = m.group("dir").lower()
        more = re.fullmatch(_MORE, words, re.IGNORECASE) is not None
        found.append(Condition(measure, ">" if more else "<", value))
    if _CONFIDENT_ONES.search(question) and not any(c.measure == "confidence" for c in found):
        found.append(Condition("confidence", ">", CONFIDENT))
    return tuple(found)


def _near(question: str) -> Near | None:
    m = _WITHIN.search(question)
    if m is None:
        return None
    radius = _number(m.group(1)) * (1000 if m.group(2).lower().startswith("k") else 1)
    what = m.group("what")
    if point := _LATLON.search(what):
        lat, lon = float(point.group(1)), float(point.group(2))
        if -90 <= lat <= 90 and -180 <= lon <= 180:
            return Near(radius, lat=lat, lon=lon)
    if re.search(r"\b(largest|biggest)\b", what, re.I):
        return Near(radius, of_result="largest")
    if re.search(r"\b(smallest|tiniest)\b", what, re.I):
        return Near(radius, of_result="smallest")
    return None


_COUNT_AFTER_RANK = re.compile(
    r"^\s+(?P<n>\d{1,3}|" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE
)
_TOP = re.compile(
    r"\btop\s+(?P<n>\d{1,3}|" + "|".join(_NUMBER_WORDS) + r")\b(?:\s+by\s+(?P<by>area|size|"
    r"length|confidence|score))?",
    re.IGNORECASE,
)


def _count(raw: str) -> int:
    return _NUMBER_WORDS.get(raw.lower()) or int(raw)


_FARTHEST = re.compile(
    r"\b(?:farthest|furthest|most)\s+(?:to\s+the\s+)?(east|west|north|south)(?:ern|erly|wards?)?\b",
    re.IGNORECASE,
)
#: An order asked for the whole list: "sort them by size", "largest first".
_WHOLE_ORDER = re.compile(
    r"\b(?:sort|order|rank|arrange)\w*\b.*\bby\b|\b(?:largest|biggest|smallest|longest|"
    r"shortest|most\s+confident|least\s+confident)\s+first\b",
    re.IGNORECASE,
)


def _rank(question: str) -> Rank | None:
    question = _FARTHEST.sub(lambda m: m.group(1).lower() + "ernmost", question)
    for rx, key, descending in _RANK_WORDS:
        m = rx.search(question)
        if m is None:
            continue
        n: int | None = None
        if count := _COUNT_BEFORE_RANK.search(question[: m.start()]):
            n = _count(count.group("n") or count.group("which"))
        elif after := _COUNT_AFTER_RANK.search(question[m.end() :]):
            n = _count(after.group("n"))
        elif key in ("west", "east", "north", "south"):
            n = 1 if m.group(0).lower().endswith("most") else None
        elif key in ("area", "length", "confidence"):
            plural = re.search(r"\b(ones|tanks|aircraft|cars|regions|ponds|objects|results)\b",
                               question[m.end():], re.I)  # fmt: skip
            singular = re.search(r"\b(the|which)\s+(?:\w+\s+)?" + re.escape(m.group(0)), question,
                                 re.I)  # fmt: skip
            n = None if (plural and not singular) or _WHOLE_ORDER.search(question) else 1
        return Rank(key, descending, n)  # type: ignore[arg-type]
    if top := _TOP.search(question):
        by = (top.group("by") or "area").lower()
        key = {"size": "area", "score": "confidence"}.get(by, by)
        return Rank(key, True, _count(top.group("n")))  # type: ignore[arg-type]
    return None


def _aggregate(question: str, rank: Rank | None) -> Aggregate:
    measure: Measure | None = None
    if _CONFIDENCE_AGG.search(question):
        measure = "confidence"
    elif _LENGTH_WORD.search(question):
        measure = "length"
    elif _AREA_WORD.search(question) or re.search(r"\b(ha|hectares?|m²|m2)\b", question, re.I):
        measure = "area"
    if _SHARE.search(question):
        return Aggregate("share", "area")
    if _MEDIAN.search(question):
        return Aggregate("median", measure or "area")
    if _MEAN.search(question):
        return Aggregate("mean", measure or "area")
    if _TOTAL.search(question) and (measure or not _HOW_MANY.search(question)):
        return Aggregate("total", measure or "area")
    if _HOW_MANY.search(question) and rank is None:
        return Aggregate("count")
    if _SIZES.search(question) and rank is None:
        return Aggregate("sizes")
    return Aggregate("list")


def _not_understood(why: str) -> Plan:
    return Plan("not_understood", source="none", aggregate=Aggregate("list"), reason=why)


#: What the product can do, said with every refusal.
CAN_DO = (
    f"I can search a scene for {known_list()}, measure water and "
    "vegetation where there is a near-infrared band, compare dates, and work on what was found: "
    "filter it by length, area, confidence, class or distance, rank it, count it, total or "
    "average its areas and lengths, and recall what is stored about a scene"
)


_DESCRIBE = re.compile(
    r"\b(?:"
    r"what(?:'s|\s+is)\s+(?:in|on)\s+(?:this|the)\s+(?:scene|image|tile|picture|photo)"
    r"(?=\s*(?:[?.!,]|$))|"
    r"what\s+am\s+i\s+looking\s+at|"
    r"summari[sz]e\s+what(?:'s|\s+is)\s+(?:in|on)\s+(?:this|the)\s+(?:scene|image|tile|picture)|"
    r"describe\s+(?:this|the)\s+(?:scene|image|tile|picture|area)|"
    r"tell\s+me\s+about\s+(?:this|the)\s+(?:scene|image|tile|picture|area)|"
    r"what\s+(?:kind|sort|type)\s+of\s+(?:area|place|scene|image|location|landscape)\s+is\s+"
    r"(?:this|it|shown)|"
    r"what\s+does\s+(?:this|the)\s+(?:scene|image|tile|picture)\s+(?:show|contain|depict)|"
    r"summari[sz]e\s+(?:this|the)\s+(?:scene|image|tile)|"
    r"(?:give\s+me\s+)?(?:an?\s+)?(?:overview|summary)\s+of\s+(?:this|the)\s+"
    r"(?:scene|image|tile))\b",
    re.IGNORECASE,
)
_COMPARE_SCENES = re.compile(
    r"\bcompar\w*|\bversus\b|\bvs\.?(?=\s)|"
    r"\bwhich\s+of\s+(?:the\s+)?(?:two|both|these|those)\s+(?:scenes|images|tiles|airports|"
    r"sites|ports)|\b(?:this|the)\s+(?:one|scene|image|tile)\s+or\s+the\s+(?:last|previous|"
    r"other|first)|\bthe\s+other\s+(?:scene|airport|image|tile|site|port)\b|"
    r"\b(?:both|the\s+two|these\s+two|all\s+(?:the\s+)?(?:three|four))\s+(?:scenes|images|"
    r"tiles|airports|sites|ports|harbou?rs|depots|bases|airfields|terminals)\b",
    re.IGNORECASE,
)
#: Comparing dates is the change capability's (a search across the scene's dates).
_DATES = re.compile(
    r"\b(dates?|over\s+time|years?|months?|seasons?|chang\w*|grow\w*|shr[iu]nk\w*|"
    r"before\s+and\s+after|timeline|summer|winter|spring|autumn|fall|then\s+and\s+now|"
    r"and\s+now|(?:19|20)\d{2}(?:-\d{2}-\d{2})?)\b",
    re.IGNORECASE,
)
_EVERYWHERE = re.compile(
    r"\b(across\s+(?:all|every|the)\s+(?:scenes|images|tiles|dates|files)|all\s+(?:the\s+)?"
    r"scenes|every\s+scene|anywhere|in\s+the\s+database|in\s+(?:the\s+)?history|"
    r"everything\s+(?:we|i|you|stored|found)|anything\s+(?:stored|found))\b",
    re.IGNORECASE,
)
_THIS_SCENE = re.compile(r"\b(here|this\s+(?:scene|image|tile|picture|file))\b(?!'s)", re.I)


def _history(text: str, today: dt.date, labels: tuple[str, ...], has_previous: bool) -> Plan | None:
    """A question over everything stored, or ``None`` when the question has no such scope."""
    period = scope.period(text, today)
    box = scope.bbox(text)
    footprint = scope.in_footprint(text)
    verdict = scope.verdict(text)
    everywhere = bool(_EVERYWHERE.search(text)) and not _THIS_SCENE.search(text)
    # "across all scenes, which one had the most cars?": the one is a scene
    grouped = scope.per_scene(text) or (
        everywhere and re.search(r"\bwhich\b.*\b(?:most|fewest|least)\b", text, re.I) is not None
    )
    near = _near(text)
    point = near is not None and near.lat is not None
    # a point alone is history only when there is no earlier answer to filter: with one,
    # "how many within 300 m of LAT, LON?" is a follow-up unless it reaches beyond this scene
    if not (period or box or footprint or verdict or grouped or everywhere or (
        point and not has_previous
    )):  # fmt: skip
        return None
    conditions = _conditions(text)
    filter_ = Filter(conditions, labels, near if point else None, period, box, footprint, verdict)
    empty = Filter()
    if grouped:
        return Plan(
            "history",
            source="all",
            filter=filter_ if filter_ != empty else None,
            group="scene",
            rank=scope.scene_rank(text),
            aggregate=Aggregate("count"),
        )
    aggregate = _aggregate(text, None)
    return Plan(
        "history",
        source="all",
        filter=filter_ if filter_ != empty else None,
        rank=_rank(text),
        aggregate=aggregate,
    )


def _compare(text: str, labels: tuple[str, ...]) -> Plan:
    aggregate = _aggregate(text, None)
    if aggregate.kind not in ("count", "total", "mean", "median"):
        aggregate = Aggregate("total", "area") if _AREA_WORD.search(text) else Aggregate("count")
    return Plan(
        "compare",
        source="investigation",
        filter=Filter((), labels) if labels else None,
        aggregate=aggregate,
    )


def read_plan(question: str, *, has_previous: bool, today: dt.date | None = None) -> Plan | None:
    """How ``question`` is understood as an operation on stored results; ``None``: a search.

    Args:
        question: the analyst's words.
        has_previous: the investigation has an earlier answer with results to work on.
        today: the day "yesterday" and "last week" count from (default: today, UTC).

    """
    today = today or dt.datetime.now(dt.UTC).date()
    text = _untypo(" ".join(question.split()))
    if _UNSAFE.search(text):
        return _not_understood(
            "I never delete or change stored results because a question asks: every answer "
            "and the analyst's own verdicts stay as they were. To judge a result, use the "
            "History page (accept, reject, correct its outline)"
        )
    if _VAGUE.match(text) or _only_filler(text) or not re.search(r"[A-Za-z]{2,}", text):
        return _not_understood("I do not know what to do with this request")
    for rx, what in _UNMEASURABLE:
        if rx.search(text):
            return _not_understood(
                f"I cannot measure {what} from overhead imagery: I see outlines from above, so "
                "I can give counts, places, areas, lengths and confidence, not " + what
            )
    if scope.box_off_globe(text):
        return _not_understood(
            "that box is not four corners on the globe: give it as min longitude, min "
            "latitude, max longitude, max latitude in degrees (e.g. box 1.35, 43.61, 1.38, 43.64)"
        )
    # places (the other airport, both harbours) name scenes, never the results' class
    labels = tuple(
        label
        for label in labels_in(text)
        if label != "object" and subject(label).kind != SubjectKind.PLACE
    )
    if _DESCRIBE.search(text):
        return Plan("describe", source="scene", aggregate=Aggregate("list"))
    if _COMPARE_SCENES.search(text):
        return None if _DATES.search(text) else _compare(text, labels)
    if (history := _history(text, today, labels, has_previous)) is not None:
        return history
    again = bool(_AGAIN.search(text))
    recall = bool(_RECALL.search(text)) and not again
    anaphor = bool(_ANAPHOR.search(text))
    conditions = _conditions(text)
    near = _near(text)
    within = _WITHIN.search(text)
    rank = _rank(text[: within.start()] if within else text)
    aggregate = _aggregate(text, rank)
    if recall:
        filter_ = Filter(conditions, labels, near) if (conditions or labels or near) else None
        if aggregate.kind == "list" and _HOW_MANY.search(text):
            aggregate = Aggregate("count")
        return Plan("recall", source="scene", filter=filter_, rank=rank, aggregate=aggregate)
    about_results = anaphor or conditions or near is not None
    operates = bool(
        conditions or near or rank or labels or aggregate.kind != "list" or _LIST.search(text)
    )
    if again or not has_previous:
        return None
    if not (about_results and operates) and not (rank is not None or aggregate.kind in (
        "total", "mean", "median", "share", "sizes"
    )):  # fmt: skip
        return None
    filter_ = Filter(conditions, labels, near) if (conditions or labels or near) else None
    return Plan("followup", filter=filter_, rank=rank, aggregate=aggregate)


def asks_again(question: str) -> bool:
    """Whether ``question`` asks for a new search ("from scratch", "search again")."""
    return bool(_AGAIN.search(question))
