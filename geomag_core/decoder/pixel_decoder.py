"""GeoMag's pixel decoder: one mask per ``[SEG]`` from multi-scale image features.

docs/architecture.md, mechanism 4. For every scale ``l`` of the feature pyramid and every ``[SEG]``
prompt ``s_n``::

    m_l^n = sigmoid(Conv(LayerNorm(Conv(concat(broadcast(s_n), f_l)))))

The scale masks are upsampled to the crop and fused with learnable weights ``ω`` (softmax over
scales): ``M_n = Σ_l ω_l up(m_l^n)``. Several ``[SEG]`` tokens of one answer are also fused with
learnable weights ``β`` (softmax over the tokens present) into ``M = Σ_n β_n M_n``, for answers
whose tokens all point at one region. Each ``M_n`` carries a confidence: its mean probability
over the pixels it claims (``M_n > 0.5``), 0 when it claims none.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["DecoderOutput", "LayerNorm2d", "PixelDecoder", "ScaleHead"]


@dataclass(frozen=True)
class DecoderOutput:
    """Masks for one batch of crops.

    Attributes:
        masks: ``(B, N, H, W)`` probabilities in crop pixels, one mask per ``[SEG]`` slot
            (slots past a crop's tokens are zero).
        confidence: ``(B, N)`` in ``[0, 1]``; zero for empty slots.
        fused: ``(B, H, W)`` the β-weighted fusion of each crop's ``[SEG]`` masks.
        scale_logits: per pyramid level, ``(B * N, 1, h, w)`` logits on its own grid, before
            the sigmoid (for losses that must not vanish where a sigmoid saturates).

    """

    masks: torch.Tensor
    confidence: torch.Tensor
    fused: torch.Tensor
    scale_logits: tuple[torch.Tensor, ...] = ()


class LayerNorm2d(nn.Module):
    """LayerNorm over the channels of a ``(B, C, H, W)`` map (as in SAM)."""

    def __init__(self, *, channels: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise ``(B, C, H, W)`` over ``C``; same shape out."""
        mean = x.mean(1, keepdim=True)
        var = (x - mean).pow(2).mean(1, keepdim=True)
        x = (x - mean) / torch.sqrt(var + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


class ScaleHead(nn.Module):
    """One scale: ``concat(seg, f) → Conv2d → LayerNorm → Conv2d(→1) → sigmoid``.

    Args:
        channels: width of the feature map and of the projected ``[SEG]`` (both 256 for SAM2).
        hidden_channels: width after the first convolution.
        kernel_size: of the first convolution (odd; same padding).

    """

    def __init__(self, *, channels: int, hidden_channels: int, kernel_size: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(2 * channels, hidden_channels, kernel_size, padding=kernel_size // 2)
        self.norm = LayerNorm2d(channels=hidden_channels)
        self.conv2 = nn.Conv2d(hidden_channels, 1, 1)

    def forward(self, seg: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        """Mask logits of one scale (the decoder applies the sigmoid).

        Args:
            seg: ``(M, C)`` projected ``[SEG]`` embeddings.
            features: ``(M, C, h, w)`` the matching feature map (level pixels).

        Returns:
            ``(M, 1, h, w)`` logits on the level's grid.

        """
        broadcast = seg[:, :, None, None].expand(-1, -1, *features.shape[-2:])
        x = torch.cat([broadcast, features], dim=1)
        out: torch.Tensor = self.conv2(self.norm(self.conv1(x)))
        return out


class PixelDecoder(nn.Module):
    """Masks from a feature pyramid and projected ``[SEG]`` embeddings.

    Args:
        channels: feature and prompt width (256).
        strides: stride of each pyramid level relative to crop pixels, finest first.
        hidden_channels: width inside each :class:`ScaleHead`.
        kernel_size: first convolution's kernel.
        max_seg_tokens: ``[SEG]`` slots per crop (length of ``β``).

    """

    def __init__(
        self,
        *,
        channels: int = 256,
        strides: tuple[int, ...] = (4, 8, 16),
        hidden_channels: int = 64,
        kernel_size: int = 3,
        max_seg_tokens: int = 8,
    ) -> None:
        super().__init__()
        self.channels = channels
        self.strides = tuple(strides)
        self.hidden_channels = hidden_channels
        self.kernel_size = kernel_size
        self.max_seg_tokens = max_seg_tokens
        self.heads = nn.ModuleList(
            ScaleHead(channels=channels, hidden_channels=hidden_channels, kernel_size=kernel_size)
            for _ in self.strides
        )
        self.scale_logits = nn.Parameter(torch.zeros(len(self.strides)))  # ω before softmax
        self.token_logits = nn.Parameter(torch.zeros(max_seg_tokens))  # β before softmax

    def forward(
        self,
        features: list[torch.Tensor],
        seg: torch.Tensor,
        out_size: tuple[int, int],
        seg_valid: torch.Tensor | None = None,
    ) -> DecoderOutput:
        """Decode masks.

        Args:
            features: one ``(B, C, Hp / s, Wp / s)`` map per stride ``s`` (see
                :class:`~geomag_core.decoder.features.ImageFeatureEncoder`).
            seg: ``(B, N, C)`` projected ``[SEG]`` embeddings, ``N ≤ max_seg_tokens``.
            out_size: ``(H, W)`` of the crops (before padding); masks are cut to it.
            seg_valid: ``(B, N)`` bool, which slots hold a real token (default: all).

        Returns:
            :class:`DecoderOutput` in crop pixels.

        """
        if len(features) != len(self.heads):
            raise ValueError(f"expected {len(self.heads)} feature levels, got {len(features)}")
        batch, tokens, _ = seg.shape
        if tokens > self.max_seg_tokens:
            raise ValueError(
                f"{tokens} [SEG] tokens per crop; the decoder has {self.max_seg_tokens}"
            )
        valid = (
            torch.ones(batch, tokens, dtype=torch.bool, device=seg.device)
            if seg_valid is None
            else seg_valid
        )
        height, width = out_size
        padded = (features[0].shape[-2] * self.strides[0], features[0].shape[-1] * self.strides[0])
        omega = torch.softmax(self.scale_logits, dim=0)
        flat_seg = seg.reshape(batch * tokens, -1)
        fused_scales = seg.new_zeros(batch * tokens, 1, *padded)
        logits = []
        for weight, head, level in zip(omega, self.heads, features, strict=True):
            level_rep = level.repeat_interleave(tokens, dim=0)
            logits.append(head(flat_seg, level_rep))
            mask = torch.sigmoid(logits[-1])
            fused_scales = fused_scales + weight * F.interpolate(
                mask, size=padded, mode="bilinear", align_corners=False
            )
        masks = fused_scales[:, 0, :height, :width].reshape(batch, tokens, height, width)
        masks = masks * valid[:, :, None, None]
        claimed = (masks > 0.5).to(masks.dtype)
        area = claimed.sum(dim=(2, 3))
        confidence = (masks * claimed).sum(dim=(2, 3)) / area.clamp(min=1.0)
        beta_logits = self.token_logits[:tokens].expand(batch, -1)
        beta = torch.softmax(beta_logits.masked_fill(~valid, float("-inf")), dim=1)
        beta = torch.nan_to_num(beta)  # crops without any token
        fused = (beta[:, :, None, None] * masks).sum(dim=1)
        return DecoderOutput(
            masks=masks, confidence=confidence, fused=fused, scale_logits=tuple(logits)
        )
