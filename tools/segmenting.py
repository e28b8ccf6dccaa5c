"""Segment: [SEG] states from the VLM → pixel decoder on the fine crop → grounded polygons."""

from __future__ import annotations

from typing import Any

from geomag_core.polygons.grounded import ground_mask
from geomag_core.polygons.paste import paste_crop_mask
from geomag_core.tmra import ViewSet
from geomag_core.vlm.messages import ChatMessage
from geomag_core.vlm.tiny import SEG_TOKEN
from tools.labels import label_from_question
from tools.workbench import Workbench

__all__ = ["MAX_INSTANCES", "SEG_ANSWER", "segment_crop"]

SEG_ANSWER = SEG_TOKEN
#: At most this many connected components per mask become results (largest first).
MAX_INSTANCES = 20


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
        for polygon in polygons[:MAX_INSTANCES]:
            scene_shape = polygon.crs_geometry or polygon.pixel_geometry
            results.append(
                {
                    "kind": "mask",
                    "label": label,
                    "confidence": round(float(confidence), 4),
                    "wkt": polygon.wgs84_geometry.wkt if polygon.wgs84_geometry else None,
                    "wkt_scene": scene_shape.wkt,
                    "pixel_box": list(polygon.pixel_box.as_tuple()),
                    "area_m2": polygon.area_m2,
                    "area_px": polygon.pixel_count,
                }
            )
    return results
