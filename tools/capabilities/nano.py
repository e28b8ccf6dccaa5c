"""GeoMag-nano's detector: aircraft, oil-storage tanks and cars, searched where its heat map points.

Whatever the granularity, a question naming one of nano's classes becomes a search of the scene
for it (:func:`tools.segmenting.find_objects`); the answer is composed from the grounded results
only and never says "nothing" about an area or a size nano could not see.
"""

from __future__ import annotations

from typing import Any, ClassVar

from geomag_core.nano.classes import NANO_CLASSES, class_named, known_list
from tools.capabilities.base import Capability, Emit, Looked, Reading, add_budgets
from tools.segmenting import find_objects

__all__ = ["NANO_LIMITS", "NanoDetector"]

NANO_LIMITS = (
    f"GeoMag-nano has no language model: it finds and segments {known_list()} (the classes it "
    "was trained on) and reports counts, places, areas and confidence. Captions, scene "
    "descriptions and other free-form questions need a full VLM (GEOMAG_MODEL_PROFILE=full)."
)
#: At most this many instances are listed by place in an answer.
_LISTED = 10


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
        looked = Looked(findings={"caveats": reading.vocabulary.caveats, "searches": []})
        size = list(self.wb.scene(scene).size)
        for target in [class_named(s) for s in subjects]:
            found = find_objects(self.wb, scene, target)
            emit("search", label=target.name, decision=found["decision"])
            for record in found["steps"]:
                emit("zoom", **record)
            if not found["too_coarse"]:
                emit("segmenting", box=[0, 0, *size], label=target.name)
            looked.results += found["results"]
            looked.zoom_steps += found["steps"]
            looked.budget = add_budgets(looked.budget, found["budget"])
            looked.findings["searches"].append(
                {k: found[k] for k in ("label", "gsd_m", "gsd_source", "implausible", "too_coarse")}
                | {"out_of_time": found.get("out_of_time", False), "decision": found["decision"]}
                | {
                    "count": len(found["results"]),
                    "searched_fraction": found["searched_fraction"],
                }
            )
        looked.boxes = [s["window"] for s in looked.zoom_steps]
        return looked

    def answer_lines(self, state: Any, findings: dict[str, Any]) -> list[str]:
        """Per class searched: what was found, where, how much was searched, what was refused."""
        lines = [f"{c}." for c in findings.get("caveats", [])]
        masks = [r for r in state.results if r.get("kind") == "mask"]
        for search in findings.get("searches", []):
            mine = [r for r in masks if r.get("label") == search["label"]]
            steps = sum(
                1 for z in state.zoom_steps if z.get("label", search["label"]) == search["label"]
            )
            lines += _class_lines(search, mine, steps)
        lines.append(NANO_LIMITS)
        return lines


def _class_lines(search: dict[str, Any], masks: list[dict[str, Any]], steps: int) -> list[str]:
    """What the search for one class found, said plainly (never "nothing" for an unseen area)."""
    target = class_named(search["label"])
    plural, gsd = target.plural, float(search["gsd_m"])
    if search["too_coarse"]:
        return [
            f"At this scene's {gsd:.2g} m per pixel, {plural} are at most "
            f"{target.length_m[1] / gsd:.0f} px across: too small for GeoMag-nano to see (it "
            f"looks for {plural} at {target.max_gsd_m:g} m per pixel or finer; trained at "
            f"{target.gsd_m:g} m). Nothing is reported for {plural}."
        ]
    searched = float(search["searched_fraction"])
    lines = []
    if masks:
        conf = [float(r["confidence"]) for r in masks]
        metric = all(r.get("area_m2") is not None for r in masks)
        area = sum(float(r["area_m2"] if metric else r["area_px"]) for r in masks)
        lines.append(
            f"Found {len(masks)} {target.name if len(masks) == 1 else plural} "
            f"(mask confidence {min(conf):.2f}–{max(conf):.2f}, mean "
            f"{sum(conf) / len(conf):.2f}); total area {area:,.0f} {'m²' if metric else 'px²'}."
        )
        places = "; ".join(
            f"[{', '.join(str(v) for v in r['pixel_box'])}]" for r in masks[:_LISTED]
        )
        more = f" and {len(masks) - _LISTED} more" if len(masks) > _LISTED else ""
        lines.append(f"Where (XYXY scene pixels, largest first): {places}{more}.")
    else:
        lines.append(
            f"Found no {plural}: {searched:.0%} of the scene was searched at native resolution"
            + ("." if searched >= 1 else ", the rest only in the whole-scene view.")
        )
    if searched < 1:
        coarse = sum(1 for r in masks if r.get("resolution") == "coarse")
        why = search.get("decision") or f"where the {target.name} heat map pointed"
        lines.append(
            f"Searched {steps} window(s) ({why}), covering "
            f"{searched:.0%} of the scene at native resolution; elsewhere only the heat map's "
            f"whole-scene view was seen ({coarse} of the instances come from it, with coarser "
            f"outlines), so small {plural} there can be missed."
        )
    if search.get("out_of_time"):
        lines.append(
            f"The question's time budget (GEOMAG_QUESTION_BUDGET_S) ran out before every window "
            f"the heat map chose was read: the {searched:.0%} above is what was really searched."
        )
    if search["implausible"]:
        lo, hi = target.length_m
        lines.append(
            f"{search['implausible']} more candidate(s) were not reported: their size is "
            f"impossible for {plural} ({lo:g}–{hi:g} m) at {gsd:.2g} m per pixel "
            f"({search['gsd_source']})."
        )
    return lines
