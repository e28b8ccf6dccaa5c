"""Export a history selection to GeoJSON, GeoPackage or CSV, readable by QGIS and geopandas.

Every result is drawable, and no geometry claims a CRS it does not have:

* results placed on the ground (and text answers, which have no shape) are in the main file or
  layer, in WGS84 (EPSG:4326); CSV holds the geometry as WKT in a ``WKT`` column (QGIS:
  "Delimited text", geometry definition WKT, EPSG:4326; geopandas: ``read_file`` finds it);
* results of scenes without a CRS have a shape only in the scene's pixel frame, placed the way
  QGIS places a raster without a CRS (x = column, y = −row, one unit a pixel). They are never in
  the WGS84 file: a CSV export gets them in a second CSV beside it, ``<name>.pixels.csv``, a
  GeoJSON export in a GeoPackage beside it, ``<name>.pixels.gpkg`` (every GeoJSON reader takes
  coordinates as lon/lat); a GeoPackage has every shaped result in its ``results_pixels``
  layer, which has no CRS;
* a GeoPackage also has each georeferenced result in its scene's own CRS, one layer per CRS
  (``results_epsg_32631``…), for measuring in the scene's projection.

Every row says the analyst's latest ``verdict`` (blank: not judged) and its ``origin``
(``model``, or ``analyst`` for an object the analyst added); a corrected outline is exported in
place of the model's. Rejected results are in an export only when the selection included them
(``geomag history --include-rejected``). ``area_m2`` and ``length_m`` of a result of a scene
without a CRS are its pixel area and length at ``scale_m_per_px``, which ``scale_source`` says
where it came from (given, a world file, or assumed). ``pixel_wkt`` is every shape in the pixel
frame, in every file.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from db.base import WGS84_SRID
from db.history import ResultRecord
from geomag_core.errors import DatabaseError, ExportError

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "COLUMNS",
    "PIXEL_LAYER",
    "ExportFormat",
    "Exported",
    "export_results",
    "in_pixel_frame",
    "pixels_path",
    "to_geodataframe",
]

#: Attribute columns of every export, in order (the geometry comes last).
COLUMNS = (
    "result_id",
    "kind",
    "label",
    "confidence",
    "verdict",
    "origin",
    "area_m2",
    "length_m",
    "scale_m_per_px",
    "scale_source",
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
        "length_m": pd.array([r.length_m for r in records], dtype="Float64"),
        "scale_m_per_px": pd.array([r.scale_m for r in records], dtype="Float64"),
        "scale_source": pd.array([r.scale_source for r in records], dtype="str"),
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


@dataclass(frozen=True)
class Exported:
    """What :func:`export_results` wrote."""

    path: Path
    """The WGS84 file (a GeoPackage: every layer)."""
    pixels_path: Path | None
    """GeoJSON/CSV: the file of the results of scenes without a CRS (``None``: there were none)."""
    mapped: int
    """Records in the WGS84 file or layer (shapes on the ground and text answers)."""
    pixel_frame: int
    """Records of scenes without a CRS: shapes in their pixel frame only."""

    @property
    def summary(self) -> str:
        """What went where, in one sentence."""
        said = f"wrote {self.mapped} result(s) to {self.path}"
        if self.pixels_path is not None:
            said += (
                f" and {self.pixel_frame} of scenes without a CRS, in their pixel frame, "
                f"to {self.pixels_path}"
            )
        elif self.pixel_frame:
            said += f" ({self.pixel_frame} of scenes without a CRS only in its pixel layer)"
        return said

    @property
    def files(self) -> list[Path]:
        """Every file written."""
        return [self.path, *([self.pixels_path] if self.pixels_path else [])]


def in_pixel_frame(record: ResultRecord) -> bool:
    """A shape with no place on the ground: a result of a scene without a CRS."""
    return record.geometry is None and record.outline_px is not None


def pixels_path(path: Path) -> Path:
    """Where a GeoJSON or CSV export puts the results of scenes without a CRS.

    A CSV beside a CSV (neither has a CRS); a GeoPackage beside a GeoJSON, since every GeoJSON
    reader takes coordinates as WGS84 lon/lat (RFC 7946), and a GeoPackage layer can say it
    has no CRS.
    """
    suffix = ".gpkg" if path.suffix.lower() in (".geojson", ".json") else path.suffix
    return path.with_name(f"{path.stem}.pixels{suffix}")


def _pixel_layer(records: Sequence[ResultRecord]) -> gpd.GeoDataFrame:
    """The records with their pixel outlines as geometry, in no CRS."""
    import geopandas as gpd

    frame = to_geodataframe(records).drop(columns=["geometry"])
    outlines = gpd.GeoSeries([r.outline_px for r in records])
    return gpd.GeoDataFrame(frame, geometry=outlines, crs=None)


def _scene_crs_layers(records: Sequence[ResultRecord]) -> dict[str, gpd.GeoDataFrame]:
    """Georeferenced results in their scene's CRS, one layer per CRS (named after it)."""
    import geopandas as gpd

    by_crs: dict[str, list[ResultRecord]] = {}
    for r in records:
        if r.geometry_scene is not None and r.scene_crs:
            by_crs.setdefault(r.scene_crs, []).append(r)
    layers = {}
    for i, (crs, mine) in enumerate(sorted(by_crs.items())):
        tag = re.sub(r"[^a-z0-9]+", "_", crs.lower()) if len(crs) < 30 else f"scene_crs_{i + 1}"
        frame = to_geodataframe(mine).drop(columns=["geometry"])
        shapes = gpd.GeoSeries([r.geometry_scene for r in mine], crs=crs)
        layers[f"results_{tag}"] = gpd.GeoDataFrame(frame, geometry=shapes, crs=crs)
    return layers


