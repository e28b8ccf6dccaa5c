"""Export a history selection to GeoJSON, GeoPackage or CSV, readable by QGIS and geopandas.

GeoJSON and GeoPackage carry the CRS (WGS84); CSV holds the geometry as WKT in a ``WKT`` column
(QGIS: "Delimited text", geometry definition WKT, EPSG:4326; geopandas: ``read_file`` finds it).
Results without a geometry (answers, and every result of a scene without a CRS) are exported
with an empty geometry.

Every row says the analyst's latest ``verdict`` (blank: not judged) and its ``origin``
(``model``, or ``analyst`` for an object the analyst added); a corrected outline is exported in
place of the model's. Rejected results are in an export only when the selection included them
(``geomag history --include-rejected``).

Every row also carries ``pixel_wkt``: the shape in the scene's pixel frame, the way QGIS places
a raster without a CRS (x = column, y = −row, one unit a pixel), so the outlines of a scene
without a CRS overlay its image in QGIS or geopandas. A GeoPackage has them as a second layer,
``results_pixels`` (no CRS), beside ``results``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from db.base import WGS84_SRID
from db.history import ResultRecord
from geomag_core.errors import DatabaseError, ExportError

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["COLUMNS", "PIXEL_LAYER", "ExportFormat", "export_results", "to_geodataframe"]

#: Attribute columns of every export, in order (the geometry comes last).
COLUMNS = (
    "result_id",
    "kind",
    "label",
    "confidence",
    "verdict",
    "origin",
    "area_m2",
    "created_at",
    "query_id",
    "query",
    "granularity",
    "scene_id",
    "scene",
    "scene_sha256",
    "investigation",
    "text",
    "px_x0",
    "px_y0",
    "px_x1",
    "px_y1",
    "pixel_wkt",
)
#: The GeoPackage layer of the pixel outlines (no CRS; see the module docstring).
PIXEL_LAYER = "results_pixels"


class ExportFormat(StrEnum):
    """File formats of :func:`export_results`."""

    GEOJSON = "geojson"
    GPKG = "gpkg"
    CSV = "csv"


def to_geodataframe(records: Sequence[ResultRecord]) -> gpd.GeoDataFrame:
    """The records as a GeoDataFrame in EPSG:4326, one row each, columns :data:`COLUMNS`."""
    import geopandas as gpd
    import pandas as pd

    def box(r: ResultRecord, i: int) -> int | None:
        return r.pixel_box.as_tuple()[i] if r.pixel_box is not None else None

    data = {
        "result_id": pd.array([r.result_id for r in records], dtype="Int64"),
        "kind": pd.array([str(r.kind) for r in records], dtype="str"),
        "label": pd.array([r.label for r in records], dtype="str"),
        "confidence": pd.array([r.confidence for r in records], dtype="Float64"),
        "verdict": pd.array([r.verdict.value if r.verdict else None for r in records], dtype="str"),
        "origin": pd.array([r.origin for r in records], dtype="str"),
        "area_m2": pd.array([r.area_m2 for r in records], dtype="Float64"),
        "created_at": pd.to_datetime([r.created_at for r in records], utc=True),
        "query_id": pd.array([r.query_id for r in records], dtype="Int64"),
        "query": pd.array([r.query_text for r in records], dtype="str"),
        "granularity": pd.array([str(r.granularity) for r in records], dtype="str"),
        "scene_id": pd.array([r.scene_id for r in records], dtype="Int64"),
        "scene": pd.array([r.scene_uri for r in records], dtype="str"),
        "scene_sha256": pd.array([r.scene_hash for r in records], dtype="str"),
        "investigation": pd.array([r.investigation for r in records], dtype="str"),
        "text": pd.array([r.text for r in records], dtype="str"),
        **{
            name: pd.array([box(r, i) for r in records], dtype="Int64")
            for i, name in enumerate(("px_x0", "px_y0", "px_x1", "px_y1"))
        },
        "pixel_wkt": pd.array(
            [r.outline_px.wkt if r.outline_px is not None else None for r in records],
            dtype="str",
        ),
    }
    geometry = gpd.GeoSeries([r.geometry for r in records], crs=f"EPSG:{WGS84_SRID}")
    return gpd.GeoDataFrame(data, geometry=geometry, crs=f"EPSG:{WGS84_SRID}")


def _pixel_layer(records: Sequence[ResultRecord]) -> gpd.GeoDataFrame:
    """The records with their pixel outlines as geometry, in no CRS (``results_pixels``)."""
    import geopandas as gpd

    frame = to_geodataframe(records).drop(columns=["geometry", "pixel_wkt"])
    outlines = gpd.GeoSeries([r.outline_px for r in records])
    return gpd.GeoDataFrame(frame, geometry=outlines, crs=None)


def export_results(
    records: Sequence[ResultRecord],
    path: str | Path,
    fmt: ExportFormat | None = None,
    *,
    overwrite: bool = False,
) -> Path:
    """Write ``records`` to ``path`` (format from ``fmt``, else from the file suffix).

    The file is written beside the target under a temporary name and renamed onto it, so a
    reader never sees half a file and a failure leaves what was there. Whatever is at ``path``
    is never opened or deleted: a target that exists and is not a regular file (a folder, a
    FIFO, a device, a symbolic link) is refused, and an existing file is replaced only with
    ``overwrite``.

    Raises:
        ExportError: the target is refused, or its folder cannot be made or written.

    """
    path = Path(path)
    fmt = fmt or _format_from_suffix(path)
    _check_target(path, overwrite)
    frame = to_geodataframe(records)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    except OSError as exc:
        raise ExportError(f"cannot write {str(path)!r}: {_reason(exc)}") from exc
    try:
        partial = staging / path.name
        if fmt == ExportFormat.GEOJSON:
            frame.to_file(partial, driver="GeoJSON", engine="pyogrio")
        elif fmt == ExportFormat.GPKG:
            frame.to_file(partial, driver="GPKG", layer="results", engine="pyogrio")
            _pixel_layer(records).to_file(
                partial, driver="GPKG", layer=PIXEL_LAYER, engine="pyogrio"
            )
        else:
            options = {"GEOMETRY": "AS_WKT"}
            frame.to_file(partial, driver="CSV", engine="pyogrio", layer_options=options)
        _check_target(path, overwrite)  # something may have appeared there meanwhile
        os.replace(partial, path)
    except OSError as exc:
        raise ExportError(f"cannot write {str(path)!r}: {_reason(exc)}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return path


def _check_target(path: Path, overwrite: bool) -> None:
    if path.is_symlink():
        raise ExportError(
            f"{str(path)!r} is a symbolic link: give the path of a new file (it is not followed)"
        )
    if not path.exists():
        return
    if path.is_dir():
        raise ExportError(f"{str(path)!r} is a folder: give a file name, e.g. {path}/results.gpkg")
    if not path.is_file():
        raise ExportError(
            f"{str(path)!r} exists and is not a regular file (a FIFO, socket or device): "
            "it is left alone; give another path"
        )
    if not overwrite:
        raise ExportError(f"{str(path)!r} exists: pass --overwrite to replace it")


def _reason(exc: OSError) -> str:
    if isinstance(exc, NotADirectoryError | FileExistsError):
        return "a part of the folder path is a file, not a folder"
    return exc.strerror or str(exc)


def _format_from_suffix(path: Path) -> ExportFormat:
    suffix = path.suffix.lower().lstrip(".")
    aliases = {"json": "geojson", "geojson": "geojson", "gpkg": "gpkg", "csv": "csv"}
    if suffix not in aliases:
        raise DatabaseError(
            f"cannot tell the export format of {str(path)!r}: name it .geojson, .gpkg or .csv, "
            "or give the format"
        )
    return ExportFormat(aliases[suffix])
