"""PSC heat maps of an answer, recomputed on request for display: where the model looked.

The agent keeps the windows it chose, not the heat grids behind them; the heat is recomputed
with the same source (nano's attention, or the VLM's gradient-weighted attention) over the
same box with the same text, so it is the map the windows were chosen on. Nano searched with
its class prompt (``segment the aircraft``), the VLM with the question.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from geomag_core.boxes import PixelBox
from geomag_core.findings import Finding
from geomag_core.nano.classes import NANO_CLASSES
from geomag_core.psc.heatmap import HeatMap
from geomag_core.psc.zoom import ZoomStep
from geomag_core.scene import Scene
from tools.workbench import Workbench

__all__ = ["heat_prompt", "looked_at_boxes", "zoom_heat_maps"]

_PROMPTS = {c.name: c.prompt for c in NANO_CLASSES}


def heat_prompt(step: ZoomStep, question: str, results: Sequence[Finding], *, nano: bool) -> str:
    """The text the heat map of ``step`` was made for."""
    if not nano:
        return question
    label = (
        step.label
        or next(iter(Counter(r.label for r in results if r.label).most_common(1)), (None,))[0]
    )
    return _PROMPTS.get(str(label), question)


def looked_at_boxes(zoom_steps: Sequence[ZoomStep]) -> list[tuple[int, ...]]:
    """The distinct boxes heat maps were made over, in trail order (XYXY scene pixels)."""
    boxes: list[tuple[int, ...]] = []
    for step in zoom_steps:
        key = step.looked_at.as_tuple()
        if key not in boxes:
            boxes.append(key)
    return boxes


def zoom_heat_maps(
    wb: Workbench,
    scene: Scene,
    question: str,
    zoom_steps: Sequence[ZoomStep],
    results: Sequence[Finding] = (),
    limit: int = 4,
) -> dict[tuple[int, ...], HeatMap]:
    """Heat maps over the first ``limit`` distinct looked-at boxes of the trail, by box."""
    nano = not wb.profile.has_vlm
    maps: dict[tuple[int, ...], HeatMap] = {}
    for box in looked_at_boxes(zoom_steps)[:limit]:
        step = next(s for s in zoom_steps if s.looked_at.as_tuple() == box)
        prompt = heat_prompt(step, question, results, nano=nano)
        maps[box] = wb.heat_source(scene, PixelBox(*box), prompt)
    return maps
