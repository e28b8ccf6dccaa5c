"""Segment: [SEG] states from the VLM → pixel decoder on the fine crop → grounded polygons.

With ``nano``, :func:`find_objects` segments the PSC windows at native resolution instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from geomag_core.boxes import PixelBox
from geomag_core.budget import Budget, VisionTokenGeometry, native_baseline, tiling_baseline
from geomag_core.errors import ConfigError
from geomag_core.nano.heat import CoarseMasks, NanoHeatMapSource
from geomag_core.nano.search import (
    MIN_INSTANCE_PIXELS,
    MIN_INSTANCE_SCORE,
    BlockSearch,
    coarse_instances,
)
from geomag_core.polygons.grounded import GroundedPolygon, ground_mask
from geomag_core.polygons.paste import SceneMask, paste_crop_mask
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
        results += [_mask_result(p, float(confidence)) for p in polygons[:MAX_INSTANCES]]
    return results


def _mask_result(polygon: GroundedPolygon, confidence: float) -> dict[str, Any]:
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


def _clusters(boxes: list[PixelBox]) -> list[list[PixelBox]]:
    """Group boxes that overlap or touch (directly or via others); each group is stitched alone."""
    groups: list[list[PixelBox]] = []
    for box in boxes:
        touching = [g for g in groups if any(_overlap(box, b) for b in g)]
        merged = [box] + [b for g in touching for b in g]
        groups = [g for g in groups if g not in touching] + [merged]
    return groups


def _overlap(a: PixelBox, b: PixelBox) -> bool:
    # Touching counts: a component on the shared edge must be stitched whole.
    return a.x0 <= b.x1 and b.x0 <= a.x1 and a.y0 <= b.y1 and b.y0 <= a.y1


def find_objects(
    wb: Workbench,
    scene: str,
    question: str,
    *,
    search: BlockSearch | None = None,
    min_pixels: int = MIN_INSTANCE_PIXELS,
) -> dict[str, Any]:
    """Nano: the heat map's hottest blocks, segmented at native resolution, as instances.

    The heat map (nano's gradient-weighted attention on the whole scene at the model's input
    size) is cut into blocks; the hottest are searched until they hold most of the heat or reach
    a pixel budget (:class:`~geomag_core.nano.search.BlockSearch`, benchmarked as strategy (d)).
    The windows' masks are stitched into one scene mask; each connected component is a result.
    Outside the windows, the instances the heat map's view itself found are results too, marked
    ``"resolution": "coarse"`` (their outlines are only as fine as that view).

    Args:
        wb: the workbench (``nano`` profile).
        scene: the scene path.
        question: the question; it is the model's prompt and labels the results.
        search: block sizes, heat coverage and pixel budget (default :class:`BlockSearch`); a
            scene that fits the model's input is segmented whole.
        min_pixels: smaller components are dropped (scene pixels); so are components whose
            mean probability is under :data:`~geomag_core.nano.search.MIN_INSTANCE_SCORE`.

    Returns:
        ``{"results", "steps", "budget", "searched_fraction"}``: mask results as
        :func:`segment_crop` returns them (each with its own mean probability as confidence),
        the windows as zoom-step records (depth 1, ``rank`` 0 = best; the first carries the heat
        map view's pixels and tokens), and the native windows' budget next to the baselines.

    """
    s = wb.scene(scene)
    whole = PixelBox(0, 0, s.width, s.height)
    geometry = VisionTokenGeometry()
    steps: list[dict[str, Any]] = []
    pixels, tokens = 0, 0  # of the native windows; the heat map's view is the first step's cost
    coarse: CoarseMasks | None = None
    if max(s.width, s.height) <= wb.vlm_input_size:
        windows = [whole]
    else:
        source = wb.heat_source
        if not isinstance(source, NanoHeatMapSource):
            raise ConfigError(f"find_objects needs the nano profile, not {wb.profile!r}")
        heat, coarse = source.look(s, whole, question)
        found = (search or BlockSearch()).windows(heat)
        chosen, windows = [w for w, _ in found], [box for _, box in found]
        mean = max(float(heat.values.mean()), 1e-12)
        for w, box in zip(chosen, windows, strict=True):
            steps.append(
                ZoomStep(
                    depth=1,
                    looked_at=whole,
                    window=box,
                    score=w.score / mean,
                    heat_coverage=w.coverage,
                    pixels=heat.view_pixels if not steps else 0,
                    tokens=geometry.tokens(*heat.view_shape) if not steps else 0,
                    source=heat.source,
                ).as_dict()
                | {"rank": len(steps)}
            )
    # Stitch each cluster of overlapping windows on its own bounding box: memory stays bounded
    # by the windows, never by the scene (windows can be far apart on a huge scene).
    label = label_from_question(question)
    results: list[dict[str, Any]] = []
    searched_px = 0
    for group in _clusters(windows):
        x0, y0 = min(b.x0 for b in group), min(b.y0 for b in group)
        union = PixelBox(x0, y0, max(b.x1 for b in group), max(b.y1 for b in group))
        probs = np.zeros((union.height, union.width), dtype=np.float32)
        covered = np.zeros(probs.shape, dtype=bool)
        for box in group:
            crop_probs, _ = wb.nano.segment(s.read(box), question)
            region = (slice(box.y0 - y0, box.y1 - y0), slice(box.x0 - x0, box.x1 - x0))
            np.maximum(probs[region], crop_probs, out=probs[region])
            covered[region] = True
            pixels += box.area
            tokens += geometry.tokens(box.height, box.width)
        searched_px += int(covered.sum())
        mask = SceneMask(mask=probs > 0.5, box=union)
        for polygon in ground_mask(s, mask, label=label, confidence=0.0, min_pixels=min_pixels):
            b = polygon.pixel_box
            inside = probs[b.y0 - y0 : b.y1 - y0, b.x0 - x0 : b.x1 - x0]
            hot = inside[inside > 0.5]
            score = float(hot.mean()) if hot.size else 0.0
            if score >= MIN_INSTANCE_SCORE:
                results.append(_mask_result(polygon, score))
    if coarse is not None:
        # Outside the windows, keep what the heat map's whole-scene view itself found.
        for inst in coarse_instances(coarse, windows, min_pixels):
            mask = paste_crop_mask(inst.probs, inst.to_scene, s.size)
            polygons = ground_mask(s, mask, label=label, confidence=0.0, min_pixels=min_pixels)
            if polygons:  # the largest: the sub-crop may clip a neighbour's edge
                results.append(_mask_result(polygons[0], inst.score) | {"resolution": "coarse"})
    results.sort(key=lambda r: -int(r["area_px"]))
    searched_fraction = searched_px / (s.width * s.height)
    native = native_baseline(s.width, s.height, geometry)
    tiling = tiling_baseline(s.width, s.height, geometry)
    ours = Budget(pixels=pixels, tokens=tokens)
    budget = {
        "views": {"pixels": pixels, "tokens": tokens},
        "native": {"pixels": native.pixels, "tokens": native.tokens},
        "tiling": {"pixels": tiling.pixels, "tokens": tiling.tokens},
        "ratio_to_native": ours.ratio_to(native),
        "ratio_to_tiling": ours.ratio_to(tiling),
        "searched_fraction": searched_fraction,
    }
    return {
        "results": results,
        "steps": steps,
        "budget": budget,
        "searched_fraction": searched_fraction,
    }
