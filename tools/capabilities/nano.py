"""GeoMag-nano's detector: aircraft, oil-storage tanks and cars, searched where its heat map points.

Whatever the granularity, a question naming one of nano's classes becomes a search of the scene
for it (:func:`find_objects`); the answer is composed from the grounded results
only and never says "nothing" about an area or a size nano could not see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from geomag_core.boxes import PixelBox
from geomag_core.budget import Budget, LookBudget, VisionTokenGeometry
from geomag_core.findings import Finding
from geomag_core.nano.classes import NANO_CLASSES, ObjectClass, class_named, known_list
from geomag_core.nano.search import AutoSearch, BlockSearch, search_scene
from geomag_core.polygons.grounded import ground_mask
from geomag_core.psc.heatmap import HeatMap
from geomag_core.psc.windows import ScoredWindow
from geomag_core.psc.zoom import ZoomStep
from geomag_core.scales import CRS_SOURCE
from tools.capabilities.base import Answered, Capability, Findings, Looked, Reading
from tools.events import Emit, SearchPlanned, Segmenting, Zoomed
from tools.workbench import Workbench

__all__ = ["NANO_LIMITS", "ClassSearch", "NanoDetector", "NanoFindings", "find_objects"]

NANO_LIMITS = (
    f"GeoMag-nano has no language model: it finds and segments {known_list()} (the classes it "
    "was trained on) and reports counts, places, areas and confidence. Captions, scene "
    "descriptions and other free-form questions need a full VLM (GEOMAG_MODEL_PROFILE=full)."
)
#: At most this many instances are listed by place in an answer.
_LISTED = 10


@dataclass(frozen=True)
class ClassSearch:
    """What the search for one class did (the results and windows travel beside it).

    Attributes:
        label: the class searched for.
        gsd_m: metres per pixel the size rule used.
        gsd_source: where ``gsd_m`` came from (``scene CRS``, ``--gsd``, a scale the analyst
            gave the scene in the app, a world file beside a scene without a CRS, or assumed).
        implausible: instances not reported for their impossible size.
        misshapen: instances not reported for their shape: more elongated than ``elongation``.
        elongation: the most elongated outline these weights draw for the class (measured on
            training scenes; ``None``: no shape rule).
        too_coarse: the scene's pixels are too coarse for the class: not searched.
        out_of_time: the question's time budget stopped the reads early.
        decision: where native resolution was read, and why.
        count: instances reported.
        searched_fraction: share of the scene read at native resolution.
        planned: windows chosen before reading.
        scale: the windows were read resampled by this factor, so the class had the pixel
            size it was trained at (1.0: as they are).

    """

    label: str
    gsd_m: float
    gsd_source: str
    implausible: int = 0
    misshapen: int = 0
    elongation: float | None = None
    too_coarse: bool = False
    out_of_time: bool = False
    decision: str = ""
    count: int = 0
    searched_fraction: float = 0.0
    planned: int = 0
    scale: float = 1.0


@dataclass(frozen=True)
class NanoFindings(Findings):
    """Nano's account of its look: the question's caveats and one search per class."""

    caveats: tuple[str, ...] = ()
    searches: tuple[ClassSearch, ...] = ()


class _Trail:
    """Reports a nano search to ``emit`` as it runs: the plan, then each window as it is read."""

    def __init__(self, target: ObjectClass, size: tuple[int, int], emit: Emit) -> None:
        self.target, self.emit = target, emit
        self.whole = PixelBox(0, 0, *size)
        self.heat: HeatMap | None = None
        self.mean = 1.0
        self.windows = 0
        self.steps: list[ZoomStep] = []
        self.regions: list[tuple[int, PixelBox]] = []  # the iterative zoom's looks, by depth

    def planned(self, heat: HeatMap | None, decision: str, windows: int) -> None:
        self.heat, self.windows = heat, windows
        if heat is not None:
            self.mean = max(float(heat.values.mean()), 1e-12)
        self.emit(SearchPlanned(label=self.target.name, decision=decision, planned=windows))

    def zoomed(self, depth: int, region: PixelBox, heat: HeatMap, score: float) -> None:
        """An intermediate look of the iterative zoom: a zoom step of its own, at its depth."""
        geometry = VisionTokenGeometry()
        parent = next((r for d, r in reversed(self.regions) if d == depth - 1), self.whole)
        self.regions.append((depth, region))
        step = ZoomStep(
            depth=depth,
            looked_at=parent,
            window=region,
            score=score,
            heat_coverage=score,
            heat_pixels=heat.view_pixels,  # the look is a heat map of its own
            heat_tokens=geometry.tokens(*heat.view_shape),
            source=heat.source,
            read_pixels=0,
            read_tokens=0,
            rank=len(self.steps),
            label=self.target.name,
        )
        self.steps.append(step)
        self.emit(Zoomed(step))

    def read(self, number: int, window: ScoredWindow | None, box: PixelBox) -> None:
        if self.heat is None:  # segmented whole: no zoom
            return
        geometry = VisionTokenGeometry()
        inside = [(d, r) for d, r in self.regions if _contains(r, box)]
        depth, looked_at = max(inside, key=lambda dr: dr[0], default=(0, self.whole))
        step = ZoomStep(
            depth=depth + 1,
            looked_at=looked_at,
            window=box,
            score=(window.score / self.mean) if window is not None else 1.0,
            heat_coverage=window.coverage if window is not None else 0.0,
            heat_pixels=0,  # every window is chosen on the one overview, counted in the views
            heat_tokens=0,
            source=self.heat.source,
            read_pixels=box.area,
            read_tokens=geometry.tokens(box.height, box.width),
            rank=len(self.steps),
            label=self.target.name,
            number=number,
            planned=self.windows,
        )
        self.steps.append(step)
        self.emit(Zoomed(step))


def _contains(outer: PixelBox, inner: PixelBox) -> bool:
    """``inner``'s centre lies in ``outer`` (a window's margin may spill past its region)."""
    cx, cy = (inner.x0 + inner.x1) / 2, (inner.y0 + inner.y1) / 2
    return outer.x0 <= cx < outer.x1 and outer.y0 <= cy < outer.y1


def find_objects(
    wb: Workbench,
    scene: str,
    target: ObjectClass,
    emit: Emit,
    *,
    search: AutoSearch | BlockSearch | None = None,
) -> tuple[ClassSearch, Looked]:
    """Search ``scene`` for ``target`` (:func:`~geomag_core.nano.search.search_scene`).

    The heat map's hottest blocks are segmented at native resolution; outside them the
    overview's own instances are kept with ``resolution="coarse"``. Instances of an impossible
    size for the class at the scene's GSD (the class's training GSD without a CRS, unless
    ``GEOMAG_GSD`` is set) are not reported, only counted. A scene too coarse for the class is
    not searched at all. The plan and each window are emitted as they happen.

    Returns:
        The search's account, and what it looked at: mask findings (each with its own mean
        probability as confidence), the windows read as zoom steps (depth 1, ``number`` of
        ``planned``), and the views' budget (the heat map's overview).

    """
    s = wb.scene(scene)
    geometry = VisionTokenGeometry()
    scale = wb.scale_of(s) or target.assumed_scale
    gsd, source = scale.metres, scale.source
    if gsd > target.max_gsd_m:
        decision = f"not searched: {target.plural} are too small to see at {gsd:.2g} m"
        emit(SearchPlanned(label=target.name, decision=decision))
        budget = LookBudget.of(s.width, s.height, Budget(0, 0), 0.0, geometry)
        report = ClassSearch(target.name, gsd, source, too_coarse=True, decision=decision)
        return report, Looked(findings=NanoFindings(), budget=budget)
    trail = _Trail(target, s.size, emit)
    search = search or AutoSearch(blocks=BlockSearch(time_budget_s=wb.settings.question_budget_s))
    found = search_scene(wb.nano, s, target, gsd_m=gsd, search=search, progress=trail)
    results = []
    for inst in found.instances:
        polygons = ground_mask(s, inst.mask, label=target.name, confidence=inst.score)
        if polygons:
            results.append(Finding.of_polygon(polygons[0], inst.score, resolution=inst.resolution))
    # The views: the overview the heat map came from (the windows are the zoom steps), or the
    # whole scene when it was small enough to be segmented in one look.
    if found.heat is not None:  # the overview (the iterative zoom's looks are zoom steps)
        views = Budget(found.heat.view_pixels, geometry.tokens(*found.heat.view_shape))
    else:
        views = Budget(found.native_pixels, geometry.tokens(s.height, s.width))
    report = ClassSearch(
        label=target.name,
        gsd_m=gsd,
        gsd_source=source,
        implausible=len(found.implausible),
        misshapen=len(found.misshapen),
        elongation=wb.nano.outline_scale(target.name).elongation,
        out_of_time=found.out_of_time,
        decision=found.decision,
        count=len(results),
        searched_fraction=found.searched_fraction,
        planned=found.planned,
        scale=found.scale,
    )
    budget = LookBudget.of(s.width, s.height, views, found.searched_fraction, geometry)
    looked = Looked(findings=NanoFindings(), results=results, zoom_steps=trail.steps)
    looked.budget = budget
    return report, looked


class NanoDetector(Capability):
    """The project's own compact model, for the classes it was trained on."""

    name: ClassVar[str] = "nano"
    title: ClassVar[str] = "GeoMag-nano"
    subjects: ClassVar[tuple[str, ...] | None] = tuple(c.name for c in NANO_CLASSES)
    measures: ClassVar[bool] = True

    def knows(self) -> str:
        """Its classes."""
        return known_list()

    def look(
        self, scene: str, reading: Reading, subjects: list[str], emit: Emit, *, max_depth: int = 3
    ) -> Looked:
        """Search ``scene`` for each asked class (not on a scene too coarse for the class)."""
        looked = Looked(findings=NanoFindings())
        searches = []
        size = self.wb.scene(scene).size
        for target in [class_named(s) for s in subjects]:
            report, one = find_objects(self.wb, scene, target, emit)
            if not report.too_coarse:
                emit(Segmenting(box=(0, 0, *size), label=target.name))
            looked.results += one.results
            looked.zoom_steps += one.zoom_steps
            if one.budget is not None:
                looked.budget = one.budget if looked.budget is None else looked.budget + one.budget
            searches.append(report)
        looked.boxes = [s.window for s in looked.zoom_steps]
        looked.findings = NanoFindings(tuple(reading.vocabulary.caveats), tuple(searches))
        return looked

    def answer_lines(self, answered: Answered, findings: Findings) -> list[str]:
        """Per class searched: what was found, where, how much was searched, what was refused."""
        assert isinstance(findings, NanoFindings)
        lines = [f"{c}." for c in findings.caveats]
        masks = [r for r in answered.results if r.is_mask]
        for search in findings.searches:
            mine = [r for r in masks if r.label == search.label]
            steps = sum(  # native windows (the iterative zoom's looks read nothing natively)
                1
                for z in answered.zoom_steps
                if (z.label or search.label) == search.label and z.read_pixels > 0
            )
            lines += _class_lines(search, mine, steps)
        if answered.granularity == "image":  # a caption-like question: say what nano cannot do
            lines.append(NANO_LIMITS)  # (not under every count: the app's banner says it once)
        return lines


