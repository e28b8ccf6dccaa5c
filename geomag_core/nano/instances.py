"""Instances of a mask: its connected components (no torch, so light modules can use them)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

__all__ = ["TOKEN_STRIDE", "Instance", "instances_from_probs"]

#: Pixels per side of one image token (the fusion reads the stride-16 level).
TOKEN_STRIDE = 16


@dataclass(frozen=True, slots=True)
class Instance:
    """One connected component of a thresholded mask.

    Attributes:
        box: XYXY in the image's pixels (exclusive upper bounds).
        pixels: pixels in the component.
        score: mean probability over the component.

    """

    box: tuple[int, int, int, int]
    pixels: int
    score: float
    mask: NDArray[np.bool_] | None = None


def instances_from_probs(
    probs: NDArray[np.float32],
    threshold: float = 0.5,
    min_pixels: int = 6,
    *,
    with_masks: bool = False,
) -> list[Instance]:
    """Connected components (8-connectivity) of ``probs > threshold``, largest first.

    With ``with_masks`` each instance carries its component as a bool mask over its box.
    """
    labels, _ = ndimage.label(probs > threshold, structure=np.ones((3, 3), dtype=bool))
    out = []
    for i, sl in enumerate(ndimage.find_objects(labels), start=1):
        if sl is None:
            continue
        component = labels[sl] == i
        count = int(component.sum())
        if count < min_pixels:
            continue
        score = float(probs[sl][component].mean())
        box = (sl[1].start, sl[0].start, sl[1].stop, sl[0].stop)
        out.append(Instance(box, count, score, component if with_masks else None))
    return sorted(out, key=lambda x: -x.pixels)
