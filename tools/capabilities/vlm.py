"""The VLM (``tiny`` or ``full`` profiles): GeoMag's own path for any free-form question.

``image``: a small square of the whole scene. ``region``: zoom to where the question points,
then ``C1 ⊕ D(I)``. ``pixel``: zoom twice (bbox1, bbox2 inside it), ``C2 ⊕ D(C1) ⊕ D(D(I))``,
and the pixel decoder on C2 for each ``[SEG]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from geomag_core.psc.zoom import ZoomStep
from tools.capabilities.base import Capability, Emit, Looked, Reading
from tools.looked_at import LookedAt
from tools.looking import ask_vlm, tmra_views, zoom_into
from tools.segmenting import SEG_ANSWER, segment_crop

__all__ = ["TINY_WARNING", "VisionLanguageModel"]

TINY_WARNING = (
    "[tiny profile] These results come from a random-weight test model: the text, windows and "
    "masks below exercise the pipeline and mean nothing about the scene."
)


def _emit_zoom(steps: Sequence[ZoomStep], emit: Emit) -> list[dict[str, Any]]:
    """Each step as a zoom event: its record, its ``number`` and the ``planned`` step count."""
    out = []
    for number, step in enumerate(steps, 1):
        record = step.as_dict() | {"number": number, "planned": len(steps)}
        emit("zoom", **record)
        out.append(record)
    return out


class VisionLanguageModel(Capability):
    """The configured VLM with PSC zoom, TMRA views and the pixel decoder."""

    name: ClassVar[str] = "vlm"
    title: ClassVar[str] = "the VLM"
    subjects: ClassVar[tuple[str, ...] | None] = None

    def look(
        self, scene: str, reading: Reading, subjects: list[str], emit: Emit, *, max_depth: int = 3
    ) -> Looked:
        """Look at the views the granularity calls for and ask the VLM (segment for pixel)."""
        wb, question = self.wb, reading.question
        s = wb.scene(scene)
        whole = [0, 0, s.width, s.height]
        steps: list[dict[str, Any]] = []
        if reading.granularity == "image":
            boxes: list[list[int]] = []
            views = tmra_views(wb, scene, "image")
        elif reading.granularity == "region":
            trail = zoom_into(wb, scene, question, max_depth=max_depth)
            steps = _emit_zoom(trail.steps, emit)
            boxes = [list(trail.final.as_tuple()) if trail.steps else whole]
            views = tmra_views(wb, scene, "region", boxes)
        else:
            trail = zoom_into(wb, scene, question, max_depth=max(2, max_depth))
            steps = _emit_zoom(trail.steps, emit)
            bbox1 = list(trail.steps[0].window.as_tuple()) if trail.steps else whole
            bbox2 = list(trail.final.as_tuple()) if len(trail.steps) > 1 else bbox1
            boxes = [bbox1, bbox2]
            views = tmra_views(wb, scene, "pixel", boxes)
        report = views.report()
        looked_at = LookedAt.of(report["budget"], steps)
        emit(
            "views",
            views=report["views"],
            budget=report["budget"],
            looked_at=looked_at.as_dict() if looked_at is not None else None,
        )
        reply = ask_vlm(wb, question, views)
        emit("answer", text=reply["text"], meaningful=reply["meaningful"])
        looked = Looked(
            results=[{"kind": "answer", "text": reply["text"], "label": None}],
            zoom_steps=steps,
            boxes=boxes,
            budget=report["budget"],
            vlm_text=reply["text"],
            findings={"granularity": reading.granularity},
        )
        if reading.granularity == "pixel":
            emit("segmenting", box=boxes[1])
            # A model fine-tuned for GeoMag emits one [SEG] per referred object; when the answer
            # holds none, one [SEG] asks for a single mask of the referent.
            answer = reply["text"] if SEG_ANSWER in reply["text"] else SEG_ANSWER
            looked.results += segment_crop(wb, scene, boxes[1], question, views, answer)
        return looked

    def answer_lines(self, state: Any, findings: dict[str, Any]) -> list[str]:
        """The model's words, what was segmented or located, and the zoom trail."""
        granularity = findings.get("granularity", state.granularity)
        masks = [r for r in state.results if r.get("kind") == "mask" and not r.get("method")]
        boxes = [r for r in state.results if r.get("kind") == "box"]
        text = state.vlm_text.replace("[SEG]", "").strip()
        lines = [f"Answer ({granularity}): {text or '(the model gave no text)'}"]
        if granularity == "pixel":
            metric = any(r.get("area_m2") is not None for r in masks)
            area = sum((r.get("area_m2") if metric else r.get("area_px")) or 0.0 for r in masks)
            lines.append(
                f"Segmented {len(masks)} region(s), total area {area:,.0f} "
                f"{'m²' if metric else 'px²'}."
            )
        if boxes:
            lines.append(f"Located {len(boxes)} object(s).")
        if state.zoom_steps:
            windows = " → ".join(str(s["window"]) for s in state.zoom_steps)
            lines.append(f"Zoomed {len(state.zoom_steps)} step(s): {windows}.")
        return lines
