"""The history page's work: typed filters to a query, a table, exports and feedback."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from shapely import affinity
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine

from db.enums import Verdict
from db.export import ExportFormat, export_results, to_geodataframe
from db.feedback import add_object, parse_box, parse_polygon, save_feedback
from db.history import (
    DistinctObject,
    HistoryFilter,
    ResultRecord,
    count_results,
    find_distinct_objects,
    find_results,
)
from db.spatial import Bounds
from geomag_core.errors import DatabaseError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "EXPORT_MIME",
    "HistoryForm",
    "add_missed",
    "analyst_outlines",
    "correct",
    "correction_text",
    "counts",
    "distinct_table",
    "export_bytes",
    "judge",
    "parse_bbox",
    "search",
    "search_distinct",
    "table",
]

#: MIME type of each export format, for the download buttons.
EXPORT_MIME = {
    ExportFormat.GEOJSON: "application/geo+json",
    ExportFormat.GPKG: "application/geopackage+sqlite3",
    ExportFormat.CSV: "text/csv",
}


def parse_bbox(text: str) -> Bounds | None:
    """``west,south,east,north`` in WGS84 degrees (blank: no box)."""
    if not text.strip():
        return None
    try:
        values = [float(v) for v in text.replace(" ", "").split(",")]
    except ValueError:
        values = []
    if len(values) != 4:
        raise DatabaseError(
            f"bounding box {text!r}: give west,south,east,north in degrees, "
            "e.g. -99.3,46.9,-99.1,47.1"
        )
    return (values[0], values[1], values[2], values[3])


@dataclass(frozen=True)
class HistoryForm:
    """The filters as the analyst typed them (blank fields match everything)."""

    label: str = ""
    scene: str = ""
    since: dt.date | None = None
    until: dt.date | None = None
    """Inclusive."""
    min_confidence: float = 0.0
    bbox: str = ""
    distinct: bool = False
    """Show distinct objects (overlapping results of one scene and label merged)."""
    include_rejected: bool = False
    """Also the results the analyst rejected (left out by default)."""

    def to_filter(self) -> HistoryFilter:
        """The :class:`HistoryFilter` these fields mean (dates are UTC days)."""

        def day(d: dt.date) -> dt.datetime:
            return dt.datetime.combine(d, dt.time(), tzinfo=dt.UTC)

        return HistoryFilter(
            labels=[v for v in (s.strip() for s in self.label.split(",")) if v],
            scene=self.scene.strip() or None,
            since=day(self.since) if self.since else None,
            until=day(self.until + dt.timedelta(days=1)) if self.until else None,
            min_confidence=self.min_confidence or None,
            bbox=parse_bbox(self.bbox),
            include_rejected=self.include_rejected,
        )


def search(engine: Engine, form: HistoryForm, limit: int = 500) -> list[ResultRecord]:
    """The newest ``limit`` results matching ``form``."""
    return find_results(engine, form.to_filter(), limit=limit).items


def counts(engine: Engine, form: HistoryForm) -> tuple[int, int]:
    """``(matching, rejected and left out)`` for ``form``: what the page says it does not show."""
    where = form.to_filter()
    rejected = 0
    if not where.include_rejected:
        rejected = count_results(engine, replace(where, verdicts=[Verdict.REJECT]))
    return count_results(engine, where), rejected


def analyst_outlines(engine: Engine, scene_hash: str) -> list[tuple[BaseGeometry, str]]:
    """The analyst's own outlines on a scene: ``(pixel outline, "added" | "corrected")``."""
    where = HistoryFilter(scene=scene_hash, verdicts=[Verdict.ACCEPT, Verdict.CORRECT])
    return [
        (r.outline_px, "added" if r.added else "corrected")
        for r in find_results(engine, where, limit=2000).items
        if r.outline_px is not None and (r.added or r.verdict == Verdict.CORRECT)
    ]


def search_distinct(engine: Engine, form: HistoryForm, limit: int = 500) -> list[DistinctObject]:
    """The newest ``limit`` distinct objects among every result matching ``form``."""
    return find_distinct_objects(engine, form.to_filter())[:limit]


def distinct_table(objects: Sequence[DistinctObject]) -> pd.DataFrame:
    """One row per object: its best result's columns, how many queries found it, its results."""
    frame = table([o.best for o in objects])
    frame.insert(3, "found by queries", [o.queries for o in objects])
    return frame.assign(results=[", ".join(f"#{i}" for i in o.result_ids) for o in objects])


def table(records: Sequence[ResultRecord]) -> pd.DataFrame:
    """The records as a table (the export's columns, geometry as its type)."""
    import pandas as pd

    frame = to_geodataframe(records)
    shapes = [
        r.geometry.geom_type
        if r.geometry is not None
        else (f"{r.outline_px.geom_type} (pixels)" if r.outline_px is not None else "")
        for r in records
    ]
    plain = pd.DataFrame(frame.drop(columns=["geometry", "scene_sha256", "text"]))
    return plain.assign(shape=shapes)


def export_bytes(
    records: Sequence[ResultRecord], fmt: ExportFormat, *, pixel_frame: bool = False
) -> bytes:
    """The records exported as ``fmt``, as file contents for a download.

    GeoJSON and CSV: the WGS84 file, or with ``pixel_frame`` the file of the results of scenes
    without a CRS (their pixel frame, no CRS: a GeoPackage beside a GeoJSON); a GeoPackage
    holds both as layers.
    """
    with tempfile.TemporaryDirectory() as tmp:
        written = export_results(records, Path(tmp) / f"results.{fmt.value}", fmt)
        path = written.pixels_path if pixel_frame else written.path
        return path.read_bytes() if path is not None else b""


def judge(engine: Engine, result_id: int, verdict: Verdict, note: str | None = None) -> int:
    """Store the analyst's accept/reject of a result; returns the feedback id."""
    return save_feedback(engine, result_id, verdict, note=note or None, analyst="app")


def correct(engine: Engine, record: ResultRecord, outline_wkt: str, note: str | None = None) -> int:
    """Store the analyst's corrected outline of ``record``; returns the feedback id.

    The WKT is in WGS84 lon/lat on a scene with a CRS, else in the scene's pixels (x = column,
    y = row), as :func:`correction_text` prefills it.

    Raises:
        DatabaseError: the text is not a polygon, or it does not lie on the scene.

    """
    shape = parse_polygon(outline_wkt, "corrected outline")
    in_pixels = record.geometry is None
    return save_feedback(
        engine,
        record.result_id,
        Verdict.CORRECT,
        geometry=None if in_pixels else shape,
        pixels=shape if in_pixels else None,
        note=note or None,
        analyst="app",
    )


def correction_text(record: ResultRecord) -> tuple[str, str]:
    """``(label, WKT)`` the correction field starts from: lon/lat, or pixels (y = row)."""
    if record.geometry is not None:
        return "Corrected outline (WKT, WGS84 lon lat)", record.geometry.wkt
    outline = record.outline_px
    shown = affinity.scale(outline, 1.0, -1.0, origin=(0, 0)).wkt if outline is not None else ""
    return "Corrected outline (WKT in scene pixels: x = column, y = row)", shown


def add_missed(
    engine: Engine, scene_hash: str, label: str, box_text: str, note: str | None = None
) -> int:
    """Store an object the tool missed: a pixel box ``x0,y0,x1,y1`` on the scene; its result id.

    Raises:
        DatabaseError: the box is not four numbers top-left to bottom-right, or off the scene.

    """
    return add_object(
        engine, scene_hash, label, pixels=parse_box(box_text), note=note or None, analyst="app"
    )
