"""Questions across dates: measure each date of the same place, then what was gained and lost.

The scenes of the same place come from the catalogue (:mod:`geomag_core.catalogue`: footprint
overlap ≥ 50 %, an acquisition date). Each date is measured by the routed capability and stored
(by the graph's store step, with the question) as its own query, keyed by capability, subject,
method version and the scene's content hash, so asking again (in any words) reuses those stored
rows instead of storing them twice. The change
between the first and the last date is the geometric difference of the two dates' regions, in
the asked scene's CRS: slivers narrower than one pixel (co-registration) and parts under the
subject's minimum area are ignored.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import ClassVar

import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from db.writes import saved_request
from geomag_core.catalogue import dated_scenes, same_place, scene_folders
from geomag_core.errors import GeoMagError, SceneReadError
from geomag_core.findings import Finding
from geomag_core.polygons.grounded import equal_area_m2
from geomag_core.scene import Scene
from geomag_core.spectral import INDICES
from geomag_core.temporal import DateQuestion, pick_dates
from tools.capabilities.base import (
    Answered,
    Capability,
    Findings,
    Looked,
    Measurement,
    Reading,
    look_budget,
)
from tools.events import DateMeasured, DatesFound, Emit, quiet
from tools.looked_at import LookedAt

__all__ = ["AcrossDates", "ChangeFindings", "DateRow", "SubjectChange"]

#: Parts of a gain or loss smaller than this are ignored when the subject states no minimum.
DEFAULT_MIN_AREA_M2 = 100.0


@dataclass(frozen=True)
class DateRow:
    """One date's measurement of one subject (stored as its own query, ``request_id``)."""

    date: str
    scene: str
    subject: str
    count: int
    area_m2: float | None
    request_id: str
    method: str
    reused: bool = False
    """Stored before: the question reuses that query's rows instead of storing them again."""


@dataclass(frozen=True)
class SubjectChange:
    """What one subject gained and lost between the first and the last date."""

    subject: str
    first: str
    last: str
    gained_m2: float
    gained_parts: int
    lost_m2: float
    lost_parts: int


@dataclass(frozen=True)
class ChangeFindings(Findings):
    """A question across dates: the dates asked, the per-date table and the change."""

    asked: str
    notes: tuple[str, ...] = ()
    table: tuple[DateRow, ...] = ()
    change: tuple[SubjectChange, ...] = ()
    catalogued: int = 0


def _union(results: list[Finding], subject: str) -> BaseGeometry:
    shapes = [g for r in results if r.label == subject and (g := r.geometry) is not None]
    return shapely.union_all(shapes) if shapes else Polygon()


def _parts(geometry: BaseGeometry) -> list[Polygon]:
    if isinstance(geometry, Polygon):
        return [] if geometry.is_empty else [geometry]
    if isinstance(geometry, MultiPolygon):
        return list(geometry.geoms)
    return [g for part in getattr(geometry, "geoms", []) for g in _parts(part)]


def _difference_results(
    scene: Scene, gained: BaseGeometry, label: str, min_area_m2: float
) -> list[Finding]:
    """Parts of a WGS84 difference as findings in ``scene``'s CRS and pixels, largest first."""
    assert scene.crs is not None
    t = scene.transform
    pixel = abs(t.a * t.e - t.b * t.d) ** 0.5
    local = shapely.transform(gained, scene.wgs84_to_crs)
    opened = local.buffer(-pixel / 2).buffer(pixel / 2)  # drop slivers under a pixel wide
    out = []
    for part in _parts(opened):
        area = equal_area_m2(part, scene.crs)
        if area < min_area_m2:
            continue
        x0, y0, x1, y1 = part.bounds
        corners = scene.crs_to_pixel([(x0, y1), (x1, y0)])
        box = (
            max(0, int(corners[0][0])),
            max(0, int(corners[0][1])),
            min(scene.width, int(corners[1][0]) + 1),
            min(scene.height, int(corners[1][1]) + 1),
        )
        out.append(
            Finding(
                kind="mask",
                label=label,
                wkt=shapely.transform(part, scene.crs_to_wgs84).wkt,
                wkt_scene=part.wkt,
                pixel_box=box,
                area_m2=round(area, 1),
                area_px=round(part.area / (pixel * pixel)),
                scale="scene CRS",
            )
        )
    return sorted(out, key=lambda r: -(r.area_m2 or 0.0))


