"""Pixel and vision-token budgets, and the two baselines every set of views is compared with.

Token counts follow a ViT patch geometry: an image is snapped to a multiple of
``patch_size × merge_size`` pixels per side (Qwen2-VL's ``smart_resize`` rounding, with its
minimum size but without its maximum, so large inputs are counted at their nominal size), and
every ``merge_size × merge_size`` patch group is one token. The default (14-px patches merged
2×2) gives one token per 28×28 px. Special tokens around each image are not counted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Budget",
    "LookBudget",
    "VisionTokenGeometry",
    "native_baseline",
    "tiling_baseline",
]


@dataclass(frozen=True, slots=True)
class VisionTokenGeometry:
    """How a VLM turns an image into tokens (default: Qwen2-VL)."""

    patch_size: int = 14
    merge_size: int = 2
    min_pixels: int = 56 * 56

    @property
    def factor(self) -> int:
        """Side in pixels of the square that becomes one token."""
        return self.patch_size * self.merge_size

    def tokens(self, height: int, width: int) -> int:
        """Vision tokens for an image of ``height``×``width`` pixels."""
        f = self.factor
        h = max(f, round(height / f) * f)
        w = max(f, round(width / f) * f)
        if h * w < self.min_pixels:
            beta = math.sqrt(self.min_pixels / (height * width))
            h = math.ceil(height * beta / f) * f
            w = math.ceil(width * beta / f) * f
        return (h // f) * (w // f)


@dataclass(frozen=True, slots=True)
class Budget:
    """What one way of looking at a scene costs."""

    pixels: int
    tokens: int

    def ratio_to(self, other: Budget) -> dict[str, float]:
        """Fractions of ``other`` that this budget spends (pixels and tokens)."""
        return {
            "pixels": self.pixels / other.pixels if other.pixels else math.nan,
            "tokens": self.tokens / other.tokens if other.tokens else math.nan,
        }


def native_baseline(width: int, height: int, geometry: VisionTokenGeometry) -> Budget:
    """The whole scene at native resolution, as one image."""
    return Budget(pixels=width * height, tokens=geometry.tokens(height, width))


def tiling_baseline(
    width: int, height: int, geometry: VisionTokenGeometry, tile: int = 560
) -> Budget:
    """GeoPixel-style tiling of the scene, plus one global ``tile``×``tile`` view.

    The tiles cover the scene at native resolution (edge tiles padded, no cap on their number).
    """
    n_tiles = math.ceil(width / tile) * math.ceil(height / tile) + 1
    return Budget(pixels=n_tiles * tile * tile, tokens=n_tiles * geometry.tokens(tile, tile))


@dataclass(frozen=True, slots=True)
class LookBudget:
    """What one question's views cost, beside the two baselines for the same scene.

    Attributes:
        views: pixels and tokens of the views the models were shown (not the zoom heat maps).
        native: the whole scene at native resolution, as one image.
        tiling: GeoPixel-style tiling of the scene.
        searched_fraction: share of the scene seen at native resolution (0–1).

    """

    views: Budget
    native: Budget
    tiling: Budget
    searched_fraction: float = 0.0

    @classmethod
    def of(
        cls,
        width: int,
        height: int,
        views: Budget,
        searched_fraction: float = 0.0,
        geometry: VisionTokenGeometry | None = None,
    ) -> LookBudget:
        """The budget of ``views`` on a ``width``×``height`` scene."""
        geometry = geometry or VisionTokenGeometry()
        return cls(
            views=views,
            native=native_baseline(width, height, geometry),
            tiling=tiling_baseline(width, height, geometry),
            searched_fraction=searched_fraction,
        )

    def __add__(self, other: LookBudget) -> LookBudget:
        """Two looks at one scene as one: pixels and tokens add, the searched share is the max."""
        return LookBudget(
            views=Budget(
                self.views.pixels + other.views.pixels, self.views.tokens + other.views.tokens
            ),
            native=self.native,
            tiling=self.tiling,
            searched_fraction=max(self.searched_fraction, other.searched_fraction),
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: each budget, the ratios to both baselines and the searched share."""
        return {
            "views": {"pixels": self.views.pixels, "tokens": self.views.tokens},
            "native": {"pixels": self.native.pixels, "tokens": self.native.tokens},
            "tiling": {"pixels": self.tiling.pixels, "tokens": self.tiling.tokens},
            "ratio_to_native": self.views.ratio_to(self.native),
            "ratio_to_tiling": self.views.ratio_to(self.tiling),
            "searched_fraction": self.searched_fraction,
        }
