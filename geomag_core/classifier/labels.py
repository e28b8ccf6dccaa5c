"""The granularity head's output order, kept free of torch so the CLI can name it cheaply."""

from __future__ import annotations

from geomag_core.granularity import Granularity

__all__ = ["LABELS"]

#: Output order of the head: index ``i`` of the logits/probabilities is ``LABELS[i]``.
LABELS: tuple[Granularity, ...] = (Granularity.IMAGE, Granularity.REGION, Granularity.PIXEL)
