"""Run a plan over stored results: filter, rank, aggregate — and say it, with what it read.

Everything here reads; nothing is searched or stored. Lengths are the longest side of each
outline's minimum rotated rectangle, in metres on the ground (equal-area projection) for a
scene with a CRS; for a scene without one (a JPEG) they are the outline's pixels times the
metres per pixel the analyst set (``--gsd``) or the class's training GSD, and the answer says
which was assumed.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from pyproj import CRS

from geomag_core.findings import Finding
from geomag_core.labels import counted
from geomag_core.nano.classes import NANO_CLASSES
from geomag_core.polygons.grounded import equal_area_m2, longest_side, to_equal_area
from geomag_core.scales import SceneScale
from geomag_core.scene import Scene
from tools.investigation.plan import Condition, Measure, Near, Plan

__all__ = ["Measured", "Worked", "measure_results", "run_plan"]

#: At most this many results are listed one per line.
LISTED = 10
_CLASSES = {c.name: c for c in NANO_CLASSES}
_WGS84 = CRS.from_epsg(4326)


@dataclass(frozen=True)
class Measured:
    """A stored result with the measures a plan can test."""

    result_id: int
    query_id: int
    finding: Finding
    length_m: float | None
    area_m2: float | None
    lonlat: tuple[float, float] | None
    centre_px: tuple[float, float]


@dataclass(frozen=True)
class Worked:
    """What a plan gave: the results kept, the sentences, and the plan with what it read."""

    plan: Plan
    kept: tuple[int, ...]
    lines: tuple[str, ...]
    value: float | None = None
    """The aggregate's number (count, total, mean…), ``None`` for a list."""
    drawn: tuple[int, ...] | None = None
    """The kept results that lie on the scene asked about (``None``: all of them); a history
    answer keeps results of other scenes too, which cannot be drawn on this one."""


def _scale_for(finding: Finding, scale: SceneScale | None) -> SceneScale | None:
    """The scale that sizes ``finding`` on a scene without a CRS.

    The scene's, else its class's training GSD (said as assumed), else none.
    """
    if scale is not None:
        return scale
    target = _CLASSES.get(finding.label or "")
    return target.assumed_scale if target is not None else None


def measure_results(
    stored: Sequence[tuple[int, int, Finding]], scene: Scene | None, scale: SceneScale | None
) -> tuple[list[Measured], list[str]]:
    """Each ``(result_id, query_id, finding)`` measured; and the assumptions made, in words.

    A result with a place on the ground is measured there; one of a scene without a CRS at
    ``scale`` (``Workbench.scale_of``: --gsd, given in the app, a world file), else at its
    class's training GSD, and the notes say which.
    """
    out, assumed = [], set()
    for rid, qid, f in stored:
        if not f.is_mask and f.kind != "box":
            continue
        shape = f.geometry
        local = f.scene_geometry
        box = f.pixel_box or (0, 0, 0, 0)
        centre_px = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
        length = f.length_m
        area = f.area_m2
        if shape is not None:
            if length is None:
                length = longest_side(to_equal_area(shape, _WGS84))
            if area is None:
                area = equal_area_m2(shape, _WGS84)
            point = shape.representative_point()
            lonlat: tuple[float, float] | None = (float(point.x), float(point.y))
        else:
            lonlat = None
            used = _scale_for(f, scale)
            if local is not None and used is not None:
                length = longest_side(local) * used.metres
                area = float(local.area) * used.metres * used.metres
                assumed.add(f"{used.metres:g} m per pixel ({used.source})")
        out.append(Measured(rid, qid, f, length, area, lonlat, centre_px))
    notes = [f"This scene has no CRS: lengths and areas are at {why}." for why in sorted(assumed)]
    return out, notes


def _value(m: Measured, measure: Measure) -> float | None:
    if measure == "length":
        return m.length_m
    if measure == "area":
        return m.area_m2
    return m.finding.confidence


def _meets(m: Measured, c: Condition) -> bool:
    value = _value(m, c.measure)
    if value is None:
        return False
    return value > c.value if c.op == ">" else value < c.value


def _distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (lon, lat) points."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def _near(items: list[Measured], near: Near, everything: list[Measured]) -> list[Measured]:
    if near.of_result is not None:
        ranked = sorted(everything, key=lambda m: m.area_m2 or 0.0)
        if not ranked or ranked[-1].lonlat is None:
            return []
        anchor = ranked[-1] if near.of_result == "largest" else ranked[0]
        point = anchor.lonlat
        items = [m for m in items if m.result_id != anchor.result_id]
    else:
        point = (float(near.lon or 0.0), float(near.lat or 0.0))
    assert point is not None
    return [
        m for m in items if m.lonlat is not None and _distance_m(m.lonlat, point) <= near.radius_m
    ]


def _fmt(m: Measured) -> str:
    f = m.finding
    parts = [f"#{m.result_id} {f.label}"]
    if m.area_m2 is not None:
        parts.append(f"{m.area_m2:,.0f} m²")
    if m.length_m is not None:
        parts.append(f"{m.length_m:,.1f} m long")
    if f.confidence is not None:
        parts.append(f"confidence {f.confidence:.2f}")
    if m.lonlat is not None:
        parts.append(f"lat {m.lonlat[1]:.5f}, lon {m.lonlat[0]:.5f}")
    elif f.pixel_box:
        parts.append(f"at {list(f.pixel_box)}")
    return ", ".join(parts)


