"""Spectral indices: water (NDWI) and vegetation (NDVI) on scenes with a near-infrared band.

The whole scene is measured at native resolution (decimated above
:data:`~geomag_core.spectral.indices.MAX_PIXELS`); every region past the stated threshold and
above the speck size is a result, with the index, threshold and bands in its provenance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from geomag_core.errors import MissingBandError
from geomag_core.findings import Finding
from geomag_core.scene import Scene
from geomag_core.spectral import INDICES, find_bands, index_regions
from tools.capabilities.base import Answered, Capability, Findings, Looked, Reading, look_budget
from tools.events import Emit, SpectralMeasured
from tools.workbench import Workbench

__all__ = ["SpectralFindings", "SpectralIndices", "SpectralMeasure", "measure_index"]


@dataclass(frozen=True)
class SpectralMeasure:
    """One index measured over a scene: how, and how much was past the threshold.

    Attributes:
        subject: ``water`` or ``vegetation``.
        index: ``ndwi`` or ``ndvi``; ``formula`` its definition.
        threshold: the threshold applied, and ``threshold_method`` how it was chosen.
        method: index, threshold and version in one string (stored as provenance).
        bands: red, green and NIR band numbers (1-based); ``nir_source`` how NIR was known.
        min_pixels: speck size dropped (pixels); ``min_area_m2`` the same in m² with a CRS.
        specks: regions dropped as specks; ``more``: regions beyond those listed.
        scale: decimation factor of the read (1: native resolution).
        count: regions reported; ``area_m2`` (``None`` without a CRS) and ``area_px`` theirs.
        share: share of the scene's valid pixels past the threshold.

    """

    subject: str
    index: str
    formula: str
    threshold: float
    threshold_method: str
    method: str
    bands: tuple[int, int, int]
    nir_source: str
    min_pixels: int
    min_area_m2: float | None
    specks: int
    more: int
    scale: float
    count: int
    area_m2: float | None
    area_px: int
    share: float


@dataclass(frozen=True)
class SpectralFindings(Findings):
    """The indices measured for one question."""

    measures: tuple[SpectralMeasure, ...] = ()


def measure_index(wb: Workbench, scene: str, subject: str) -> tuple[SpectralMeasure, list[Finding]]:
    """Regions of ``subject`` (``water`` | ``vegetation``) in ``scene``, and how they were found.

    Raises:
        MissingBandError: the scene has no near-infrared band.

    """
    s = wb.scene(scene)
    index = INDICES[subject]
    found = index_regions(s, index, nir_band=wb.settings.nir_band)
    results = [
        Finding.of_polygon(region, region.confidence, method=found.method)
        for region in found.regions
    ]
    metric = all(r.area_m2 is not None for r in results)
    measure = SpectralMeasure(
        subject=subject,
        index=index.name,
        formula=index.formula,
        threshold=round(found.threshold, 4),
        threshold_method=found.threshold_method,
        method=found.method,
        bands=(found.bands.red, found.bands.green, found.bands.nir),
        nir_source=found.bands.nir_source,
        min_pixels=found.min_pixels,
        min_area_m2=index.min_area_m2 if s.is_georeferenced else None,
        specks=found.specks,
        more=found.more,
        scale=round(found.scale, 4),
        count=len(results),
        area_m2=round(sum(r.area_m2 or 0.0 for r in results), 1) if metric else None,
        area_px=sum(r.area_px or 0 for r in results),
        share=found.above_pixels / max(found.valid_pixels, 1),
    )
    return measure, results


class SpectralIndices(Capability):
    """Water from NDWI and vegetation from NDVI (needs a near-infrared band)."""

    name: ClassVar[str] = "spectral"
    title: ClassVar[str] = "spectral indices"
    subjects: ClassVar[tuple[str, ...] | None] = tuple(INDICES)
    needs_bands: ClassVar[tuple[str, ...]] = ("nir",)
    measures: ClassVar[bool] = True

    def knows(self) -> str:
        """Its subjects and what they need."""
        return "water (NDWI) and vegetation (NDVI) on scenes with a near-infrared band"

    def unusable_on(self, scene: Scene) -> str | None:
        """Why the scene cannot be measured (no NIR band), or ``None``."""
        try:
            find_bands(scene, self.wb.settings.nir_band)
        except MissingBandError as exc:
            return str(exc)
        return None

    def method(self, findings: Findings) -> str | None:
        """The indices and thresholds measured with."""
        assert isinstance(findings, SpectralFindings)
        return "; ".join(m.method for m in findings.measures) or None

    def look(
        self, scene: str, reading: Reading, subjects: list[str], emit: Emit, *, max_depth: int = 3
    ) -> Looked:
        """Measure each asked subject over the whole scene."""
        s = self.wb.scene(scene)
        looked = Looked(findings=SpectralFindings())
        measures = []
        read = 0
        for subject in subjects:
            measure, results = measure_index(self.wb, scene, subject)
            emit(
                SpectralMeasured(
                    subject=subject,
                    index=measure.index,
                    threshold=measure.threshold,
                    threshold_method=measure.threshold_method,
                    count=measure.count,
                    area_m2=measure.area_m2,
                    area_px=measure.area_px,
                )
            )
            looked.results += results
            measures.append(measure)
            read += round(s.width * s.height / (measure.scale**2))
        looked.findings = SpectralFindings(tuple(measures))
        looked.budget = look_budget(s, read, 0, 1.0 if read else 0.0)
        return looked

    def answer_lines(self, answered: Answered, findings: Findings) -> list[str]:
        """Per subject: regions, area, share, method and threshold, what was dropped."""
        assert isinstance(findings, SpectralFindings)
        lines = []
        for measure in findings.measures:
            lines += measure_lines(measure, answered.results)
        return lines


def measure_lines(rec: SpectralMeasure, results: list[Finding]) -> list[str]:
    """One measurement said plainly."""
    subject = rec.subject
    mine = [r for r in results if r.is_mask and r.label == subject]
    area = (
        f"{rec.area_m2 / 1e4:,.2f} ha ({rec.area_m2:,.0f} m²)"
        if rec.area_m2 is not None
        else f"{rec.area_px:,} px (no CRS: no metric area)"
    )
    lines = []
    if mine:
        largest = mine[0]
        size = (
            f"{largest.area_m2:,.0f} m²"
            if largest.area_m2 is not None
            else f"{largest.area_px or 0:,} px"
        )
        lines.append(
            f"{subject.capitalize()}: {len(mine)} region(s), total {area}, "
            f"{rec.share:.1%} of the scene's valid pixels past the threshold; largest {size} "
            f"at [{', '.join(str(v) for v in largest.pixel_box or ())}] (XYXY scene pixels)."
        )
    else:
        lines.append(
            f"{subject.capitalize()}: no region of at least {rec.min_pixels} px past the "
            f"threshold in the whole scene (searched at "
            + ("native resolution" if rec.scale == 1 else f"1/{rec.scale:.3g} resolution")
            + ")."
        )
    red, green, nir = rec.bands
    how = (
        f"Method: {rec.index.upper()} = {rec.formula} > {rec.threshold:.2f} "
        f"({rec.threshold_method} threshold), bands R{red} G{green} NIR{nir} "
        f"({rec.nir_source}); {rec.specks} speck(s) under {rec.min_pixels} px dropped"
    )
    if rec.more:
        how += f"; {rec.more} smaller region(s) beyond the first {len(mine)} not listed"
    if rec.scale != 1:
        how += f"; measured on a 1/{rec.scale:.3g} decimation of this large scene"
    lines.append(how + ". No labelled masks exist to score it: treat areas as index estimates.")
    return lines
