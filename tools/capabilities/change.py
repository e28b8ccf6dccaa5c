"""Questions across dates: measure each date of the same place, then what was gained and lost.

The scenes of the same place come from the catalogue (:mod:`geomag_core.catalogue`: footprint
overlap ≥ 50 %, an acquisition date). Each date is measured by the routed capability and stored
as its own query, keyed by capability, subject, method version and the scene's content hash, so
asking again (in any words) reuses those stored rows instead of storing them twice. The change
between the first and the last date is the geometric difference of the two dates' regions, in
the asked scene's CRS: slivers narrower than one pixel (co-registration) and parts under the
subject's minimum area are ignored.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely import wkt
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from geomag_core.catalogue import dated_scenes, same_place, scene_folders
from geomag_core.polygons.grounded import equal_area_m2
from geomag_core.scene import Scene
from geomag_core.spectral import INDICES
from geomag_core.temporal import DateQuestion, pick_dates
from tools.capabilities.base import Capability, Emit, Looked, Reading, budget_record
from tools.storing import store_question

__all__ = ["change_lines", "compare_dates"]

#: Parts of a gain or loss smaller than this are ignored when the subject states no minimum.
DEFAULT_MIN_AREA_M2 = 100.0


@dataclass
class _Measured:
    """One date's measurement, in the shape :func:`store_question` stores."""

    scene: str
    question: str
    request_id: str
    granularity: str = "pixel"  # a measurement is a set of polygons
    probabilities: dict[str, float] = field(
        default_factory=lambda: {"image": 0.0, "region": 0.0, "pixel": 1.0}
    )
    zoom_steps: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    budget: dict[str, Any] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)


def _quiet(event: str, **fields: Any) -> None:
    """Per-date step events are summarised by one ``date`` event each."""


def _union(results: list[dict[str, Any]], subject: str) -> BaseGeometry:
    shapes = [wkt.loads(r["wkt"]) for r in results if r.get("label") == subject and r.get("wkt")]
    return shapely.union_all(shapes) if shapes else Polygon()


def _parts(geometry: BaseGeometry) -> list[Polygon]:
    if isinstance(geometry, Polygon):
        return [] if geometry.is_empty else [geometry]
    if isinstance(geometry, MultiPolygon):
        return list(geometry.geoms)
    return [g for part in getattr(geometry, "geoms", []) for g in _parts(part)]


def _difference_results(
    scene: Scene, gained: BaseGeometry, label: str, min_area_m2: float
) -> list[dict[str, Any]]:
    """Parts of a WGS84 difference as results in ``scene``'s CRS and pixels, largest first."""
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
        px = [
            int(corners[0][0]),
            int(corners[0][1]),
            int(corners[1][0]) + 1,
            int(corners[1][1]) + 1,
        ]
        box = [max(0, px[0]), max(0, px[1]), min(scene.width, px[2]), min(scene.height, px[3])]
        out.append(
            {
                "kind": "mask",
                "label": label,
                "confidence": None,
                "wkt": shapely.transform(part, scene.crs_to_wgs84).wkt,
                "wkt_scene": part.wkt,
                "pixel_box": box,
                "area_m2": round(area, 1),
                "area_px": round(part.area / (pixel * pixel)),
            }
        )
    return sorted(out, key=lambda r: -float(r["area_m2"]))


