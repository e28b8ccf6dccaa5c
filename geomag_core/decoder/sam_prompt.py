"""The GeoPixel/LISA path: a projected ``[SEG]`` as a sparse prompt to SAM2's own mask decoder.

An alternative to :class:`~geomag_core.decoder.pixel_decoder.PixelDecoder` with the same inputs
and output. SAM2's prompt encoder contributes only its dense "no mask" embedding and its random
Fourier positional encoding (computed for the crop's own feature grid, so any crop size that is a
multiple of 32 works); the ``[SEG]`` embedding is the single sparse prompt token.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from geomag_core.decoder.pixel_decoder import DecoderOutput

__all__ = ["SAMPromptDecoder"]


class SAMPromptDecoder(nn.Module):
    """SAM2's mask decoder prompted by projected ``[SEG]`` embeddings.

    Args:
        mask_decoder: ``sam2.modeling.sam.mask_decoder.MaskDecoder`` (with ``conv_s0``/``conv_s1``
            for high-resolution features).
        prompt_encoder: ``sam2.modeling.sam.prompt_encoder.PromptEncoder``.
        no_mem_embed: ``(1, 1, 256)`` SAM2's "no memory" embedding added to the /16 features of
            a single image.

    """

    strides: tuple[int, ...] = (4, 8, 16)

    def __init__(
        self, *, mask_decoder: nn.Module, prompt_encoder: nn.Module, no_mem_embed: torch.Tensor
    ) -> None:
        super().__init__()
        self.mask_decoder: Any = mask_decoder
        self.prompt_encoder: Any = prompt_encoder
        self.no_mem_embed = nn.Parameter(no_mem_embed.detach().clone())

    @classmethod
    def from_sam2(cls, model: Any) -> SAMPromptDecoder:
        """Take the mask decoder, prompt encoder and no-memory embedding of a SAM2 model."""
        return cls(
            mask_decoder=model.sam_mask_decoder,
            prompt_encoder=model.sam_prompt_encoder,
            no_mem_embed=model.no_mem_embed,
        )

    def forward(
        self,
        features: list[torch.Tensor],
        seg: torch.Tensor,
        out_size: tuple[int, int],
        seg_valid: torch.Tensor | None = None,
    ) -> DecoderOutput:
        """Decode one mask per ``[SEG]``.

        Args:
            features: ``[(B, 256, Hp/4, Wp/4), (B, 256, Hp/8, Wp/8), (B, 256, Hp/16, Wp/16)]``
                from :class:`~geomag_core.decoder.sam2_encoder.SAM2ImageEncoder`.
            seg: ``(B, N, 256)`` projected ``[SEG]`` embeddings.
            out_size: ``(H, W)`` of the crops before padding.
            seg_valid: ``(B, N)`` bool, which slots hold a real token (default: all).

        Returns:
            :class:`DecoderOutput`: masks in crop pixels, confidence = SAM2's predicted IoU
            (clamped to ``[0, 1]``), fused = the mean of the valid masks.

        """
        batch, tokens, dim = seg.shape
        valid = (
            torch.ones(batch, tokens, dtype=torch.bool, device=seg.device)
            if seg_valid is None
            else seg_valid
        )
        f4, f8, f16 = (level.repeat_interleave(tokens, dim=0) for level in features)
        grid = f16.shape[-2:]
        embed = f16 + self.no_mem_embed.view(1, dim, 1, 1)
        high_res = [self.mask_decoder.conv_s0(f4), self.mask_decoder.conv_s1(f8)]
        image_pe = self.prompt_encoder.pe_layer(tuple(grid)).unsqueeze(0)
        dense = self.prompt_encoder.no_mask_embed.weight.reshape(1, -1, 1, 1)
        dense = dense.expand(batch * tokens, -1, *grid)
        logits, iou, _, _ = self.mask_decoder(
            image_embeddings=embed,
            image_pe=image_pe,
            sparse_prompt_embeddings=seg.reshape(batch * tokens, 1, dim),
            dense_prompt_embeddings=dense,
            multimask_output=False,
            repeat_image=False,
            high_res_features=high_res,
        )
        padded = (grid[0] * self.strides[-1], grid[1] * self.strides[-1])
        up = F.interpolate(logits[:, :1], size=padded, mode="bilinear", align_corners=False)
        height, width = out_size
        masks = torch.sigmoid(up[:, 0, :height, :width]).reshape(batch, tokens, height, width)
        masks = masks * valid[:, :, None, None]
        confidence = iou[:, 0].reshape(batch, tokens).clamp(0.0, 1.0) * valid
        count = valid.sum(dim=1).clamp(min=1)[:, None, None]
        fused = masks.sum(dim=1) / count
        return DecoderOutput(masks=masks, confidence=confidence, fused=fused)
