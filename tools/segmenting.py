"""Segment: [SEG] states from the VLM → pixel decoder on the fine crop → grounded polygons.

With ``nano``, :func:`find_objects` searches the scene for one of its trained classes instead.
"""

from __future__ import annotations

from typing import Any

from geomag_core.boxes import PixelBox
from geomag_core.budget import Budget, VisionTokenGeometry, native_baseline, tiling_baseline
from geomag_core.nano.classes import ObjectClass, scene_gsd
from geomag_core.nano.search import AutoSearch, BlockSearch, search_scene
from geomag_core.polygons.grounded import GroundedPolygon, ground_mask
from geomag_core.polygons.paste import paste_crop_mask
from geomag_core.psc.zoom import ZoomStep
from geomag_core.tmra import ViewSet
from geomag_core.vlm.messages import ChatMessage
from geomag_core.vlm.tiny import SEG_TOKEN
from tools.labels import label_from_question
from tools.workbench import Workbench

__all__ = [
    "MAX_INSTANCES",
    "NANO_WINDOW_CELLS",
    "SEG_ANSWER",
    "find_objects",
    "mask_result",
    "segment_crop",
]

SEG_ANSWER = SEG_TOKEN
#: At most this many connected components per mask become results (largest first).
MAX_INSTANCES = 20
#: Nano's top-K PSC window size and stride in heat cells (640 and 160 scene pixels on a
#: 2560-px scene seen at 1024 px), for ``propose_windows`` and ``zoom_into``.
NANO_WINDOW_CELLS = (16, 4)


def segment_crop(
    wb: Workbench,
    scene: str,
    box: list[int],
    question: str,
    views: ViewSet,
    answer: str,
) -> list[dict[str, Any]]:
    """Masks for each ``[SEG]`` in ``answer``, decoded on the views' native crop, as results.

    Args:
        wb: the workbench (VLM for ``[SEG]`` states, mask predictor).
        scene: the scene path.
        box: the crop segmented (XYXY scene pixels); the views' first view must cover it.
        question: the question (it labels the results).
        views: the TMRA views the VLM saw; ``views.views[0]`` is the native-resolution crop.
        answer: the VLM's answer, with one ``[SEG]`` per referred object.

    Returns:
        JSON-ready mask results: label, confidence, WGS84 WKT (``wkt``), scene-CRS or pixel WKT
        (``wkt_scene``), pixel box, metric area (``area_m2``, ``None`` without a CRS) and
        ``area_px``; largest first, at most :data:`MAX_INSTANCES` per mask.

    """
    s = wb.scene(scene)
    crop = views.views[0]
    if list(crop.box.as_tuple()) != list(box):
        raise ValueError(f"the first view covers {crop.box.as_tuple()}, not the crop {box}")
    message = ChatMessage.user(question, [v.image for v in views.views])
    seg_states = wb.vlm.seg_hidden_states([message], answer)
    if seg_states.shape[0] == 0:
        return []
    (masks,) = wb.mask_predictor.predict([crop.image], [seg_states])
    label = label_from_question(question)
    results: list[dict[str, Any]] = []
    for probs, confidence in zip(masks.probs, masks.confidence, strict=True):
        scene_mask = paste_crop_mask(probs, crop.to_scene, s.size)
        polygons = ground_mask(
            s, scene_mask, label=label, confidence=float(confidence), min_pixels=4
        )
        results += [mask_result(p, float(confidence)) for p in polygons[:MAX_INSTANCES]]
    return results


def mask_result(polygon: GroundedPolygon, confidence: float) -> dict[str, Any]:
    """A grounded polygon as a JSON-ready mask result (WKT geometries)."""
    scene_shape = polygon.crs_geometry or polygon.pixel_geometry
    return {
        "kind": "mask",
        "label": polygon.label,
        "confidence": round(confidence, 4),
        "wkt": polygon.wgs84_geometry.wkt if polygon.wgs84_geometry else None,
        "wkt_scene": scene_shape.wkt,
        "pixel_box": list(polygon.pixel_box.as_tuple()),
        "area_m2": polygon.area_m2,
        "area_px": polygon.pixel_count,
    }


