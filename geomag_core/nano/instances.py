"""Instances of a mask: its connected components (no torch, so light modules can use them).

A class the model outlines whole (cars) is also separated where its objects touch: each
component is split among the model's confident cores (``probs > seed_threshold``), each pixel
to its nearest core, so two cars parked side by side, one blob at 0.5, are two instances when
their cores are apart at the seed threshold. Classes outlined as cores (aircraft, tanks) are
already apart by training; dividing them too cost aircraft and tank precision (see the README).

Weights with a centre head (``geomag train nano --centre-weight``) also say where objects'
centres are: an instance's score is then the geometric mean of its mean mask probability and
the highest centre probability inside it, so a blob the mask is sure of but with no centre in it
(a roof, a round pond on an airport) scores low. On the tank validation split ranking by the two
together kept 5.5–9 points more recall at the same precision than the mean alone (README,
"Training"). The geometric mean keeps the score on a probability's scale, so one floor
(``MIN_INSTANCE_SCORE``) serves weights with and without the head.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

__all__ = ["SEED_THRESHOLD", "TOKEN_STRIDE", "Instance", "PixelMaps", "instances_from_probs"]

#: Pixels per side of one image token (the fusion reads the stride-16 level).
TOKEN_STRIDE = 16

#: Probability above which a whole-outline class's pixels seed an instance of their own. Chosen
#: on the car validation split: seeds 0.7 / 0.8 / 0.9 / 0.95 / 0.98 gave R@0.5 0.42 / 0.46 /
#: 0.48 / 0.46 / 0.37 and P@0.5 0.79 / 0.80 / 0.80 / 0.76 / 0.77; 0.9 is mid-plateau.
SEED_THRESHOLD = 0.9

_EIGHT = np.ones((3, 3), dtype=bool)


@dataclass(frozen=True)
class PixelMaps:
    """What the model says about each pixel of an image, in the image's own pixels.

    Attributes:
        probs: ``(H, W)`` mask probabilities.
        centres: ``(H, W)`` probabilities that an object's centre is here, for weights with a
            centre head (each cell of the head's grid repeated over its pixels); else ``None``.

    """

    probs: NDArray[np.float32]
    centres: NDArray[np.float32] | None = None

    @classmethod
    def empty(cls, shape: tuple[int, int], centres: bool) -> PixelMaps:
        """Zeros of ``shape`` (with a centre map when ``centres``), to merge reads into."""
        zeros = np.zeros(shape, np.float32)
        return cls(zeros, zeros.copy() if centres else None)

    def merge(self, rows: slice, cols: slice, part: PixelMaps) -> None:
        """Merge ``part`` into ``[rows, cols]`` in place, by the maximum (overlapping reads)."""
        region = self.probs[rows, cols]
        h, w = region.shape
        np.maximum(region, part.probs[:h, :w], out=region)
        if self.centres is not None and part.centres is not None:
            centres = self.centres[rows, cols]
            np.maximum(centres, part.centres[:h, :w], out=centres)

    def instances(
        self,
        threshold: float = 0.5,
        min_pixels: int = 6,
        *,
        with_masks: bool = False,
        seed_threshold: float | None = None,
    ) -> list[Instance]:
        """:func:`instances_from_probs` of these maps (scored with the centres when there are)."""
        return instances_from_probs(
            self.probs,
            threshold,
            min_pixels,
            with_masks=with_masks,
            seed_threshold=seed_threshold,
            centres=self.centres,
        )


@dataclass(frozen=True, slots=True)
class Instance:
    """One object: a connected component of a thresholded mask (or its part nearest one core).

    Attributes:
        box: XYXY in the image's pixels (exclusive upper bounds).
        pixels: pixels in the component.
        score: mean probability over the component; with a centre map, the geometric mean of
            that and the highest centre probability inside it.

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
    seed_threshold: float | None = None,
    centres: NDArray[np.float32] | None = None,
) -> list[Instance]:
    """Connected components (8-connectivity) of ``probs > threshold``, largest first.

    With ``with_masks`` each instance carries its component as a bool mask over its box. With
    ``seed_threshold``, a component holding several components of ``probs > seed_threshold``
    is divided among them (each pixel to its nearest seed): touching objects come apart. With
    ``centres`` (``probs``' shape), each score is the geometric mean of the mean probability and
    the highest centre probability in the component (see the module).
    """
    fg = probs > threshold
    labels, _ = ndimage.label(fg, structure=_EIGHT)
    if seed_threshold is not None:
        labels = _separated(probs, labels, seed_threshold)
    out = []
    for i, sl in enumerate(ndimage.find_objects(labels), start=1):
        if sl is None:
            continue
        component = labels[sl] == i
        count = int(component.sum())
        if count < min_pixels:
            continue
        score = float(probs[sl][component].mean())
        if centres is not None:
            score = float(np.sqrt(score * float(centres[sl][component].max())))
        box = (sl[1].start, sl[0].start, sl[1].stop, sl[0].stop)
        out.append(Instance(box, count, score, component if with_masks else None))
    return sorted(out, key=lambda x: -x.pixels)


def _separated(
    probs: NDArray[np.float32], labels: NDArray[np.int32], seed_threshold: float
) -> NDArray[np.int32]:
    """``labels`` with each component holding several seeds divided among them.

    Each pixel of such a component goes to its nearest seed (the seeds are the components of
    ``probs > seed_threshold`` inside it), so the division runs midway between the cores.
    """
    seeds, count = ndimage.label(probs > seed_threshold, structure=_EIGHT)
    if count < 2:
        return labels
    out = labels.copy()
    next_label = int(labels.max()) + 1
    for i, sl in enumerate(ndimage.find_objects(labels), start=1):
        if sl is None:
            continue
        inside = labels[sl] == i
        own = np.where(inside, seeds[sl], 0)
        ids = np.unique(own[own > 0])
        if len(ids) < 2:
            continue
        _, (rows, cols) = ndimage.distance_transform_edt(own == 0, return_indices=True)
        nearest = np.searchsorted(ids, own[rows, cols]) + next_label
        region = out[sl]
        region[inside] = nearest[inside]
        next_label += len(ids)
    return out
