"""The granularity head: an MLP ``d → 256 → 128 → 3`` over a frozen sentence embedding."""

from __future__ import annotations

import torch
from torch import nn

from geomag_core.classifier.labels import LABELS

__all__ = ["LABELS", "GranularityHead"]


class GranularityHead(nn.Module):
    """MLP classifier from a sentence embedding to the three granularities.

    ``Linear(d, 256) → ReLU → Linear(256, 128) → ReLU → Linear(128, 3)``, softmax on top
    (docs/architecture.md, mechanism 1). Dropout sits after each ReLU during training only; it has
    no parameters, so the state dict is the six tensors of the three linear layers.

    Args:
        embed_dim: ``d``, the sentence encoder's embedding size (384 for all-MiniLM-L6-v2).
        hidden_dims: sizes of the two hidden layers.
        num_classes: number of granularities (3, in :data:`LABELS` order).
        dropout: dropout probability after each hidden ReLU (training only).

    """

    def __init__(
        self,
        *,
        embed_dim: int,
        hidden_dims: tuple[int, int] = (256, 128),
        num_classes: int = len(LABELS),
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        if embed_dim < 1:
            raise ValueError(f"embed_dim must be positive, got {embed_dim}")
        self.embed_dim = embed_dim
        self.hidden_dims = hidden_dims
        self.num_classes = num_classes
        h1, h2 = hidden_dims
        self.layers = nn.Sequential(
            nn.Linear(embed_dim, h1),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(h1, h2),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(h2, num_classes),
        )

    def forward(self, embeddings: torch.Tensor) -> torch.Tensor:
        """Logits of each granularity.

        Args:
            embeddings: ``(N, d)`` float sentence embeddings.

        Returns:
            ``(N, 3)`` unnormalised logits, columns in :data:`LABELS` order.

        """
        if embeddings.ndim != 2 or embeddings.shape[1] != self.embed_dim:
            raise ValueError(
                f"expected embeddings of shape (N, {self.embed_dim}), got {tuple(embeddings.shape)}"
            )
        out: torch.Tensor = self.layers(embeddings)
        return out

    @torch.inference_mode()
    def probabilities(self, embeddings: torch.Tensor) -> torch.Tensor:
        """Softmax probabilities, computed without gradients.

        Args:
            embeddings: ``(N, d)`` float sentence embeddings.

        Returns:
            ``(N, 3)`` probabilities in :data:`LABELS` order; each row sums to 1.

        """
        return torch.softmax(self(embeddings), dim=-1)
