"""Gradient-weighted attention (the PSC heat map's core), as a pure function of tensors."""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = ["gradient_weighted_attention"]


def gradient_weighted_attention(
    attentions: Sequence[torch.Tensor],
    gradients: Sequence[torch.Tensor | None],
    rows: torch.Tensor,
    cols: torch.Tensor,
) -> tuple[torch.Tensor, bool]:
    """Mean over layers, heads and ``rows`` of ReLU(∂L/∂A) ⊙ A, restricted to ``cols``.

    Args:
        attentions: per layer, ``(heads, queries, keys)`` attention probabilities A.
        gradients: per layer, ∂L/∂A of the same shape (``None`` when L does not depend on it).
        rows: 1-D indices of the query positions that produce L (the text side).
        cols: 1-D indices of the key positions of one image's tokens.

    Returns:
        ``(len(cols),)`` heat and whether it is gradient-weighted. When every weighted value is
        zero (L does not reach these attentions, or all gradients are negative), the heat falls
        back to the plain attention A over the same rows and columns, flagged ``False``, rather
        than an all-zero map that would make every window tie.

    """
    weighted, plain = [], []
    for attention, gradient in zip(attentions, gradients, strict=True):
        a = attention.detach()[:, rows][:, :, cols]
        plain.append(a.mean(dim=(0, 1)))
        if gradient is not None:
            g = gradient.detach()[:, rows][:, :, cols]
            weighted.append((g.clamp(min=0) * a).mean(dim=(0, 1)))
    if weighted:
        heat = torch.stack(weighted).mean(dim=0)
        if torch.isfinite(heat).all() and heat.sum() > 0:
            return heat, True
    return torch.stack(plain).mean(dim=0), False
