"""The numpy-facing mask API: crops + ``[SEG]`` hidden states in, masks and confidences out.

Crops are decoded in batches on the configured device (CUDA when ``GEOMAG_DEVICE=auto`` finds
one): crops with the same padded size share a batch, and each crop's ``[SEG]`` tokens fill the
decoder's slots (padding slots are masked out).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray

from geomag_core.config import Settings
from geomag_core.decoder.checkpoint import load_decoder
from geomag_core.decoder.features import ImageFeatureEncoder, padded_size
from geomag_core.decoder.pixel_decoder import DecoderOutput, PixelDecoder
from geomag_core.decoder.projection import SegProjection
from geomag_core.decoder.sam2_encoder import SAM2ImageEncoder, build_sam2_model
from geomag_core.decoder.sam_prompt import SAMPromptDecoder
from geomag_core.decoder.training import image_tensor
from geomag_core.vlm.transformers_backend import resolve_device

__all__ = ["CropMasks", "MaskPredictor", "build_mask_predictor"]


@dataclass(frozen=True)
class CropMasks:
    """Masks of one crop.

    Attributes:
        probs: ``(N, H, W)`` float32 probabilities in crop pixels, one per ``[SEG]``.
        confidence: ``(N,)`` float32 in ``[0, 1]``.

    """

    probs: NDArray[np.float32] = field(repr=False)
    confidence: NDArray[np.float32]

    def binary(self, threshold: float = 0.5) -> NDArray[np.bool_]:
        """``(N, H, W)`` bool masks."""
        return self.probs > threshold


class MaskPredictor:
    """Encoder + projection + decoder, run in batches under ``torch.inference_mode``.

    Args:
        encoder: the image-feature encoder (already on ``device``).
        projection: ``[SEG]`` projection (hidden → 256).
        decoder: :class:`PixelDecoder` or :class:`SAMPromptDecoder`.
        device: where everything runs.
        batch_size: crops per forward pass.

    """

    def __init__(
        self,
        *,
        encoder: ImageFeatureEncoder,
        projection: SegProjection,
        decoder: PixelDecoder | SAMPromptDecoder,
        device: torch.device,
        batch_size: int = 4,
    ) -> None:
        self.encoder = encoder
        self.projection = projection.to(device).eval()
        self.decoder = decoder.to(device).eval()
        self.device = device
        self.batch_size = max(1, batch_size)

    @torch.inference_mode()
    def predict(
        self, crops: Sequence[NDArray[np.uint8]], seg_hidden: Sequence[torch.Tensor]
    ) -> list[CropMasks]:
        """Masks for each crop.

        Args:
            crops: ``(H_i, W_i, 3)`` uint8 RGB crops (e.g. TMRA's ``crop2`` view).
            seg_hidden: per crop, ``(N_i, hidden)`` ``[SEG]`` hidden states (``N_i ≥ 0``).

        Returns:
            One :class:`CropMasks` per crop, in input order, with ``N_i`` masks.

        """
        if len(crops) != len(seg_hidden):
            raise ValueError(f"{len(crops)} crops but {len(seg_hidden)} [SEG] state sets")
        results: list[CropMasks | None] = [None] * len(crops)
        groups: dict[tuple[int, int, int, int], list[int]] = {}
        for i, crop in enumerate(crops):
            h, w = crop.shape[:2]
            groups.setdefault((h, w, *padded_size(h, w, self.encoder.size_multiple)), []).append(i)
        for (h, w, _, _), members in groups.items():
            for start in range(0, len(members), self.batch_size):
                chunk = members[start : start + self.batch_size]
                out = self._run([crops[i] for i in chunk], [seg_hidden[i] for i in chunk], (h, w))
                for row, i in enumerate(chunk):
                    n = int(seg_hidden[i].shape[0])
                    results[i] = CropMasks(
                        probs=out.masks[row, :n].float().cpu().numpy(),
                        confidence=out.confidence[row, :n].float().cpu().numpy(),
                    )
        return [r for r in results if r is not None]

    def _run(
        self, crops: list[NDArray[np.uint8]], hidden: list[torch.Tensor], size: tuple[int, int]
    ) -> DecoderOutput:
        images = image_tensor(crops).to(self.device)
        features = self.encoder.encode(images)
        tokens = max(1, max(int(h.shape[0]) for h in hidden))
        width = self.projection.hidden_size
        seg = torch.zeros(len(crops), tokens, width, device=self.device)
        valid = torch.zeros(len(crops), tokens, dtype=torch.bool, device=self.device)
        for row, states in enumerate(hidden):
            n = int(states.shape[0])
            seg[row, :n] = states.to(self.device, torch.float32)
            valid[row, :n] = True
        output: DecoderOutput = self.decoder(features, self.projection(seg), size, valid)
        return output


def build_mask_predictor(
    settings: Settings,
    *,
    hidden_size: int,
    decoder_weights: Path | None = None,
    prompt_sam: bool = False,
    batch_size: int = 4,
) -> MaskPredictor:
    """Assemble a predictor from configuration.

    Args:
        settings: ``sam2_config``/``sam2_checkpoint`` (random weights when unset), ``device``.
        hidden_size: the VLM's hidden width.
        decoder_weights: a file from ``geomag train decoder``; ``None`` = a seeded, untrained
            decoder (the ``tiny`` profile's meaningless masks).
        prompt_sam: use the GeoPixel/LISA path (SAM2's own mask decoder) instead of the GeoMag
            pixel decoder.
        batch_size: crops per forward pass.

    """
    device = resolve_device(settings.device)
    # Seeded before SAM2 too: without a checkpoint its weights are random, and unseeded they
    # differed per process (the tiny profile gave 4, 5, 17 or 21 masks for one question).
    torch.manual_seed(0)
    sam2 = build_sam2_model(settings.sam2_config, settings.sam2_checkpoint, device)
    torch.manual_seed(0)
    projection = SegProjection(hidden_size=hidden_size)
    decoder: PixelDecoder | SAMPromptDecoder = PixelDecoder()
    if decoder_weights is not None:
        decoder, loaded, _ = load_decoder(decoder_weights, hidden_size=hidden_size)
        projection = loaded or projection
    if prompt_sam:
        decoder = SAMPromptDecoder.from_sam2(sam2)
    return MaskPredictor(
        encoder=SAM2ImageEncoder.from_sam2(sam2).to(device),
        projection=projection,
        decoder=decoder,
        device=device,
        batch_size=batch_size,
    )
