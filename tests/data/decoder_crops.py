"""Seeded toy data for the pixel decoder: bright rectangles on dark noise, with their masks."""

from __future__ import annotations

import numpy as np

from geomag_core.decoder.dataset import DecoderSample


def toy_samples(n: int, size: int = 64, seed: int = 0) -> list[DecoderSample]:
    """``n`` crops of ``size``² with one bright rectangle each; the mask is the rectangle."""
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(n):
        image = rng.integers(0, 60, (size, size, 3), dtype=np.uint8)
        mask = np.zeros((size, size), dtype=bool)
        h, w = rng.integers(size // 4, size // 2, 2)
        y, x = rng.integers(0, size - h), rng.integers(0, size - w)
        mask[y : y + h, x : x + w] = True
        image[mask] = rng.integers(180, 255, (int(mask.sum()), 3), dtype=np.uint8)
        samples.append(DecoderSample(image, "segment the bright rectangle", mask, "It is [SEG]."))
    return samples
