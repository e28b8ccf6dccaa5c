"""The VLM (``tiny`` or ``full`` profiles): GeoMag's own path for any free-form question.

``image``: a small square of the whole scene. ``region``: zoom to where the question points,
then ``C1 ⊕ D(I)``. ``pixel``: zoom twice (bbox1, bbox2 inside it), ``C2 ⊕ D(C1) ⊕ D(D(I))``,
and the pixel decoder on C2 for each ``[SEG]``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from geomag_core.boxes import PixelBox
from geomag_core.findings import Finding
from tools.capabilities.base import Answered, Capability, Findings, Looked, Reading
from tools.events import Emit, Segmenting, ViewsLooked, VLMAnswered, Zoomed
from tools.looked_at import LookedAt
from tools.looking import ask_vlm, tmra_views, zoom_into
from tools.segmenting import SEG_ANSWER, segment_crop

__all__ = ["TINY_WARNING", "VLMFindings", "VisionLanguageModel"]

TINY_WARNING = (
    "[tiny profile] These results come from a random-weight test model: the text, windows and "
    "masks below exercise the pipeline and mean nothing about the scene."
)


@dataclass(frozen=True)
class VLMFindings(Findings):
    """The granularity the VLM was asked at."""

    granularity: str = ""


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
        whole = PixelBox(0, 0, s.width, s.height)
        boxes: list[PixelBox] = []
        steps = []
        if reading.granularity != "image":
            depth = max_depth if reading.granularity == "region" else max(2, max_depth)
            trail = zoom_into(wb, scene, question, max_depth=depth)
            steps = [replace(step, planned=len(trail.steps)) for step in trail.steps]
            for step in steps:
                emit(Zoomed(step))
            if reading.granularity == "region":
                boxes = [trail.final if steps else whole]
            else:
                bbox1 = steps[0].window if steps else whole
                boxes = [bbox1, trail.final if len(steps) > 1 else bbox1]
        views = tmra_views(wb, scene, reading.granularity, [b.as_tuple() for b in boxes])
        budget = views.look_budget()
        emit(
            ViewsLooked(
                views=tuple(v.name for v in views.views),
                budget=budget,
                looked_at=LookedAt.of(budget, steps),
            )
        )
        reply = ask_vlm(wb, question, views)
        emit(VLMAnswered(text=reply.text, meaningful=wb.meaningful))
        looked = Looked(
            findings=VLMFindings(reading.granularity),
            results=[Finding.answer(reply.text)],
            zoom_steps=steps,
            boxes=boxes,
            budget=budget,
            vlm_text=reply.text,
        )
        if reading.granularity == "pixel":
            emit(Segmenting(box=boxes[1].as_tuple()))
            # A model fine-tuned for GeoMag emits one [SEG] per referred object; when the answer
            # holds none, one [SEG] asks for a single mask of the referent.
            answer = reply.text if SEG_ANSWER in reply.text else SEG_ANSWER
            looked.results += segment_crop(wb, scene, boxes[1], question, views, answer)
        return looked

    def answer_lines(self, answered: Answered, findings: Findings) -> list[str]:
        """The model's words, what was segmented or located, and the zoom trail."""
        assert isinstance(findings, VLMFindings)
        granularity = findings.granularity or answered.granularity
        masks = [r for r in answered.results if r.is_mask and not r.method]
        boxes = [r for r in answered.results if r.kind == "box"]
        text = answered.vlm_text.replace("[SEG]", "").strip()
        lines = [f"Answer ({granularity}): {text or '(the model gave no text)'}"]
        if granularity == "pixel":
            metric = any(r.area_m2 is not None for r in masks)
            area = sum((r.area_m2 if metric else r.area_px) or 0.0 for r in masks)
            lines.append(
                f"Segmented {len(masks)} region(s), total area {area:,.0f} "
                f"{'m²' if metric else 'px²'}."
            )
        if boxes:
            lines.append(f"Located {len(boxes)} object(s).")
        if answered.zoom_steps:
            windows = " → ".join(str(list(s.window.as_tuple())) for s in answered.zoom_steps)
            lines.append(f"Zoomed {len(answered.zoom_steps)} step(s): {windows}.")
        return lines
