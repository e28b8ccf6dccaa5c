"""Mask losses: binary cross-entropy plus Dice, on probabilities in crop pixels."""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["bce_loss", "dice_loss", "mask_loss"]

_EPS = 1e-6


def bce_loss(
    probs: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None
) -> torch.Tensor:
    """Mean pixel BCE of ``(..., H, W)`` probabilities against a same-shape {0, 1} target.

    ``weight``: per-pixel weights of the same shape (``None``: every pixel counts once).

    Probabilities are clamped to ``[ε, 1 − ε]`` in value only: the gradient passes the clamp,
    so a mask that saturated at 0 (or 1) early in training still learns (a plain clamp gives
    those pixels no gradient, and a model can collapse to an all-empty mask for good).
    """
    clamped = probs + (probs.clamp(_EPS, 1 - _EPS) - probs).detach()
    return F.binary_cross_entropy(clamped, target.to(probs.dtype), weight=weight)


def dice_loss(probs: torch.Tensor, target: torch.Tensor, smooth: float = 1.0) -> torch.Tensor:
    """``1 - Dice`` per mask (soft, smoothed), averaged over the leading dimensions."""
    p = probs.flatten(-2)
    t = target.to(probs.dtype).flatten(-2)
    dice = (2 * (p * t).sum(-1) + smooth) / (p.sum(-1) + t.sum(-1) + smooth)
    return (1 - dice).mean()


def mask_loss(
    probs: torch.Tensor,
    target: torch.Tensor,
    *,
    bce_weight: float = 1.0,
    dice_weight: float = 1.0,
    pixel_weight: torch.Tensor | None = None,
) -> torch.Tensor:
    """``bce_weight · BCE + dice_weight · Dice`` of ``(..., H, W)`` probabilities and targets.

    ``pixel_weight`` weighs the BCE's pixels (:func:`bce_loss`); the Dice term is unweighted.
    """
    bce = bce_loss(probs, target, pixel_weight)
    return bce_weight * bce + dice_weight * dice_loss(probs, target)
