"""Fusion: a learned [SEG] query and the text tokens attend to the image tokens (eager attention).

Attention probabilities are returned (and kept in the autograd graph) so PSC can weight them by
their gradients, exactly as for a VLM's text→image attention.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["CrossAttention", "FusionLayer"]


class CrossAttention(nn.Module):
    """Multi-head attention of queries over image tokens, computed explicitly.

    Args:
        dim: token width.
        heads: attention heads (``dim`` divisible by it).

    """

    def __init__(self, *, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, dim)

    def forward(
        self, queries: torch.Tensor, image: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Attend.

        Args:
            queries: ``(B, Q, D)``.
            image: ``(B, N, D)`` image tokens.

        Returns:
            ``(B, Q, D)`` outputs and ``(B, heads, Q, N)`` attention probabilities.

        """
        b, q_len, d = queries.shape
        n = image.shape[1]
        h, hd = self.heads, d // self.heads
        q = self.q(queries).view(b, q_len, h, hd).transpose(1, 2)
        k = self.k(image).view(b, n, h, hd).transpose(1, 2)
        v = self.v(image).view(b, n, h, hd).transpose(1, 2)
        attn = torch.softmax(q @ k.transpose(-1, -2) / hd**0.5, dim=-1)
        out = (attn @ v).transpose(1, 2).reshape(b, q_len, d)
        return self.out(out), attn


class FusionLayer(nn.Module):
    """Pre-norm block: self-attention among [SEG]+text, cross-attention to image, MLP.

    Args:
        dim: token width.
        heads: attention heads.

    """

    def __init__(self, *, dim: int, heads: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.self_attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.norm_image = nn.LayerNorm(dim)
        self.cross = CrossAttention(dim=dim, heads=heads)
        self.norm3 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(
        self, queries: torch.Tensor, padding: torch.Tensor, image: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Update the queries.

        Args:
            queries: ``(B, Q, D)``; position 0 is [SEG].
            padding: ``(B, Q)`` True where a query is padding (ignored as a key).
            image: ``(B, N, D)`` image tokens.

        Returns:
            ``(B, Q, D)`` queries and the ``(B, heads, Q, N)`` cross-attention.

        """
        x = self.norm1(queries)
        queries = queries + self.self_attn(x, x, x, key_padding_mask=padding, need_weights=False)[0]
        crossed, attn = self.cross(self.norm2(queries), self.norm_image(image))
        queries = queries + crossed
        queries = queries + self.mlp(self.norm3(queries))
        return queries, attn
