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

__all__ = ["Budget", "VisionTokenGeometry", "native_baseline", "tiling_baseline"]


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