def export_results(
    records: Sequence[ResultRecord],
    path: str | Path,
    fmt: ExportFormat | None = None,
    *,
    overwrite: bool = False,
) -> Exported:
    """Write ``records`` to ``path`` (format from ``fmt``, else from the file suffix).

    Results of scenes without a CRS go to :func:`pixels_path` beside a GeoJSON or CSV file,
    and to the ``results_pixels`` layer of a GeoPackage (see the module docstring).

    Each file is written beside its target under a temporary name and renamed onto it, so a
    reader never sees half a file and a failure leaves what was there. Whatever is at a target
    is never opened or deleted: one that exists and is not a regular file (a folder, a FIFO, a
    device, a symbolic link) is refused, and an existing file is replaced only with
    ``overwrite``.

    Raises:
        ExportError: a target is refused, or its folder cannot be made or written.

    """
    path = Path(path)
    fmt = fmt or _format_from_suffix(path)
    mapped = [r for r in records if not in_pixel_frame(r)]
    unmapped = [r for r in records if in_pixel_frame(r)]
    side = pixels_path(path) if unmapped and fmt != ExportFormat.GPKG else None
    for target in (path, side):
        if target is not None:
            _check_target(target, overwrite)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    except OSError as exc:
        raise ExportError(f"cannot write {str(path)!r}: {_reason(exc)}") from exc
    try:
        partial = staging / path.name
        if fmt == ExportFormat.GPKG:
            layers = {
                "results": to_geodataframe(mapped),
                **_scene_crs_layers(mapped),
                PIXEL_LAYER: _pixel_layer([r for r in records if r.outline_px is not None]),
            }
            for name, frame in layers.items():
                if name == "results" or len(frame):
                    _write(frame, partial, "GPKG", layer=name)
        else:
            _write_table(to_geodataframe(mapped), partial, fmt)
            if side is not None and fmt == ExportFormat.CSV:
                _write_table(_pixel_layer(unmapped), staging / side.name, fmt)
            elif side is not None:
                _write(_pixel_layer(unmapped), staging / side.name, "GPKG", layer=PIXEL_LAYER)
        for target in (path, side):
            if target is not None:
                _check_target(target, overwrite)  # something may have appeared there meanwhile
                os.replace(staging / target.name, target)
    except OSError as exc:
        raise ExportError(f"cannot write {str(path)!r}: {_reason(exc)}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Exported(path, side, mapped=len(mapped), pixel_frame=len(unmapped))


def _write_table(frame: gpd.GeoDataFrame, path: Path, fmt: ExportFormat) -> None:
    options = {"GEOMETRY": "AS_WKT"} if fmt == ExportFormat.CSV else {}
    _write(frame, path, "GeoJSON" if fmt == ExportFormat.GEOJSON else "CSV", **options)


def _write(frame: gpd.GeoDataFrame, path: Path, driver: str, **options: str) -> None:
    """Write one layer; a layer in the pixel frame has no CRS on purpose (no warning)."""
    layer = {"layer": options.pop("layer")} if "layer" in options else {}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "'crs' was not provided", UserWarning)
        frame.to_file(path, driver=driver, engine="pyogrio", layer_options=options or None, **layer)


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
