"""The ``[SEG]`` projection: a VLM hidden state into the decoder's prompt space."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["SegProjection"]


class SegProjection(nn.Module):
    """``hidden → dim → dim`` with a ReLU between (docs/architecture.md, mechanism 4).

    Args:
        hidden_size: width of the VLM's last hidden layer (64 for the tiny VLM).
        dim: prompt width; 256 to match SAM2's FPN.

    """

    def __init__(self, *, hidden_size: int, dim: int = 256) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.dim = dim
        self.layers = nn.Sequential(
            nn.Linear(hidden_size, dim), nn.ReLU(inplace=True), nn.Linear(dim, dim)
        )

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """Project ``(..., hidden_size)`` ``[SEG]`` hidden states to ``(..., dim)``."""
        out: torch.Tensor = self.layers(hidden)
        return out
