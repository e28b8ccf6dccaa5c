"""The typed operations of an investigation: what a follow-up question asks done, and over what.

A :class:`Plan` is how a question was understood, shown to the analyst before the answer
(``filter(previous, length > 40 m) → count``). The parser (:mod:`tools.investigation.reading`)
reads plain questions into plans; :mod:`tools.investigation.executing` runs them over stored
results. Nothing here looks at pixels or writes to the database.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

__all__ = [
    "Aggregate",
    "Condition",
    "Filter",
    "Measure",
    "Near",
    "Plan",
    "PlanKind",
    "Rank",
    "Source",
]

#: What a condition or an aggregate measures: metric length (m), metric area (m²), confidence.
Measure = Literal["length", "area", "confidence"]
#: Where a plan's results come from: the previous answer of the thread, everything stored
#: about this scene, the stored answer to the same question, or nothing (a refusal).
Source = Literal["previous", "scene", "asked before", "none"]
#: ``followup``: operations on the previous answer; ``recall``: what is stored about the scene;
#: ``not_understood``: refused, with what can be done instead (nothing is searched or stored).
PlanKind = Literal["followup", "recall", "not_understood"]

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
class Filter:
    """Keep the results that meet every condition (and are of ``labels``, when given)."""

    conditions: tuple[Condition, ...] = ()
    labels: tuple[str, ...] = ()
    near: Near | None = None

    def describe(self) -> str:
        """The conditions joined with ``and``."""
        parts = [c.describe() for c in self.conditions]
        if self.labels:
            parts.insert(0, "label = " + " | ".join(self.labels))
        if self.near is not None:
            parts.append(self.near.describe())
        return " and ".join(parts)


@dataclass(frozen=True)
class Rank:
    """Order the results by ``key`` and keep the first ``n`` (all when ``None``)."""

    key: Literal["area", "length", "confidence", "west", "east", "north", "south"]
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

    ``count``, ``list``, ``total``/``mean``/``median`` of a measure, or their ``share`` of the
    scene.
    """

    kind: Literal["count", "list", "total", "mean", "median", "share"]
    measure: Measure | None = None

    def describe(self) -> str:
        """``count`` or ``mean(area)``."""
        return f"{self.kind}({self.measure})" if self.measure else self.kind


@dataclass(frozen=True)
class Plan:
    """How a question was understood.

    Attributes:
        kind: follow-up, recall or not understood.
        source: where its results come from.
        filter: conditions on the results (``None``: all of them).
        rank: an order and a count (``None``: stored order).
        aggregate: what is said about them.
        again: the analyst asked for a new search ("from scratch", "search again").
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

    @property
    def operations(self) -> tuple[str, ...]:
        """The operation names, in order (for scoring a plan: ``filter``, ``rank``, ``count``…)."""
        if self.kind == "not_understood":
            return ("not_understood",)
        ops = ["recall"] if self.kind == "recall" else []
        if self.filter is not None:
            ops.append("filter")
        if self.rank is not None:
            ops.append("rank")
        ops.append(self.aggregate.kind)
        return tuple(ops)

    def signature(self) -> str:
        """A compact, comparable form: ``followup|length>40|rank:area:desc:3|count``.

        Numbers are rounded to 3 significant digits; this is what plan accuracy is scored on.
        """
        if self.kind == "not_understood":
            return "not_understood"
        parts: list[str] = [self.kind if self.source != "asked before" else "asked_before"]
        if self.filter is not None:
            parts += [f"label={label}" for label in sorted(self.filter.labels)]
            parts += [f"{c.measure}{c.op}{c.value:.3g}" for c in self.filter.conditions]
            if self.filter.near is not None:
                n = self.filter.near
                where = n.of_result or f"{n.lat:.4g},{n.lon:.4g}"
                parts.append(f"near:{n.radius_m:.3g}:{where}")
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
        steps = []
        source = {"scene": "stored results of this scene", "asked before": "asked before"}.get(
            self.source, "previous"
        )
        if self.filter is not None:
            steps.append(f"filter({source}, {self.filter.describe()})")
        else:
            steps.append(source)
        if self.rank is not None:
            steps.append(self.rank.describe())
        steps.append(self.aggregate.describe())
        return " → ".join(steps)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready, with the plan in words under ``text``."""
        return asdict(self) | {"text": self.describe(), "operations": list(self.operations)}