def _class_lines(search: ClassSearch, masks: list[Finding], steps: int) -> list[str]:
    """What the search for one class found, said plainly (never "nothing" for an unseen area)."""
    target = class_named(search.label)
    plural, gsd = target.plural, search.gsd_m
    if search.too_coarse:
        return [
            f"At this scene's {gsd:.2g} m per pixel, {plural} are at most "
            f"{target.length_m[1] / gsd:.0f} px across: too small for GeoMag-nano to see (it "
            f"looks for {plural} at {target.max_gsd_m:g} m per pixel or finer; trained at "
            f"{target.gsd_m:g} m). Nothing is reported for {plural}."
        ]
    searched = search.searched_fraction
    lines = []
    if search.scale != 1.0:
        lines.append(
            f"Read {'magnified' if search.scale > 1 else 'shrunk'} {search.scale:.2g}× so "
            f"{plural} have the size GeoMag-nano learned them at: the scene is {gsd:.2g} m per "
            f"pixel ({search.gsd_source}), {plural} were trained at {target.gsd_m:g} m."
        )
    elif search.gsd_source != CRS_SOURCE:  # a scale the scene's CRS did not give: say it
        lines.append(f"Scale: {gsd:.2g} m per pixel ({search.gsd_source}); the size rule used it.")
    if masks:
        conf = [float(r.confidence or 0.0) for r in masks]
        metric = all(r.area_m2 is not None for r in masks)
        pixels = sum(float(r.area_px or 0) for r in masks)
        if metric:
            total = f"{sum(float(r.area_m2 or 0) for r in masks):,.0f} m²"
        else:  # no CRS: in metres at the scale said above (given, a world file or assumed)
            total = f"{pixels * gsd * gsd:,.0f} m² at {gsd:.2g} m per pixel ({pixels:,.0f} px²)"
        lines.append(
            f"Found {len(masks)} {target.name if len(masks) == 1 else plural} "
            f"(mask confidence {min(conf):.2f}–{max(conf):.2f}, mean "
            f"{sum(conf) / len(conf):.2f}); total area {total}."
        )
        places = "; ".join(
            f"[{', '.join(str(v) for v in r.pixel_box or ())}]" for r in masks[:_LISTED]
        )
        more = f" and {len(masks) - _LISTED} more" if len(masks) > _LISTED else ""
        lines.append(f"Where (XYXY scene pixels, largest first): {places}{more}.")
    else:
        lines.append(
            f"Found no {plural}: {searched:.0%} of the scene was searched at native resolution"
            + ("." if searched >= 1 else ", the rest only in the whole-scene view.")
        )
    if searched < 1:
        coarse = sum(1 for r in masks if r.resolution == "coarse")
        why = search.decision or f"where the {target.name} heat map pointed"
        lines.append(
            f"Searched {steps} window(s) ({why}), covering "
            f"{searched:.0%} of the scene at native resolution; elsewhere only the heat map's "
            f"whole-scene view was seen ({coarse} of the instances come from it, with coarser "
            f"outlines), so small {plural} there can be missed."
        )
    if search.out_of_time:
        lines.append(
            f"The question's time budget (GEOMAG_QUESTION_BUDGET_S) ran out before every window "
            f"the heat map chose was read: the {searched:.0%} above is what was really searched."
        )
    if search.implausible:
        lo, hi = target.length_m
        lines.append(
            f"{search.implausible} more candidate(s) were not reported: their size is "
            f"impossible for {plural} ({lo:g}–{hi:g} m) at {gsd:.2g} m per pixel "
            f"({search.gsd_source})."
        )
    if search.misshapen:
        lines.append(
            f"{search.misshapen} more candidate(s) of a possible size were not reported: they "
            f"are more elongated than {plural} are (at most {search.elongation or 0:.2g}× as "
            f"long as wide, measured on training scenes), so each is something else or several "
            f"touching {plural} seen as one."
        )
    return lines
