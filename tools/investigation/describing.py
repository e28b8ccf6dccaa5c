"""Describe a scene with what the product can measure, never an invented caption.

Size, bands, CRS, ground resolution and footprint, acquisition date; water and vegetation
shares where the scene has a near-infrared band (measured now, not stored); and what is stored
about it: which classes were looked for and how many distinct objects were found, and which
classes the active capabilities could look for but were never asked.
"""

from __future__ import annotations

import math
from collections import Counter

from db.enums import ResultKind
from db.evidence import scene_queries
from db.history import HistoryFilter, distinct_objects, find_all_results
from geomag_core.errors import MissingBandError
from geomag_core.labels import SubjectKind, labels_in, subject
from geomag_core.spectral import INDICES, index_share
from tools.capabilities import active_capabilities
from tools.investigation.executing import Worked
from tools.investigation.plan import Plan
from tools.workbench import Workbench

__all__ = ["describe_scene"]


def _ground(wb: Workbench, scene: str) -> list[str]:
    s = wb.scene(scene)
    when = (
        s.acquired.isoformat()
        if s.acquired
        else "on an unknown date (no date tag, no YYYYMMDD in the name)"
    )
    facts = [
        f"{s.path.name}: {s.width:,} × {s.height:,} px, {s.count} band(s) of {s.dtype}, "
        f"acquired {when}."
    ]
    if not s.is_georeferenced:
        facts.append(
            "No CRS: it has no place on the ground and sizes are in pixels unless a metres per "
            "pixel is set (--gsd / GEOMAG_GSD)."
        )
        return facts
    from pyproj import CRS

    from geomag_core.polygons.grounded import equal_area_m2

    area = equal_area_m2(s.footprint_wgs84, CRS.from_epsg(4326))
    centre = s.footprint_wgs84.centroid
    gsd = math.sqrt(area / (s.width * s.height))
    epsg = s.crs.to_epsg() if s.crs else None
    crs = f"EPSG:{epsg}" if epsg else (s.crs.name if s.crs else "?")
    facts.append(
        f"CRS {crs}, about {gsd:.2g} m per "
        f"pixel, a footprint of {area / 1e6:,.3g} km² centred on {centre.y:.5f}, {centre.x:.5f}."
    )
    return facts


def _cover(wb: Workbench, scene: str) -> list[str]:
    """Water and vegetation shares of the scene, or why they cannot be measured."""
    shares = []
    for cover in ("water", "vegetation"):
        index = INDICES[cover]
        try:
            share = index_share(wb.scene(scene), index, nir_band=wb.settings.nir_band)
        except MissingBandError:
            return ["No near-infrared band: water and vegetation shares cannot be measured."]
        shares.append(f"{cover} {share:.1%} ({index.name.upper()} above {index.threshold:g})")
    return ["Measured now (not stored): " + ", ".join(shares) + " of the scene's valid pixels."]


def describe_scene(wb: Workbench, plan: Plan, scene: str) -> Worked:
    """Run a ``describe`` plan: the scene's measurable facts and what is stored about it."""
    s = wb.scene(scene)
    cover = _cover(wb, scene)
    measured = {"water", "vegetation"} if cover[0].startswith("Measured") else set()
    lines = [*_ground(wb, scene), *cover]
    queries = scene_queries(wb.engine, s.content_hash)
    records = [
        r
        for r in find_all_results(wb.engine, HistoryFilter(scene=s.content_hash))
        if r.kind != ResultKind.ANSWER
    ]
    objects = distinct_objects(records)
    found = Counter(o.best.label or "?" for o in objects)
    asked = Counter(label for q in queries for label in labels_in(q.question))
    if queries:
        lines.append(
            f"Asked about {len(queries)} time(s) before. Looked for: "
            + ", ".join(
                f"{label} ({found.get(label, 0)} distinct found)" for label in sorted(asked)
            )
            + "."
            if asked
            else f"Asked about {len(queries)} time(s) before, for no class the product knows."
        )
    else:
        lines.append("Never asked about before (in this database): nothing was looked for yet.")
    offered = sorted(
        {subject for c in active_capabilities(wb) for subject in (c.subjects or ())}
        - set(asked)
        - measured
    )
    if offered:
        countable = [lb for lb in offered if subject(lb).kind == SubjectKind.OBJECT]
        example = (
            f" (e.g. “how many {subject(countable[0]).plural} are there?”)" if countable else ""
        )
        lines.append(
            "Not looked for yet: "
            + ", ".join(offered)
            + " — nothing is known about them here until asked"
            + example
            + "."
        )
    lines.append(
        "This is what was measured and stored, not a caption: the product does not describe "
        "what it has not looked for."
    )
    read = tuple(r.result_id for r in records)
    return Worked(
        Plan("describe", source="scene", read_ids=read), (), tuple(lines), float(len(objects))
    )
