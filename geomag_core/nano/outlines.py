"""How long the objects are, given the outlines the model draws: growth and its spread per class.

The shipped weights outline *cores* of aircraft and tanks (targets shrunk to 0.7 so neighbours
stay apart). Growing every core by 1/0.7 assumed the model draws exactly that core; measured on
the training split it does not (aircraft: objects are a median 1.30 × their core, not 1.43, and
anywhere from 1.0 to 1.77 × for 90 % of them), so the largest widebodies grew past any possible
aircraft size and were refused. An :class:`OutlineScale` is that measurement: outlines grow by
the median, and the size rule refuses an instance only when no growth inside the measured spread
would give a possible size (:meth:`ObjectClass.plausible` with ``spread``). Whole outlines
(cars) are measured too, but stay as drawn under the hard size rule
(:meth:`~geomag_core.nano.predictor.NanoModel.outline_scale` says why).

For a round class (tanks, :attr:`~geomag_core.nano.classes.ObjectClass.round`) the same pairs
measure its **shape**: how elongated its true outlines are (:func:`elongation`, the ratio of the
outline's principal axes, so a disc is 1 whatever its size or orientation). The search refuses an
instance more elongated than the 99th percentile of the class's matched training outlines: asked
for tanks on an airport, the model also outlines the white, oval roof segments of a concourse
(1.6× as long as wide; true tank outlines: a median 1.1), and no size rule can tell them apart.

Measured by ``geomag train nano-outlines`` on training scenes (never the validation split) and
stored beside the weights as ``<weights>.outlines.json``; without that file the growth is the
recipe's ``1 / shrink`` with no spread and no shape rule (the behaviour before calibration).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from geomag_core.errors import CheckpointError

__all__ = ["OutlineScale", "elongation", "outlines_path", "read_outlines", "write_outlines"]

#: Percentile of the matched training outlines' elongation above which an instance is refused.
ELONGATION_PERCENTILE = 99


@dataclass(frozen=True)
class OutlineScale:
    """Object length over outline length for one class: median and its 5th–95th percentiles.

    Attributes:
        grow: outlines are grown by this (the median ratio) about their centre.
        low: 5th percentile of the ratio (≤ ``grow``).
        high: 95th percentile of the ratio (≥ ``grow``).
        pairs: matched (outline, object) pairs it was measured on (0: not measured).
        elongation: the most elongated outline the class is allowed (the
            ``ELONGATION_PERCENTILE``-th percentile of the matched outlines' :func:`elongation`;
            ``None``: not measured, no shape rule).

    """

    grow: float = 1.0
    low: float = 1.0
    high: float = 1.0
    pairs: int = 0
    elongation: float | None = None

    @classmethod
    def fixed(cls, grow: float) -> OutlineScale:
        """Growth by a recipe's constant, without a measured spread."""
        return cls(grow, grow, grow)

    @property
    def spread(self) -> tuple[float, float]:
        """How much shorter or longer than the grown outline the object may be (≤ 1, ≥ 1)."""
        return self.low / self.grow, self.high / self.grow


def elongation(mask: np.ndarray) -> float:
    """How many times longer than wide a mask is: the ratio of its principal axes (≥ 1).

    From the second moments of its pixels (each pixel a unit square), so it does not depend on
    the object's orientation or size: a disc is 1, a 2:1 rectangle or ellipse 2, and a
    one-pixel mask 1.
    """
    rows, cols = np.nonzero(mask)
    if rows.size < 2:
        return 1.0
    cov = np.cov(np.stack([rows, cols]).astype(np.float64)) + np.eye(2) / 12.0
    small, large = np.linalg.eigvalsh(cov)
    return float(np.sqrt(large / small))


def outlines_path(weights: Path) -> Path:
    """Where the calibration of ``weights`` lives: ``nano.safetensors`` → ``nano.outlines.json``."""
    return weights.with_name(f"{weights.stem}.outlines.json")


def read_outlines(weights: Path) -> dict[str, OutlineScale]:
    """Per-class calibration stored beside ``weights`` (empty when never calibrated)."""
    path = outlines_path(weights)
    if not path.is_file():
        return {}
    try:
        record: dict[str, Any] = json.loads(path.read_text())
        scales = {name: OutlineScale(**values) for name, values in record["classes"].items()}
        for scale in scales.values():  # numbers, not strings or lists: compared below
            for value in (scale.grow, scale.low, scale.high, scale.elongation or 1.0):
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise TypeError(f"{value!r} is not a number")
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise CheckpointError(
            f"the outline calibration {path} is unreadable ({type(exc).__name__}: {exc}). "
            f"Measure it again with `geomag train nano-outlines --weights {weights}`, or delete "
            "it to grow outlines by the recipe's constant."
        ) from exc
    for name, scale in scales.items():
        if not 0 < scale.low <= scale.grow <= scale.high or (
            scale.elongation is not None and not scale.elongation >= 1.0
        ):
            raise CheckpointError(
                f"the outline calibration {path} has an impossible growth or shape for {name!r} "
                f"(low {scale.low}, grow {scale.grow}, high {scale.high}, elongation "
                f"{scale.elongation}). Measure it again with "
                f"`geomag train nano-outlines --weights {weights}`."
            )
    return scales


def write_outlines(
    weights: Path, scales: dict[str, OutlineScale], provenance: dict[str, Any]
) -> Path:
    """Store ``scales`` beside ``weights`` with how they were measured."""
    path = outlines_path(weights)
    record = {"classes": {k: asdict(v) for k, v in scales.items()}, **provenance}
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path