def _unit(measure: Measure) -> str:
    return {"length": " m", "area": " m²", "confidence": ""}[measure]


def run_plan(
    plan: Plan,
    items: list[Measured],
    *,
    scene_area_m2: float | None,
    what: str,
) -> Worked:
    """Apply ``plan`` to ``items`` and say the outcome.

    Args:
        plan: a follow-up or recall plan.
        items: the measured results it reads.
        scene_area_m2: the scene's area on the ground (for ``share``), ``None`` when unknown.
        what: where the items come from, in words (``the 30 results of query #5``).

    """
    read = tuple(m.result_id for m in items)
    plan = replace(plan, read_ids=read)
    lines = [f"Understood: {plan.describe()}, over {what}."]
    kept = list(items)
    if plan.filter is not None:
        f = plan.filter
        if f.labels:
            kept = [m for m in kept if m.finding.label in f.labels]
        for c in f.conditions:
            unknown = [m for m in kept if _value(m, c.measure) is None]
            if unknown:
                lines.append(
                    f"{len(unknown)} result(s) have no {c.measure} to compare and are left out."
                )
            kept = [m for m in kept if _meets(m, c)]
        if f.near is not None:
            if any(m.lonlat is None for m in kept):
                lines.append(
                    "This scene has no CRS: distances on the ground cannot be measured, so no "
                    "result of it is counted as within the distance asked."
                )
            kept = _near(kept, f.near, items)
        lines.append(f"{len(kept)} of {len(items)} result(s) meet {f.describe()}.")
    if plan.rank is not None:
        r = plan.rank
        if r.key in ("west", "east"):
            kept.sort(key=lambda m: m.lonlat[0] if m.lonlat else m.centre_px[0])
            if r.key == "east":
                kept.reverse()
        elif r.key in ("north", "south"):
            kept.sort(key=lambda m: -m.lonlat[1] if m.lonlat else m.centre_px[1])
            if r.key == "south":
                kept.reverse()
        else:
            measure: Measure = r.key  # type: ignore[assignment]
            known = [m for m in kept if _value(m, measure) is not None]
            known.sort(key=lambda m: float(_value(m, measure) or 0.0), reverse=r.descending)
            kept = known
        if r.n is not None:
            kept = kept[: r.n]
    value: float | None = None
    agg = plan.aggregate
    if agg.kind == "count":
        labels = Counter(str(m.finding.label) for m in kept)
        said = ", ".join(counted(n, label) for label, n in labels.items()) or "none"
        lines.append(f"Count: {len(kept)} ({said}).")
        value = float(len(kept))
    elif agg.kind in ("total", "mean", "median") and agg.measure is not None:
        values = [v for m in kept if (v := _value(m, agg.measure)) is not None]
        if not values:
            lines.append(f"No {agg.measure} to {agg.kind}: no result has one.")
        else:
            value = {
                "total": sum(values),
                "mean": statistics.fmean(values),
                "median": statistics.median(values),
            }[agg.kind]
            unit = _unit(agg.measure)
            shown = f"{value:,.2f}" if agg.measure == "confidence" else f"{value:,.1f}"
            ha = f" ({value / 1e4:,.2f} ha)" if agg.measure == "area" and value >= 1e4 else ""
            lines.append(
                f"{agg.kind.capitalize()} {agg.measure}: {shown}{unit}{ha} over {len(values)} "
                "result(s)."
            )
    elif agg.kind == "sizes":
        sizes: tuple[Measure, ...] = ("length", "area")
        for size in sizes:
            values = sorted(v for m in kept if (v := _value(m, size)) is not None)
            if not values:
                continue
            mid = statistics.median(values)
            value = mid if value is None else value  # the median length, else area
            unit = _unit(size)
            lines.append(
                f"{size.capitalize()}: median {mid:,.1f}{unit}, from {values[0]:,.1f} to "
                f"{values[-1]:,.1f}{unit}, over {len(values)} result(s)."
            )
        if value is None:
            lines.append("No result has a size to give.")
    elif agg.kind == "share":
        total = sum(m.area_m2 or 0.0 for m in kept)
        if scene_area_m2:
            value = total / scene_area_m2
            lines.append(
                f"They cover {value:.2%} of the scene ({total:,.0f} m² of {scene_area_m2:,.0f} m²)."
            )
        else:
            lines.append("The scene's area on the ground is unknown (no CRS): no share is given.")
    if agg.kind == "list" or plan.rank is not None:
        lines += [f"- {_fmt(m)}" for m in kept[:LISTED]]
        if len(kept) > LISTED:
            lines.append(f"… and {len(kept) - LISTED} more.")
    if plan.rank is not None and plan.rank.key in ("area", "length", "confidence"):
        lines.append(
            f"Ranked by {plan.rank.key}"
            + (" (longest side of each outline's minimum rotated rectangle)." if plan.rank.key
               == "length" else ".")
        )  # fmt: skip
    return Worked(plan, tuple(m.result_id for m in kept), tuple(lines), value)