def compare_dates(
    cap: Capability, scene: str, reading: Reading, subjects: list[str], emit: Emit
) -> Looked:
    """Measure ``subjects`` with ``cap`` on each asked date of the place; diff first and last."""
    wb = cap.wb
    here = wb.scene(scene)
    asked = DateQuestion(**(reading.dates.__dict__ if reading.dates else {}))
    findings: dict[str, Any] = {"asked": asked.describe(), "notes": [], "table": [], "change": []}
    looked = Looked(findings=findings)
    if not here.is_georeferenced:
        findings["notes"].append(
            f"{here.path.name} has no CRS, so other dates of the same place cannot be found by "
            "footprint: a question across dates needs a georeferenced scene"
        )
        return looked
    catalogue = dated_scenes(scene_folders(wb.settings), rgb_bands=wb.settings.rgb_bands)
    matches = same_place(here, catalogue)
    dates, notes = pick_dates(asked, [m.acquired for m in matches])
    findings["notes"] += notes
    chosen = [m for m in matches if m.acquired in dates]
    findings["catalogued"] = len(matches)
    emit("dates", dates=[m.acquired.isoformat() for m in chosen], catalogued=len(matches))
    if len(chosen) < 2:
        findings["notes"].append(
            f"only {len(chosen)} date(s) of this place match ({asked.describe()}); a change "
            f"needs two (the catalogue has {len(matches)} of this place: samples, "
            "GEOMAG_SCENES_DIR and uploads)"
        )
    per_date: dict[str, dict[str, list[dict[str, Any]]]] = {s: {} for s in subjects}
    pixels = 0
    for match in chosen:
        path = str(match.scene.path)
        for subject in subjects:
            started = time.perf_counter()
            one = cap.look(path, reading, [subject], _quiet)
            versions = wb.model_versions() | _methods(one)
            key = json.dumps(versions, sort_keys=True)
            request = (
                f"measure/{cap.name}/{subject}/{match.scene.content_hash[:32]}/"
                f"{hashlib.sha256(key.encode()).hexdigest()[:12]}"
            )
            measured = _Measured(
                scene=path,
                question=f"measure {subject} ({cap.title}) for a comparison across dates",
                request_id=request,
                results=one.results,
                budget=one.budget,
                zoom_steps=one.zoom_steps,
                timings_ms={"look": round((time.perf_counter() - started) * 1000, 1)},
            )
            saved = store_question(wb, measured, versions=_methods(one))
            masks = [r for r in one.results if r.get("kind") == "mask"]
            metric = all(r.get("area_m2") is not None for r in masks)
            row = {
                "date": match.acquired.isoformat(),
                "scene": match.scene.path.name,
                "subject": subject,
                "count": len(masks),
                "area_m2": round(sum(float(r["area_m2"]) for r in masks), 1) if metric else None,
                "query_id": saved.query_id,
                "reused": not saved.created,
                "method": _methods(one).get("method", cap.title),
            }
            findings["table"].append(row)
            emit("date", **row)
            per_date[subject][row["date"]] = masks
            pixels += int(one.budget.get("views", {}).get("pixels", 0))
    if len(chosen) >= 2:
        first, last = chosen[0].acquired.isoformat(), chosen[-1].acquired.isoformat()
        for subject in subjects:
            before = _union(per_date[subject][first], subject)
            after = _union(per_date[subject][last], subject)
            index = INDICES.get(subject)
            minimum = index.min_area_m2 if index else DEFAULT_MIN_AREA_M2
            gained = _difference_results(
                here, after.difference(before), f"{subject} gained", minimum
            )
            lost = _difference_results(here, before.difference(after), f"{subject} lost", minimum)
            looked.results += gained + lost
            findings["change"].append(
                {
                    "subject": subject,
                    "first": first,
                    "last": last,
                    "gained_m2": round(sum(float(r["area_m2"]) for r in gained), 1),
                    "gained_parts": len(gained),
                    "lost_m2": round(sum(float(r["area_m2"]) for r in lost), 1),
                    "lost_parts": len(lost),
                }
            )
    looked.budget = budget_record(here, pixels, 0, 1.0 if pixels else 0.0)
    return looked


def _methods(one: Looked) -> dict[str, Any]:
    """The method record of a measurement (spectral: index and threshold), for provenance."""
    measures = one.findings.get("measures") or []
    return {"method": measures[0]["method"]} if measures else {}


def change_lines(findings: dict[str, Any]) -> list[str]:
    """The per-date table and the change between the first and the last date, in words."""
    lines = [f"Across dates ({findings['asked']}):"]
    lines += [f"Note: {n}." for n in findings.get("notes", [])]
    table = findings.get("table", [])
    if table:
        lines.append("| date | scene | measure | regions | area (ha) | stored |")
        lines.append("|---|---|---|---:|---:|---|")
        for r in table:
            area = "–" if r["area_m2"] is None else f"{r['area_m2'] / 1e4:,.2f}"
            stored = f"#{r['query_id']}" + (" (reused)" if r["reused"] else "")
            lines.append(
                f"| {r['date']} | {r['scene']} | {r['subject']} ({r['method']}) | {r['count']} "
                f"| {area} | {stored} |"
            )
    for c in findings.get("change", []):
        rows = [r for r in table if r["subject"] == c["subject"]]
        a0, a1 = rows[0]["area_m2"], rows[-1]["area_m2"]
        net = "" if a0 is None or a1 is None else f"net {(a1 - a0) / 1e4:+,.2f} ha; "
        lines.append(
            f"{c['subject'].capitalize()} {c['first']} → {c['last']}: {net}gained "
            f"{c['gained_m2'] / 1e4:,.2f} ha in {c['gained_parts']} part(s), lost "
            f"{c['lost_m2'] / 1e4:,.2f} ha in {c['lost_parts']} part(s) (geometric differences "
            "of the two dates' regions; slivers under a pixel wide and specks ignored)."
        )
    return lines
