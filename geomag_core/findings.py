"""A finding: one thing a question found (a mask, a box or the model's text), as a typed value.

Every capability returns its results as findings, the graph carries them, the store
step writes them and the answer reads them; ``as_dict`` is only for the outside world (the
CLI's JSON, exports). Shapes travel as WKT so a finding is plain data (checkpointable and
comparable); :attr:`Finding.geometry` and :attr:`Finding.scene_geometry` parse them.

Frames: ``wkt`` is WGS84 (x = lon, y = lat); ``wkt_scene`` is the scene CRS, or the scene's
pixel frame for a scene without one; ``pixel_box`` is XYXY in scene pixels.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from shapely import wkt as shapely_wkt
from shapely.geometry.base import BaseGeometry

from geomag_core.boxes import PixelBox
from geomag_core.polygons.grounded import GroundedPolygon

__all__ = ["Finding", "FindingKind"]

FindingKind = Literal["mask", "box", "answer"]


@dataclass(frozen=True)
class Finding:
    """One result of a question.

    Attributes:
        kind: ``mask`` (a polygon), ``box`` (a located object) or ``answer`` (the VLM's text).
        label: what it is, as the label registry spells it (:mod:`geomag_core.labels`).
        confidence: in ``[0, 1]``; ``None`` for a derived shape (a change across dates).
        text: the model's words (``answer`` findings).
        wkt: WGS84 shape (``None`` without a CRS).
        wkt_scene: shape in the scene CRS, or in scene pixels without a CRS.
        pixel_box: XYXY scene pixels (exclusive upper bounds).
        area_m2: metric area (equal-area projection); ``None`` without a CRS.
        area_px: scene pixels of the mask.
        length_m: longest side of its minimum rotated rectangle in metres (``None`` without a
            CRS).
        length_px: the same in scene pixels.
        scale: how metres were known (``scene CRS``), ``None`` when they were not.
        resolution: ``native`` (read at native resolution) or ``coarse`` (an overview only).
        method: how it was measured when that is not a model (a spectral index and threshold).

    """

    kind: FindingKind
    label: str | None = None
    confidence: float | None = None
    text: str | None = None
    wkt: str | None = None
    wkt_scene: str | None = None
    pixel_box: tuple[int, int, int, int] | None = None
    area_m2: float | None = None
    area_px: int | None = None
    length_m: float | None = None
    length_px: float | None = None
    scale: str | None = None
    resolution: str = "native"
    method: str | None = None

    def __post_init__(self) -> None:
        # A checkpoint gives sequences back as lists: keep the box a tuple (hashable, comparable).
        if self.pixel_box is not None and not isinstance(self.pixel_box, tuple):
            object.__setattr__(self, "pixel_box", tuple(int(v) for v in self.pixel_box))

    @classmethod
    def of_polygon(
        cls,
        polygon: GroundedPolygon,
        confidence: float | None,
        *,
        label: str | None = None,
        resolution: str = "native",
        method: str | None = None,
    ) -> Finding:
        """A grounded polygon as a mask finding (geometries as WKT)."""
        scene_shape = polygon.crs_geometry or polygon.pixel_geometry
        return cls(
            kind="mask",
            label=label or polygon.label,
            confidence=None if confidence is None else round(float(confidence), 4),
            wkt=polygon.wgs84_geometry.wkt if polygon.wgs84_geometry is not None else None,
            wkt_scene=scene_shape.wkt,
            pixel_box=polygon.pixel_box.as_tuple(),
            area_m2=polygon.area_m2,
            area_px=polygon.pixel_count,
            length_m=None if polygon.length_m is None else round(polygon.length_m, 2),
            length_px=round(polygon.length_px, 2),
            scale="scene CRS" if polygon.crs is not None else None,
            resolution=resolution,
            method=method,
        )

    @classmethod
    def answer(cls, text: str) -> Finding:
        """The model's text answer."""
        return cls(kind="answer", text=text)

    @property
    def is_mask(self) -> bool:
        """Whether it is a polygon."""
        return self.kind == "mask"

    @property
    def box(self) -> PixelBox | None:
        """``pixel_box`` as a :class:`PixelBox`."""
        return PixelBox(*self.pixel_box) if self.pixel_box else None

    @property
    def geometry(self) -> BaseGeometry | None:
        """The WGS84 shape (``None`` without a CRS)."""
        return shapely_wkt.loads(self.wkt) if self.wkt else None

    @property
    def scene_geometry(self) -> BaseGeometry | None:
        """The shape in the scene CRS (pixels without a CRS)."""
        return shapely_wkt.loads(self.wkt_scene) if self.wkt_scene else None

    @property
    def centroid(self) -> tuple[float, float] | None:
        """``(lon, lat)`` of a point inside the WGS84 shape; ``None`` without a CRS."""
        shape = self.geometry
        if shape is None:
            return None
        point = shape.representative_point()
        return (float(point.x), float(point.y))

    @property
    def size(self) -> float:
        """Metric area when known, else the pixel area (for ranking)."""
        return float(self.area_m2 if self.area_m2 is not None else (self.area_px or 0))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (``pixel_box`` as a list; ``lat``/``lon`` of the centroid when known)."""
        out = asdict(self)
        out["pixel_box"] = list(self.pixel_box) if self.pixel_box else None
        centre = self.centroid
        if centre is not None:
            out["lon"], out["lat"] = round(centre[0], 7), round(centre[1], 7)
        return out

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> Finding:
        """Back from :meth:`as_dict` or a stored row's fields (unknown keys ignored)."""
        fields = {k: record[k] for k in cls.__dataclass_fields__ if k in record}
        if fields.get("pixel_box") is not None:
            fields["pixel_box"] = tuple(int(v) for v in fields["pixel_box"])
        return cls(**fields)
