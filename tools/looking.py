"""Tools that look at a scene: scene info, classify, TMRA views, PSC windows, zoom, ask the VLM.

Each function takes the :class:`~tools.workbench.Workbench`, scene paths and XYXY pixel boxes,
and returns typed values (``as_dict`` where a tool call needs JSON); images and tensors stay
inside.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from geomag_core.boxes import PixelBox
from geomag_core.classifier.predictor import GranularityPrediction
from geomag_core.granularity import Granularity
from geomag_core.psc.windows import adaptive_windows, top_k_windows
from geomag_core.psc.zoom import ZoomTrail, zoom
from geomag_core.tmra import ViewSet, build_views
from geomag_core.vlm.messages import ChatMessage
from tools.workbench import Workbench

__all__ = [
    "ProposedWindow",
    "VLMReply",
    "ask_vlm",
    "classify_question",
    "propose_windows",
    "tmra_views",
    "zoom_into",
]

Box = Sequence[int]


@dataclass(frozen=True)
class ProposedWindow:
    """A PSC window: XYXY scene pixels, score (1 = the map's mean heat), share of the heat."""

    box: tuple[int, int, int, int]
    score: float
    heat_coverage: float


@dataclass(frozen=True)
class VLMReply:
    """The VLM's answer and its token counts; ``meaningful`` is false for random weights."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    meaningful: bool

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)


def classify_question(wb: Workbench, question: str) -> GranularityPrediction:
    """Granularity of ``question`` (image | region | pixel) with probabilities."""
    (prediction,) = wb.classifier.predict([question])
    return prediction


def tmra_views(wb: Workbench, scene: str, granularity: str, boxes: Sequence[Box] = ()) -> ViewSet:
    """The TMRA views of ``scene`` (a :class:`ViewSet`; ``.report()`` is JSON-ready)."""
    return build_views(
        wb.scene(scene),
        Granularity(granularity),
        [PixelBox(*b) for b in boxes],
        image_size=wb.settings.image_view_size,
        pool=wb.settings.pool_factor,
        max_side=wb.settings.max_view_side,
    )


def propose_windows(
    wb: Workbench,
    scene: str,
    question: str,
    box: Box | None = None,
    k: int = 3,
    coverage: float | None = None,
) -> list[ProposedWindow]:
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
    mean = max(float(heat.values.mean()), 1e-12)
    return [
        ProposedWindow(heat.scene_box(w.cells).as_tuple(), w.score / mean, w.coverage)
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


def ask_vlm(wb: Workbench, question: str, views: ViewSet, max_new_tokens: int = 128) -> VLMReply:
    """Ask the profile's VLM ``question`` about ``views``; returns its text and token counts."""
    message = ChatMessage.user(question, [v.image for v in views.views])
    out = wb.answerer.generate([message], max_new_tokens=max_new_tokens)
    return VLMReply(out.text, out.prompt_tokens or 0, out.completion_tokens or 0, wb.meaningful)


def _window_geometry(wb: Workbench) -> tuple[int, int]:
    """Window size and stride in heat-map cells.

    The paper's 32/8 on a real VLM's grid, scaled down for the tiny profile's small views and
    for nano's 16-px cells.
    """
    return wb.profile.window_cells
