"""Tools that look at a scene: scene info, classify, TMRA views, PSC windows, zoom, ask the VLM.

Each function takes the :class:`~tools.workbench.Workbench`, scene paths and XYXY pixel boxes,
and returns JSON-ready data; images and tensors stay inside.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from geomag_core.boxes import PixelBox
from geomag_core.granularity import Granularity
from geomag_core.psc.windows import adaptive_windows, top_k_windows
from geomag_core.psc.zoom import ZoomTrail, zoom
from geomag_core.tmra import ViewSet, build_views
from geomag_core.vlm.messages import ChatMessage
from tools.workbench import Workbench

__all__ = [
    "ask_vlm",
    "classify_question",
    "propose_windows",
    "scene_info",
    "tmra_views",
    "zoom_into",
]

Box = Sequence[int]


def scene_info(wb: Workbench, scene: str) -> dict[str, Any]:
    """Size, bands, CRS, footprint, acquisition date and content hash of ``scene``."""
    return wb.scene(scene).info()


def classify_question(wb: Workbench, question: str) -> dict[str, Any]:
    """Granularity of ``question`` (image | region | pixel) with probabilities."""
    (prediction,) = wb.classifier.predict([question])
    return prediction.as_dict()


def tmra_views(wb: Workbench, scene: str, granularity: str, boxes: Sequence[Box] = ()) -> ViewSet:
    """The TMRA views of ``scene`` (a :class:`ViewSet`; ``.report()`` is JSON-ready)."""
    return build_views(
        wb.scene(scene),
        Granularity(granularity),
        [PixelBox(*b) for b in boxes],
        image_size=wb.settings.image_view_size,
        pool=wb.settings.pool_factor,
    )


def propose_windows(
    wb: Workbench,
    scene: str,
    question: str,
    box: Box | None = None,
    k: int = 3,
    coverage: float | None = None,
) -> list[dict[str, Any]]:
    """PSC windows inside ``box`` (default: the whole scene), best first.

    Top-``k`` after non-maximum suppression, or with ``coverage`` the adaptive mode (windows until
    that fraction of the heat is covered).
    """
    s = wb.scene(scene)
    region = PixelBox(*box) if box else PixelBox(0, 0, s.width, s.height)
    heat = wb.heat_source(s, region, question)
    size, stride = _window_geometry(wb)
    if coverage is None:
        windows = top_k_windows(heat.values, k=k, size=size, stride=stride)
    else:
        windows = adaptive_windows(heat.values, coverage=coverage, size=size, stride=stride)
    return [
        {
            "box": list(heat.scene_box(w.cells).as_tuple()),
            "score": w.score / max(float(heat.values.mean()), 1e-12),
            "heat_coverage": w.coverage,
        }
        for w in windows
    ]


def zoom_into(
    wb: Workbench, scene: str, question: str, max_depth: int = 3, start: Box | None = None
) -> ZoomTrail:
    """Zoom where ``question`` points until native resolution or ``max_depth``."""
    size, stride = _window_geometry(wb)
    return zoom(
        wb.scene(scene),
        question,
        wb.heat_source,
        input_size=wb.vlm_input_size,
        window_cells=size,
        stride_cells=stride,
        max_depth=max_depth,
        start=PixelBox(*start) if start else None,
    )


def ask_vlm(
    wb: Workbench, question: str, views: ViewSet, max_new_tokens: int = 128
) -> dict[str, Any]:
    """Ask the profile's VLM ``question`` about ``views``; returns its text and token counts."""
    message = ChatMessage.user(question, [v.image for v in views.views])
    out = wb.answerer.generate([message], max_new_tokens=max_new_tokens)
    return {
        "text": out.text,
        "prompt_tokens": out.prompt_tokens,
        "completion_tokens": out.completion_tokens,
        "meaningful": wb.meaningful,
    }


def _window_geometry(wb: Workbench) -> tuple[int, int]:
    """Window size and stride in heat-map cells.

    The paper's 32/8 on a real VLM's grid, scaled down for the tiny profile's small views and
    for nano's 16-px cells.
    """
    return wb.profile.window_cells
