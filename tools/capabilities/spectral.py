"""Spectral indices: water (NDWI) and vegetation (NDVI) on scenes with a near-infrared band.

The whole scene is measured at native resolution (decimated above
:data:`~geomag_core.spectral.indices.MAX_PIXELS`); every region past the stated threshold and
above the speck size is a result, with the index, threshold and bands in its provenance.
"""

from __future__ import annotations

from typing import Any, ClassVar

from geomag_core.errors import MissingBandError
from geomag_core.scene import Scene
from geomag_core.spectral import INDICES, find_bands, index_regions
from tools.capabilities.base import Capability, Emit, Looked, Reading, budget_record
from tools.segmenting import mask_result
from tools.workbench import Workbench

__all__ = ["SpectralIndices", "measure_index"]


def measure_index(wb: Workbench, scene: str, subject: str) -> dict[str, Any]:
    """Regions of ``subject`` (``water`` | ``vegetation``) in ``scene`` as results + a record.

    Raises:
        MissingBandError: the scene has no near-infrared band.

    """
    s = wb.scene(scene)
    index = INDICES[subject]
    found = index_regions(s, index, nir_band=wb.settings.nir_band)
    results = []
    for region in found.regions:
        result = mask_result(region, region.confidence)
        result["method"] = found.method
        results.append(result)
    metric = all(r["area_m2"] is not None for r in results)
    record = {
        "subject": subject,
        "index": index.name,
        "formula": index.formula,
        "threshold": round(found.threshold, 4),
        "threshold_method": found.threshold_method,
        "method": found.method,
        "bands": {"red": found.bands.red, "green": found.bands.green, "nir": found.bands.nir},
        "nir_source": found.bands.nir_source,
        "min_pixels": found.min_pixels,
        "min_area_m2": index.min_area_m2 if s.is_georeferenced else None,
        "specks": found.specks,
        "more": found.more,
        "scale": round(found.scale, 4),
        "count": len(results),
        "area_m2": round(sum(r["area_m2"] for r in results), 1) if metric else None,
        "area_px": sum(r["area_px"] for r in results),
        "share": found.above_pixels / max(found.valid_pixels, 1),
    }
    return {"results": results, "record": record}


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

    def look(
        self, scene: str, reading: Reading, subjects: list[str], emit: Emit, *, max_depth: int = 3
    ) -> Looked:
        """Measure each asked subject over the whole scene."""
        s = self.wb.scene(scene)
        looked = Looked(findings={"measures": []})
        read = 0
        for subject in subjects:
            out = measure_index(self.wb, scene, subject)
            rec = out["record"]
            emit("spectral", **rec)
            looked.results += out["results"]
            looked.findings["measures"].append(rec)
            read += round(s.width * s.height / (rec["scale"] ** 2))
        looked.budget = budget_record(s, read, 0, 1.0 if read else 0.0)
        return looked

    def answer_lines(self, state: Any, findings: dict[str, Any]) -> list[str]:
        """Per subject: regions, area, share, method and threshold, what was dropped."""
        lines = []
        for rec in findings.get("measures", []):
            lines += measure_lines(rec, state.results)
        return lines


def measure_lines(rec: dict[str, Any], results: list[dict[str, Any]]) -> list[str]:
    """One measurement said plainly."""
    subject = rec["subject"]
    mine = [r for r in results if r.get("kind") == "mask" and r.get("label") == subject]
    area = (
        f"{rec['area_m2'] / 1e4:,.2f} ha ({rec['area_m2']:,.0f} m²)"
        if rec["area_m2"] is not None
        else f"{rec['area_px']:,} px (no CRS: no metric area)"
    )
    lines = []
    if mine:
        largest = mine[0]
        size = (
            f"{largest['area_m2']:,.0f} m²"
            if largest.get("area_m2") is not None
            else f"{largest['area_px']:,} px"
        )
        lines.append(
            f"{subject.capitalize()}: {len(mine)} region(s), total {area}, "
            f"{rec['share']:.1%} of the scene's valid pixels past the threshold; largest {size} "
            f"at [{', '.join(str(v) for v in largest['pixel_box'])}] (XYXY scene pixels)."
        )
    else:
        lines.append(
            f"{subject.capitalize()}: no region of at least {rec['min_pixels']} px past the "
            f"threshold in the whole scene (searched at "
            + ("native resolution" if rec["scale"] == 1 else f"1/{rec['scale']:.3g} resolution")
            + ")."
        )
    how = (
        f"Method: {rec['index'].upper()} = {rec['formula']} > {rec['threshold']:.2f} "
        f"({rec['threshold_method']} threshold), bands R{rec['bands']['red']} "
        f"G{rec['bands']['green']} NIR{rec['bands']['nir']} ({rec['nir_source']}); "
        f"{rec['specks']} speck(s) under {rec['min_pixels']} px dropped"
    )
    if rec["more"]:
        how += f"; {rec['more']} smaller region(s) beyond the first {len(mine)} not listed"
    if rec["scale"] != 1:
        how += f"; measured on a 1/{rec['scale']:.3g} decimation of this large scene"
    lines.append(how + ". No labelled masks exist to score it: treat areas as index estimates.")
    return lines
