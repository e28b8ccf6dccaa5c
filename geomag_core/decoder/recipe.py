"""The recipe of ``geomag train decoder``.

A plain dataclass, so the CLI shows its defaults without loading torch.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DecoderTrainConfig"]


@dataclass(frozen=True)
class DecoderTrainConfig:
    """Hyper-parameters of :func:`~geomag_core.decoder.training.train_decoder`."""

    steps: int = 200
    batch_size: int = 4
    lr: float = 1e-3
    weight_decay: float = 0.0
    seed: int = 0
    train_projection: bool = True
    bce_weight: float = 1.0
    dice_weight: float = 1.0
