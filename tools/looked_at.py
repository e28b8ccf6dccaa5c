"""What a question looked at: one definition for the answer, the trail, the CLI and the database.

The pixels (and vision tokens) of every image the models were shown for a question: the views'
budget (the VLM's TMRA views, or nano's heat-map overview) plus each zoom step's own heat-map view
and native-resolution read (:attr:`~geomag_core.psc.zoom.ZoomStep.pixels`).
:func:`tools.storing.store_question` stores this sum as the query's ``pixels`` and ``tokens``;
the answer's last line, the trail's views line, ``geomag ask --json``'s
``looked_at`` and the app's caption all read it from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from geomag_core.budget import LookBudget
from geomag_core.psc.zoom import ZoomStep

__all__ = ["LookedAt"]


@dataclass(frozen=True)
class LookedAt:
    """Scene pixels and vision tokens a question looked at, beside the scene's own pixels.

    Attributes:
        pixels: pixels of every view and heat-map view (overlaps counted each time).
        tokens: vision tokens of the same images.
        scene_pixels: the scene's native pixel count (width × height).

    """

    pixels: int
    tokens: int
    scene_pixels: int

    @property
    def ratio(self) -> float:
        """``pixels`` over the scene's pixel count (above 1 when views overlap)."""
        return self.pixels / max(self.scene_pixels, 1)

    @classmethod
    def of(cls, budget: LookBudget | None, zoom_steps: Iterable[ZoomStep]) -> LookedAt | None:
        """From a question's views budget and zoom trail; ``None`` without a budget."""
        if budget is None:
            return None
        steps = list(zoom_steps)
        return cls(
            pixels=budget.views.pixels + sum(z.pixels for z in steps),
            tokens=budget.views.tokens + sum(z.tokens for z in steps),
            scene_pixels=budget.native.pixels,
        )

    @classmethod
    def from_dict(cls, record: Mapping[str, object]) -> LookedAt:
        """Back from :meth:`as_dict` (a JSON record's ``looked_at``)."""
        return cls(
            int(str(record["pixels"])), int(str(record["tokens"])), int(str(record["scene_pixels"]))
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: ``pixels``, ``tokens``, ``scene_pixels`` and ``ratio``."""
        return {
            "pixels": self.pixels,
            "tokens": self.tokens,
            "scene_pixels": self.scene_pixels,
            "ratio": round(self.ratio, 6),
        }

    def spent(self) -> str:
        """``N px, M tokens (X% of the scene's pixels)``, as the step trail says it."""
        return (
            f"{self.pixels:,} px, {self.tokens:,} tokens ({self.ratio:.1%} of the scene's pixels)"
        )

    def line(self) -> str:
        """The sentence the answer ends with: pixels, share of the scene, vision tokens."""
        return (
            f"Looked at {self.pixels:,} pixels, {self.ratio:.1%} of the scene's, heat maps "
            f"included ({self.tokens:,} vision tokens)."
        )

    def across_dates(self) -> str:
        """The sentence a change question's answer ends with (pixels read over every date)."""
        return f"Read {self.pixels:,} pixels across the dates ({self.ratio:.2g}× this scene's)."
