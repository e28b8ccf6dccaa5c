"""The image-feature encoder interface the pixel decoder reads from.

Any backbone that yields a feature pyramid of ``channels``-wide maps at ``strides`` of the crop can
feed the decoder: SAM2's Hiera + FPN (:mod:`geomag_core.decoder.sam2_encoder`) or the project's
compact model (a later issue).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch

__all__ = ["ImageFeatureEncoder", "padded_size"]


@runtime_checkable
class ImageFeatureEncoder(Protocol):
    """Multi-scale image features of a batch of crops.

    Attributes:
        channels: channels of every returned level (256 for SAM2's FPN).
        strides: the stride of each level relative to crop pixels, finest first (``(4, 8, 16)``).
        size_multiple: crops are zero-padded at the bottom/right to a multiple of this before
            encoding; level ``l`` then has ``padded_size / strides[l]`` rows and columns.

    """

    channels: int
    strides: tuple[int, ...]
    size_multiple: int

    def encode(self, images: torch.Tensor) -> list[torch.Tensor]:
        """Features of ``images``.

        Args:
            images: ``(B, 3, H, W)`` float RGB in ``[0, 1]``, crop pixels (row-major, origin at the
                crop's top-left corner).

        Returns:
            One ``(B, channels, Hp / s, Wp / s)`` tensor per stride ``s`` in :attr:`strides`,
            where ``(Hp, Wp)`` is ``(H, W)`` padded up to :attr:`size_multiple`. Level pixel
            ``(i, j)`` covers crop pixels ``[s*i, s*(i+1)) × [s*j, s*(j+1))``.

        """
        ...


def padded_size(height: int, width: int, multiple: int) -> tuple[int, int]:
    """``(height, width)`` rounded up to ``multiple``."""
    return (-(-height // multiple) * multiple, -(-width // multiple) * multiple)
