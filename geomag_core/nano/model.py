"""GeoMag-nano: EfficientNet-Lite0 pyramid + MiniLM tokens + [SEG] fusion + the pixel decoder.

Frames: every image tensor is crop pixels, row-major, origin at the crop's top-left; level ``l``
of the pyramid has stride ``s_l`` (4, 8, 16; 2, 4, 8, 16 for a head built with
``finest_stride=2``). Image tokens are the stride-16 level, flattened
row-major: token ``i`` covers crop pixels ``[16 r, 16 (r+1)) × [16 c, 16 (c+1))`` with
``(r, c) = divmod(i, grid_w)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from geomag_core.decoder.pixel_decoder import DecoderOutput, PixelDecoder, ScaleHead
from geomag_core.decoder.projection import SegProjection
from geomag_core.nano.backbone import BACKBONE_CHANNELS, BACKBONE_STRIDES
from geomag_core.nano.fusion import FusionLayer
from geomag_core.nano.text import TEXT_DIM, TextTokens

__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "NanoHead", "NanoNeck", "NanoOutput", "normalise"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def normalise(images: torch.Tensor) -> torch.Tensor:
    """``(B, 3, H, W)`` RGB in ``[0, 1]`` → ImageNet-normalised."""
    mean = images.new_tensor(IMAGENET_MEAN)[None, :, None, None]
    std = images.new_tensor(IMAGENET_STD)[None, :, None, None]
    return (images - mean) / std


class NanoNeck(nn.Module):
    """A small FPN: 1×1 laterals to ``channels`` and a top-down sum, 3×3 smoothing.

    Input: the backbone's levels of ``in_channels`` (the last is stride 32). Output: one level
    fewer, ``(B, channels, H/s, W/s)``, finest first (strides 4, 8, 16 for the default input).
    """

    def __init__(
        self, *, channels: int, in_channels: tuple[int, ...] = BACKBONE_CHANNELS[1:]
    ) -> None:
        super().__init__()
        self.lateral = nn.ModuleList(nn.Conv2d(c, channels, 1) for c in in_channels)
        self.smooth = nn.ModuleList(
            nn.Conv2d(channels, channels, 3, padding=1) for _ in in_channels[:-1]
        )

    def forward(self, levels: list[torch.Tensor]) -> list[torch.Tensor]:
        """Pyramid of ``len(levels) - 1`` maps, finest first."""
        x = self.lateral[-1](levels[-1])
        outs: list[torch.Tensor] = []
        for i in range(len(levels) - 2, -1, -1):
            up = F.interpolate(x, size=levels[i].shape[-2:], mode="nearest")
            x = self.lateral[i](levels[i]) + up
            outs.append(F.relu(self.smooth[i](x)))
        return outs[::-1]


@dataclass(frozen=True)
class NanoOutput:
    """One forward pass.

    Attributes:
        decoded: the pixel decoder's masks ``(B, 1, H, W)`` in crop pixels and confidences.
        attentions: per fusion layer, ``(B, heads, Q, N)`` [SEG]+text → image attention.
        grid: ``(rows, cols)`` of the image-token grid (stride 16).
        query_valid: ``(B, Q)`` which query rows are real ([SEG] and text tokens).
        centre_logits: a head built with ``centres``: ``(B, 1, h, w)`` logits of "an object's
            centre is in this cell" on the decoder's finest grid (stride 4, or 2); else ``None``.

    """

    decoded: DecoderOutput
    attentions: list[torch.Tensor]
    grid: tuple[int, int]
    query_valid: torch.Tensor
    centre_logits: torch.Tensor | None = None


class NanoHead(nn.Module):
    """Everything trained by ``geomag train nano``: neck, fusion, [SEG] projection, decoder.

    Args:
        channels: pyramid width and decoder prompt width.
        dim: fusion token width.
        heads: attention heads.
        layers: fusion layers.
        decoder_hidden: width inside each decoder scale head.
        finest_stride: the decoder's finest level: 4, or 2 to decode from the backbone's stem too
            (``geomag train nano --finest-stride 2``).
        centres: also predict where objects' centres are, on the finest level, from the same
            [SEG] prompt (``geomag train nano --centre-weight``): a second opinion on each
            instance, learned with a focal loss that weighs confident mistakes most.

    """

    def __init__(
        self,
        *,
        channels: int = 32,
        dim: int = 128,
        heads: int = 4,
        layers: int = 2,
        decoder_hidden: int = 16,
        finest_stride: int = 4,
        centres: bool = False,
    ) -> None:
        super().__init__()
        if finest_stride not in BACKBONE_STRIDES[:2]:
            raise ValueError(f"finest_stride must be 2 or 4, not {finest_stride}")
        self.config = {
            "channels": channels,
            "dim": dim,
            "heads": heads,
            "layers": layers,
            "decoder_hidden": decoder_hidden,
        }
        if finest_stride != 4:  # weights from before the option keep their config
            self.config["finest_stride"] = finest_stride
        if centres:  # likewise: weights without a centre head keep their config
            self.config["centres"] = True
        first = BACKBONE_STRIDES.index(finest_stride)
        #: how many backbone levels, the coarsest last, the head reads
        self.reads = len(BACKBONE_STRIDES) - first
        self.neck = NanoNeck(channels=channels, in_channels=BACKBONE_CHANNELS[first:])
        self.image_proj = nn.Linear(channels, dim)
        self.text_proj = nn.Linear(TEXT_DIM, dim)
        self.seg_query = nn.Parameter(torch.randn(dim) * 0.02)
        self.fusion = nn.ModuleList(FusionLayer(dim=dim, heads=heads) for _ in range(layers))
        self.seg_norm = nn.LayerNorm(dim)
        self.projection = SegProjection(hidden_size=dim, dim=channels)
        self.decoder = PixelDecoder(
            channels=channels,
            strides=BACKBONE_STRIDES[first:-1],
            hidden_channels=decoder_hidden,
            max_seg_tokens=1,
        )
        self.centre: ScaleHead | None = None
        if centres:
            centre = ScaleHead(channels=channels, hidden_channels=decoder_hidden, kernel_size=3)
            # Start at p = 0.1 everywhere, as CenterNet's heat-map heads do: a focal loss
            # from 0.5 spends its first steps pushing down the background alone.
            bias = centre.conv2.bias
            if bias is not None:  # a 1×1 convolution built with its bias (the default)
                nn.init.constant_(bias, -2.19)
            self.centre = centre

    def forward(
        self, levels: list[torch.Tensor], text: TextTokens, out_size: tuple[int, int]
    ) -> NanoOutput:
        """Masks for each crop and its text.

        Args:
            levels: backbone levels of ``(B, 3, Hp, Wp)`` padded crops, the coarsest (stride 32)
                last; the head reads the last :attr:`reads` of them.
            text: ``B`` texts' MiniLM token states.
            out_size: ``(H, W)`` of the unpadded crops.

        """
        pyramid = self.neck(levels[-self.reads :])
        tokens_map = pyramid[-1]
        b, _, rows, cols = tokens_map.shape
        image = self.image_proj(tokens_map.flatten(2).transpose(1, 2))
        seg = self.seg_query.expand(b, 1, -1)
        queries = torch.cat([seg, self.text_proj(text.hidden)], dim=1)
        valid = torch.cat([text.valid.new_ones(b, 1), text.valid], dim=1)
        attentions = []
        for layer in self.fusion:
            queries, attn = layer(queries, ~valid, image)
            attentions.append(attn)
        prompt = self.projection(self.seg_norm(queries[:, :1]))
        decoded = self.decoder(pyramid, prompt, out_size)
        centre = None if self.centre is None else self.centre(prompt[:, 0], pyramid[0])
        return NanoOutput(decoded, attentions, (rows, cols), valid, centre)