class AcrossDates(Capability):
    """Any capability that measures, asked across dates: it measures each date, then the change.

    Each date's measurement goes back as a :class:`Measurement` that the graph's store step
    writes with the question, in its transaction; a date measured before (same capability,
    subject, method and scene bytes) is found by its request id and not stored again.

    Args:
        inner: the measuring capability (the spectral indices, nano's counts).

    """

    name: ClassVar[str] = "change"
    title: ClassVar[str] = "change across dates"
    subjects: ClassVar[tuple[str, ...] | None] = ()
    measures: ClassVar[bool] = True
    lists_results: ClassVar[bool] = False

    def __init__(self, inner: Capability) -> None:
        super().__init__(inner.wb)
        self.inner = inner

    def looked_line(self, looked: LookedAt) -> str:
        """Pixels read over every date."""
        return looked.across_dates()

    def method(self, findings: Findings) -> str | None:
        """The methods of the dates measured."""
        assert isinstance(findings, ChangeFindings)
        return "; ".join(sorted({r.method for r in findings.table})) or None

    def look(
        self, scene: str, reading: Reading, subjects: list[str], emit: Emit, *, max_depth: int = 3
    ) -> Looked:
        """Measure ``subjects`` on each asked date of the place; diff the first and the last."""
        wb, cap = self.wb, self.inner
        here = wb.scene(scene)
        asked = reading.dates or DateQuestion()
        if not here.is_georeferenced:
            note = (
                f"{here.path.name} has no CRS, so other dates of the same place cannot be found "
                "by footprint: a question across dates needs a georeferenced scene"
            )
            return Looked(findings=ChangeFindings(asked.describe(), notes=(note,)))
        catalogue, skipped = dated_scenes(
            scene_folders(wb.settings),
            rgb_bands=wb.settings.rgb_bands,
            max_pixels=wb.settings.max_scene_pixels,
            allowed=wb.settings.scene_folders,
        )
        matches = same_place(here, catalogue)
        dates, picked_notes = pick_dates(asked, [m.acquired for m in matches])
        notes = list(picked_notes)
        if skipped:
            notes.append(
                f"{len(skipped)} file(s) of the scene folders could not be used as dates: "
                + "; ".join(s.describe() for s in skipped[:5])
                + ("" if len(skipped) <= 5 else f"; and {len(skipped) - 5} more")
            )
        chosen = [m for m in matches if m.acquired in dates]
        emit(DatesFound(tuple(m.acquired.isoformat() for m in chosen), len(matches)))
        if len(chosen) < 2:
            notes.append(
                f"only {len(chosen)} date(s) of this place match ({asked.describe()}); a change "
                f"needs two (the catalogue has {len(matches)} of this place: samples, "
                "GEOMAG_SCENES_DIR and uploads)"
            )
        looked = Looked(findings=ChangeFindings(asked.describe()))
        per_date: dict[str, dict[str, list[Finding]]] = {s: {} for s in subjects}
        table: list[DateRow] = []
        pixels = 0
        usable = []
        for match in chosen:
            path = str(match.scene.path)
            try:  # one odd date (no NIR band, unreadable now) is skipped, not the question
                looks = {subject: cap.look(path, reading, [subject], quiet) for subject in subjects}
            except GeoMagError as exc:
                why = exc.reason if isinstance(exc, SceneReadError) else str(exc)
                notes.append(f"skipped {match.scene.path.name} ({match.acquired}): {why}")
                continue
            usable.append(match)
            for subject in subjects:
                started = time.perf_counter()
                one = looks[subject]
                method = cap.method(one.findings)
                versions = wb.model_versions() | ({"method": method} if method else {})
                key = hashlib.sha256(json.dumps(versions, sort_keys=True).encode()).hexdigest()
                request = f"measure/{cap.name}/{subject}/{match.scene.content_hash[:32]}/{key[:12]}"
                earlier = saved_request(wb.engine, request)  # a read: writes wait for the store
                looked.measurements.append(
                    Measurement(
                        scene=path,
                        question=f"measure {subject} ({cap.title}) for a comparison across dates",
                        request_id=request,
                        results=tuple(one.results),
                        zoom_steps=tuple(one.zoom_steps),
                        budget=one.budget,
                        method=method,
                        look_ms=round((time.perf_counter() - started) * 1000, 1),
                    )
                )
                masks = [r for r in one.results if r.is_mask]
                metric = all(r.area_m2 is not None for r in masks)
                row = DateRow(
                    date=match.acquired.isoformat(),
                    scene=match.scene.path.name,
                    subject=subject,
                    count=len(masks),
                    area_m2=round(sum(r.area_m2 or 0.0 for r in masks), 1) if metric else None,
                    request_id=request,
                    method=method or cap.title,
                    reused=earlier is not None,
                )
                table.append(row)
                emit(
                    DateMeasured(
                        date=row.date,
                        subject=subject,
                        count=row.count,
                        area_m2=row.area_m2,
                        reused=row.reused,
                        query_id=earlier.query_id if earlier is not None else None,
                    )
                )
                per_date[subject][row.date] = masks
                pixels += one.budget.views.pixels if one.budget is not None else 0
        if len(chosen) >= 2 > len(usable):
            notes.append(f"only {len(usable)} of the {len(chosen)} dates could be measured")
        changes = []
        if len(usable) >= 2:
            first, last = usable[0].acquired.isoformat(), usable[-1].acquired.isoformat()
            for subject in subjects:
                before = _union(per_date[subject][first], subject)
                after = _union(per_date[subject][last], subject)
                index = INDICES.get(subject)
                minimum = index.min_area_m2 if index else DEFAULT_MIN_AREA_M2
                gained = _difference_results(
                    here, after.difference(before), f"{subject} gained", minimum
                )
                lost = _difference_results(
                    here, before.difference(after), f"{subject} lost", minimum
                )
                looked.results += gained + lost
                changes.append(
                    SubjectChange(
                        subject=subject,
                        first=first,
                        last=last,
                        gained_m2=round(sum(r.area_m2 or 0.0 for r in gained), 1),
                        gained_parts=len(gained),
                        lost_m2=round(sum(r.area_m2 or 0.0 for r in lost), 1),
                        lost_parts=len(lost),
                    )
                )
        looked.findings = ChangeFindings(
            asked.describe(), tuple(notes), tuple(table), tuple(changes), len(matches)
        )
        looked.budget = look_budget(here, pixels, 0, 1.0 if pixels else 0.0)
        return looked

    def answer_lines(self, answered: Answered, findings: Findings) -> list[str]:
        """The per-date table and the change between the first and the last date, in words."""
        assert isinstance(findings, ChangeFindings)
        lines = [f"Across dates ({findings.asked}):"]
        lines += [f"Note: {n}." for n in findings.notes]
        if findings.table:
            lines.append("| date | scene | measure | regions | area (ha) | stored |")
            lines.append("|---|---|---|---:|---:|---|")
            for r in findings.table:
                area = "–" if r.area_m2 is None else f"{r.area_m2 / 1e4:,.2f}"
                query = answered.measured.get(r.request_id)
                stored = ("–" if query is None else f"#{query}") + (" (reused)" if r.reused else "")
                lines.append(
                    f"| {r.date} | {r.scene} | {r.subject} ({r.method}) | {r.count} "
                    f"| {area} | {stored} |"
                )
        for c in findings.change:
            rows = [r for r in findings.table if r.subject == c.subject]
            a0, a1 = rows[0].area_m2, rows[-1].area_m2
            net = "" if a0 is None or a1 is None else f"net {(a1 - a0) / 1e4:+,.2f} ha; "
            lines.append(
                f"{c.subject.capitalize()} {c.first} → {c.last}: {net}gained "
                f"{c.gained_m2 / 1e4:,.2f} ha in {c.gained_parts} part(s), lost "
                f"{c.lost_m2 / 1e4:,.2f} ha in {c.lost_parts} part(s) (geometric differences "
                "of the two dates' regions; slivers under a pixel wide and specks ignored)."
            )
            if a0 is not None and a1 is not None:
                lines += _net_gap(a1 - a0, c.gained_m2 - c.lost_m2)
        return lines


def _net_gap(net_m2: float, parts_m2: float) -> list[str]:
    """Why the net change and gained − lost differ, when they do by at least 0.01 ha."""
    gap = net_m2 - parts_m2
    if abs(gap) < 100.0:
        return []
    return [
        f"The net change ({net_m2 / 1e4:+,.2f} ha) is the difference of the two dates' totals; "
        f"gained − lost is {parts_m2 / 1e4:+,.2f} ha: the other {gap / 1e4:+,.2f} ha are in "
        "the slivers and specks left out of the gained and lost parts."
    ]