def find_objects(
    wb: Workbench,
    scene: str,
    target: ObjectClass,
    *,
    search: AutoSearch | BlockSearch | None = None,
) -> dict[str, Any]:
    """Nano: search ``scene`` for ``target`` (:func:`~geomag_core.nano.search.search_scene`).

    The heat map's hottest blocks are segmented at native resolution; outside them the overview's
    own instances are kept, marked ``"resolution": "coarse"``. Instances of an impossible size
    for the class at the scene's GSD (the class's training GSD without a CRS, unless
    ``GEOMAG_GSD`` is set) are not reported, only counted. A scene too coarse for the class is not
    searched at all.

    Args:
        wb: the workbench (nano model, settings).
        scene: the scene path.
        target: the nano class asked for; it labels the results and its prompt is the model's.
        search: where to read native resolution (default :class:`AutoSearch` with the
            question's time budget).

    Returns:
        ``{"results", "steps", "budget", "searched_fraction", "gsd_m", "gsd_source",
        "implausible", "too_coarse", "decision", "planned"}``: mask results as
        :func:`segment_crop` returns them (each with its own mean probability as confidence),
        the windows as zoom-step records (depth 1, ``rank`` 0 = best, ``number`` of
        ``planned`` windows chosen, each with its own native pixels and tokens), the views'
        budget (the heat map's overview) next to the baselines, and the search's decision of
        where to read native resolution, in a sentence.

    """
    s = wb.scene(scene)
    geometry = VisionTokenGeometry()
    gsd, source = scene_gsd(s), "scene CRS"
    if wb.settings.gsd is not None:
        gsd, source = wb.settings.gsd, "GEOMAG_GSD / --gsd"
    elif gsd is None:
        gsd, source = target.gsd_m, f"assumed: {target.name} training GSD (no CRS)"
    native = native_baseline(s.width, s.height, geometry)
    tiling = tiling_baseline(s.width, s.height, geometry)
    out: dict[str, Any] = {
        "results": [],
        "steps": [],
        "gsd_m": gsd,
        "gsd_source": source,
        "implausible": 0,
        "too_coarse": gsd > target.max_gsd_m,
        "label": target.name,
        "out_of_time": False,
        "decision": f"not searched: {target.plural} are too small to see at {gsd:.2g} m",
        "planned": 0,
    }
    if out["too_coarse"]:
        ours = Budget(pixels=0, tokens=0)
        out["searched_fraction"] = 0.0
    else:
        search = search or AutoSearch(
            blocks=BlockSearch(time_budget_s=wb.settings.question_budget_s)
        )
        found = search_scene(wb.nano, s, target, gsd_m=gsd, search=search)
        steps: list[dict[str, Any]] = []
        heat = found.heat
        mean = max(float(heat.values.mean()), 1e-12) if heat is not None else 1.0
        whole = PixelBox(0, 0, s.width, s.height)
        for w, box in found.windows:
            steps.append(
                ZoomStep(
                    depth=1,
                    looked_at=whole,
                    window=box,
                    score=(w.score / mean) if w is not None else 1.0,
                    heat_coverage=w.coverage if w is not None else 0.0,
                    pixels=box.area,  # each window its own native pixels
                    tokens=geometry.tokens(box.height, box.width),
                    source=heat.source if heat is not None else "whole-scene",
                ).as_dict()
                | {
                    "rank": len(steps),
                    "label": target.name,
                    "number": len(steps) + 1,
                    "planned": found.planned,
                }
            )
        if heat is None:
            steps = []  # segmented whole: no zoom
        out["steps"] = steps
        for inst in found.instances:
            polygons = ground_mask(s, inst.mask, label=target.name, confidence=inst.score)
            if polygons:
                result = mask_result(polygons[0], inst.score)
                if inst.resolution == "coarse":
                    result["resolution"] = "coarse"
                out["results"].append(result)
        out["implausible"] = len(found.implausible)
        out["searched_fraction"] = found.searched_fraction
        out["out_of_time"] = found.out_of_time
        out["decision"] = found.decision
        out["planned"] = found.planned
        # The views: the overview the heat map came from (the windows are the zoom steps), or
        # the whole scene when it was small enough to be segmented in one look.
        if heat is not None:
            ours = Budget(pixels=found.view_pixels, tokens=geometry.tokens(*heat.view_shape))
        else:
            ours = Budget(pixels=found.native_pixels, tokens=geometry.tokens(s.height, s.width))
    out["budget"] = {
        "views": {"pixels": ours.pixels, "tokens": ours.tokens},
        "native": {"pixels": native.pixels, "tokens": native.tokens},
        "tiling": {"pixels": tiling.pixels, "tokens": tiling.tokens},
        "ratio_to_native": ours.ratio_to(native),
        "ratio_to_tiling": ours.ratio_to(tiling),
        "searched_fraction": out["searched_fraction"],
    }
    return out
