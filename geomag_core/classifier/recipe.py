"""The recipe of ``geomag train classifier``.

A plain dataclass, so the CLI shows its defaults without loading torch.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TrainConfig"]


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of one training run."""

    seed: int = 0
    """Seeds the head's initialisation, dropout and the batch order."""
    epochs: int = 40
    """Passes over the training corpus."""
    batch_size: int = 32
    """Queries per optimiser step."""
    lr: float = 1e-3
    """AdamW learning rate."""
    weight_decay: float = 1e-2
    """AdamW weight decay."""
    dropout: float = 0.1
    """Dropout after each hidden ReLU."""
    label_smoothing: float = 0.05
    """Cross-entropy label smoothing (keeps the probabilities from saturating)."""
