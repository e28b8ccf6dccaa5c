"""The typed operations of an investigation: what a follow-up question asks done, and over what.

A :class:`Plan` is how a question was understood, shown to the analyst before the answer
(``filter(previous, length > 40 m) → count``). The parser (:mod:`tools.investigation.reading`)
reads plain questions into plans; :mod:`tools.investigation.executing` runs them over stored
results. Nothing here looks at pixels or writes to the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Literal

__all__ = [
    "Aggregate",
    "Condition",
    "Filter",
    "Measure",
    "Near",
    "Period",
    "Plan",
    "PlanKind",
    "Rank",
    "Source",
]

#: What a condition or an aggregate measures: metric length (m), metric area (m²), confidence.
Measure = Literal["length", "area", "confidence"]
#: Where a plan's results come from: the previous answer of the thread, everything stored
#: about this scene, the stored answer to the same question, everything stored (``all``), the
#: scenes of this investigation, or nothing (a refusal).
Source = Literal["previous", "scene", "asked before", "all", "investigation", "none"]
#: ``followup``: operations on the previous answer; ``recall``: what is stored about the scene;
#: ``history``: questions over everything stored (time, place, class, scene, verdict);
#: ``compare``: the scenes of this investigation side by side; ``describe``: what can be
#: measured about this scene; ``not_understood``: refused, with what can be done instead
#: (nothing is searched or stored).
PlanKind = Literal["followup", "recall", "history", "compare", "describe", "not_understood"]
#: An analyst's verdict on a result (the History page's accept / reject / correct).
VerdictWord = Literal["accept", "reject", "correct"]

_UNITS = {"length": "m", "area": "m²", "confidence": ""}


@dataclass(frozen=True)
class Condition:
    """``measure op value``: length in metres, area in m², confidence in ``[0, 1]``."""

    measure: Measure
    op: Literal[">", "<"]
    value: float

    def describe(self) -> str:
        """``length > 40 m``."""
        unit = _UNITS[self.measure]
        value = f"{self.value:g}"
        return f"{self.measure} {self.op} {value}{' ' + unit if unit else ''}"


@dataclass(frozen=True)
class Near:
    """Within ``radius_m`` of a point (WGS84) or of one of the results (``of_result``)."""

    radius_m: float
    lat: float | None = None
    lon: float | None = None
    of_result: Literal["largest", "smallest"] | None = None

    def describe(self) -> str:
        """``within 200 m of 47.1, -99.2`` or ``within 200 m of the largest``."""
        where = f"the {self.of_result}" if self.of_result else f"{self.lat:g}, {self.lon:g}"
        return f"within {self.radius_m:g} m of {where}"


@dataclass(frozen=True)
class Period:
    """A span of days, ``since`` inclusive and ``until`` exclusive (either may be open).

    ``of`` says what the dates are: when results were ``stored`` (the default), or when the
    scene was ``acquired``.
    """

    since: dt.date | None = None
    until: dt.date | None = None
    of: Literal["stored", "acquired"] = "stored"

    def describe(self) -> str:
        """``stored 2026-03-11 … 2026-03-18`` (``…`` for an open end)."""
        since = self.since.isoformat() if self.since else "…"
        until = (self.until - dt.timedelta(days=1)).isoformat() if self.until else "…"
        return f"{self.of} {since} – {until}" if since != until else f"{self.of} {since}"

    def signature(self) -> str:
        """``stored:2026-03-11..`` (until exclusive)."""
        since = self.since.isoformat() if self.since else ""
        until = self.until.isoformat() if self.until else ""
        return f"{self.of}:{since}..{until}"


@dataclass(frozen=True)
class Filter:
    """Keep the results that meet every condition (and are of ``labels``, when given).

    ``period``, ``bbox`` (min lon, min lat, max lon, max lat), ``footprint`` (inside this scene's
    footprint, any scene) and ``verdict`` (the analyst's latest verdict) filter history.
    """

    conditions: tuple[Condition, ...] = ()
    labels: tuple[str, ...] = ()
    near: Near | None = None
    period: Period | None = None
    bbox: tuple[float, float, float, float] | None = None
    footprint: bool = False
    verdict: VerdictWord | None = None

    def describe(self) -> str:
        """The conditions joined with ``and``."""
        parts = [c.describe() for c in self.conditions]
        if self.labels:
            parts.insert(0, "label = " + " | ".join(self.labels))
        if self.near is not None:
            parts.append(self.near.describe())
        if self.period is not None:
            parts.append(self.period.describe())
        if self.bbox is not None:
            parts.append("inside box " + ", ".join(f"{v:g}" for v in self.bbox))
        if self.footprint:
            parts.append("inside this scene's footprint")
        if self.verdict is not None:
            parts.append(f"verdict = {self.verdict}")
        return " and ".join(parts)

    def signature(self) -> list[str]:
        """The filter's parts of a plan signature."""
        parts = [f"label={label}" for label in sorted(self.labels)]
        parts += [f"{c.measure}{c.op}{c.value:.3g}" for c in self.conditions]
        if self.near is not None:
            n = self.near
            where = n.of_result or f"{n.lat:.4g},{n.lon:.4g}"
            parts.append(f"near:{n.radius_m:.3g}:{where}")
        if self.period is not None:
            parts.append(self.period.signature())
        if self.bbox is not None:
            parts.append("bbox:" + ",".join(f"{v:.4g}" for v in self.bbox))
        if self.footprint:
            parts.append("footprint")
        if self.verdict is not None:
            parts.append(f"verdict={self.verdict}")
        return parts


@dataclass(frozen=True)
class Rank:
    """Order the results by ``key`` and keep the first ``n`` (all when ``None``)."""

    key: Literal["area", "length", "confidence", "west", "east", "north", "south", "count"]
    """``count``: scenes ranked by how many objects each has (with ``group = "scene"``)."""
    descending: bool = True
    n: int | None = None

    def describe(self) -> str:
        """``rank(area, descending, 3)``."""
        if self.key in ("west", "east", "north", "south"):
            order = {"west": "west → east", "east": "east → west"}.get(
                self.key, "north → south" if self.key == "north" else "south → north"
            )
        else:
            order = f"{self.key}, {'largest' if self.descending else 'smallest'} first"
        return f"rank({order}{f', top {self.n}' if self.n else ''})"


@dataclass(frozen=True)
class Aggregate:
    """What to say about the results.

    ``count``, ``list``, ``total``/``mean``/``median`` of a measure, their ``share`` of the
    scene, or their ``sizes`` (median and range of length and area: "how big are they?").
    """

    kind: Literal["count", "list", "total", "mean", "median", "share", "sizes"]
    measure: Measure | None = None

    def describe(self) -> str:
        """``count`` or ``mean(area)``."""
        return f"{self.kind}({self.measure})" if self.measure else self.kind


@dataclass(frozen=True)
class Plan:
    """How a question was understood.

    Attributes:
        kind: follow-up, recall, history, compare, describe or not understood.
        source: where its results come from.
        filter: conditions on the results (``None``: all of them).
        group: ``"scene"``: say it per scene (history: "which scene had the most aircraft?").
        rank: an order and a count (``None``: stored order).
        aggregate: what is said about them.
        reason: for ``not_understood``, why, and what the product can do instead.
        read_ids: the stored result ids the plan read (filled in when it runs).

    """

    kind: PlanKind
    source: Source = "previous"
    filter: Filter | None = None
    rank: Rank | None = None
    aggregate: Aggregate = field(default_factory=lambda: Aggregate("list"))
    reason: str = ""
    read_ids: tuple[int, ...] = ()
    group: Literal["scene"] | None = None

    @property
    def operations(self) -> tuple[str, ...]:
        """The operation names, in order (for scoring a plan: ``filter``, ``rank``, ``count``…)."""
        if self.kind in ("not_understood", "describe"):
            return (self.kind,)
        ops: list[str] = [self.kind] if self.kind in ("recall", "history", "compare") else []
        if self.filter is not None:
            ops.append("filter")
        if self.group is not None:
            ops.append("group")
        if self.rank is not None:
            ops.append("rank")
        ops.append(self.aggregate.kind)
        return tuple(ops)

    def signature(self) -> str:
        """A compact, comparable form: ``followup|length>40|rank:area:desc:3|count``.

        Numbers are rounded to 3 significant digits (coordinates to 4); this is what plan
        accuracy is scored on.
        """
        if self.kind in ("not_understood", "describe"):
            return self.kind
        parts: list[str] = [self.kind if self.source != "asked before" else "asked_before"]
        if self.filter is not None:
            parts += self.filter.signature()
        if self.group is not None:
            parts.append(f"group:{self.group}")
        if self.rank is not None:
            order = "desc" if self.rank.descending else "asc"
            parts.append(f"rank:{self.rank.key}:{order}:{self.rank.n or 'all'}")
        agg = self.aggregate
        measured = agg.kind in ("total", "mean", "median", "share") and agg.measure
        parts.append(f"{agg.kind}:{agg.measure}" if measured else agg.kind)
        return "|".join(parts)

    def describe(self) -> str:
        """``filter(previous, length > 40 m) → count``."""
        if self.kind == "not_understood":
            return "not understood"
        if self.kind == "describe":
            return "describe(this scene: size, CRS, date, bands, water/vegetation share, stored)"
        steps = []
        source = {
            "scene": "stored results of this scene",
            "asked before": "asked before",
            "all": "everything stored",
            "investigation": "scenes of this investigation",
        }.get(self.source, "previous")
        if self.filter is not None:
            steps.append(f"filter({source}, {self.filter.describe()})")
        else:
            steps.append(source)
        if self.group is not None:
            steps.append(f"per {self.group}")
        if self.kind == "compare":
            steps.append("compare")
        if self.rank is not None:
            steps.append(self.rank.describe())
        steps.append(self.aggregate.describe())
        return " → ".join(steps)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready, with the plan in words under ``text``."""
        out = asdict(self) | {"text": self.describe(), "operations": list(self.operations)}
        period = self.filter.period if self.filter else None
        if period is not None:  # dates as ISO strings
            out["filter"]["period"] = {
                "since": period.since.isoformat() if period.since else None,
                "until": period.until.isoformat() if period.until else None,
                "of": period.of,
            }
        return out
