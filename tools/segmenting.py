"""Segment: [SEG] states from the VLM → pixel decoder on the fine crop → grounded findings.

GeoMag-nano segments the classes it knows by searching the whole scene instead
(:mod:`tools.capabilities.nano`).
"""

from __future__ import annotations

from geomag_core.boxes import PixelBox
from geomag_core.findings import Finding
from geomag_core.labels import label_in
from geomag_core.polygons.grounded import ground_mask
from geomag_core.polygons.paste import paste_crop_mask
from geomag_core.tmra import ViewSet
from geomag_core.vlm.messages import ChatMessage
from geomag_core.vlm.tiny import SEG_TOKEN
from tools.workbench import Workbench

__all__ = ["MAX_INSTANCES", "SEG_ANSWER", "segment_crop"]

SEG_ANSWER = SEG_TOKEN
#: At most this many connected components per mask become results (largest first).
MAX_INSTANCES = 20


def segment_crop(
    wb: Workbench,
    scene: str,
    box: PixelBox,
    question: str,
    views: ViewSet,
    answer: str,
) -> list[Finding]:
    """Masks for each ``[SEG]`` in ``answer``, decoded on the views' native crop, as results.

    Args:
        wb: the workbench (VLM for ``[SEG]`` states, mask predictor).
        scene: the scene path.
        box: the crop segmented (XYXY scene pixels); the views' first view must cover it.
        question: the question (it labels the results).
        views: the TMRA views the VLM saw; ``views.views[0]`` is the native-resolution crop.
        answer: the VLM's answer, with one ``[SEG]`` per referred object.

    Returns:
        Mask findings, largest first, at most :data:`MAX_INSTANCES` per mask.

    """
    s = wb.scene(scene)
    crop = views.views[0]
    if crop.box != box:
        raise ValueError(f"the first view covers {crop.box.as_tuple()}, not the crop {box}")
    message = ChatMessage.user(question, [v.image for v in views.views])
    seg_states = wb.vlm.seg_hidden_states([message], answer)
    if seg_states.shape[0] == 0:
        return []
    (masks,) = wb.mask_predictor.predict([crop.image], [seg_states])
    label = label_in(question)
    results: list[Finding] = []
    for probs, confidence in zip(masks.probs, masks.confidence, strict=True):
        scene_mask = paste_crop_mask(probs, crop.to_scene, s.size)
        polygons = ground_mask(
            s, scene_mask, label=label, confidence=float(confidence), min_pixels=4
        )
        results += [Finding.of_polygon(p, float(confidence)) for p in polygons[:MAX_INSTANCES]]
    return results
