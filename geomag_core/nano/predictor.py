"""The numpy-facing nano model: crops + a query in, mask probabilities, instances and heat out.

Frames: an image is ``(H, W, 3)`` uint8 RGB in its own pixels (a crop or a resized view); every
output is in those pixels: probabilities ``(H, W)``, instance boxes XYXY, heat on the stride-16
token grid (cell ``(r, c)`` covers pixels ``[16 r, 16 r + 16) × [16 c, 16 c + 16)``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray

from geomag_core.decoder.features import padded_size
from geomag_core.nano.backbone import build_backbone
from geomag_core.nano.checkpoint import SHIPPED_WEIGHTS, load_backbone, load_head
from geomag_core.nano.classes import ObjectClass
from geomag_core.nano.instances import TOKEN_STRIDE, Instance, PixelMaps, instances_from_probs
from geomag_core.nano.model import NanoHead, NanoOutput, normalise
from geomag_core.nano.outlines import OutlineScale, read_outlines
from geomag_core.nano.text import TextTokens, text_tokens
from geomag_core.vlm.attention_heat import gradient_weighted_attention

__all__ = [
    "TOKEN_STRIDE",
    "Instance",
    "NanoFeatureEncoder",
    "NanoLook",
    "NanoModel",
    "PixelMaps",
    "instances_from_probs",
]

_MULTIPLE = 32


@dataclass(frozen=True)
class NanoLook:
    """What one look at an image gives: heat on the token grid and mask probabilities.

    Attributes:
        heat: ``(ceil(H / 16), ceil(W / 16))`` gradient-weighted attention, ≥ 0.
        weighted: whether the heat is gradient-weighted (else plain attention).
        probs: ``(H, W)`` mask probabilities in the image's pixels.
        centres: ``(H, W)`` centre probabilities (weights with a centre head), else ``None``.

    """

    heat: NDArray[np.float64]
    weighted: bool
    probs: NDArray[np.float32]
    centres: NDArray[np.float32] | None = None

    @property
    def maps(self) -> PixelMaps:
        """The look's per-pixel maps."""
        return PixelMaps(self.probs, self.centres)


class NanoFeatureEncoder:
    """Backbone + the head's neck: an :class:`~geomag_core.decoder.features.ImageFeatureEncoder`.

    ``encode`` returns ``channels``-wide maps at the head decoder's strides (``(4, 8, 16)``, or
    ``(2, 4, 8, 16)`` for a head with ``finest_stride=2``).
    """

    size_multiple = _MULTIPLE

    def __init__(self, backbone: torch.nn.Module, head: NanoHead) -> None:
        self.backbone = backbone
        self.head = head
        self.channels: int = head.decoder.channels
        self.strides: tuple[int, ...] = head.decoder.strides

    def pad(self, images: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W)`` images in ``[0, 1]``, normalised and zero-padded to a multiple of 32.

        Crops that pad to the same size can then go through together
        (:meth:`NanoModel.segment_many`).
        """
        h, w = int(images.shape[-2]), int(images.shape[-1])
        ph, pw = padded_size(h, w, _MULTIPLE)
        return F.pad(normalise(images), (0, pw - w, 0, ph - h))

    def levels(self, images: torch.Tensor, padded: bool = False) -> list[torch.Tensor]:
        """Backbone levels (strides 2/4/8/16/32) of ``(B, 3, H, W)`` images in ``[0, 1]``.

        With ``padded``, ``images`` are already :meth:`pad`-ded.
        """
        ready = images if padded else self.pad(images)
        # Channels-last: the depthwise convolutions run about 2x faster on CPU (oneDNN) at
        # 640 and 1,024 px; same weights, same probabilities to ~1e-6.
        out: list[torch.Tensor] = self.backbone(ready.contiguous(memory_format=torch.channels_last))
        return out

    def encode(self, images: torch.Tensor) -> list[torch.Tensor]:
        """``(B, channels, Hp / s, Wp / s)`` for ``s`` in :attr:`strides`."""
        out: list[torch.Tensor] = self.head.neck(self.levels(images)[-self.head.reads :])
        return out


class NanoModel:
    """Backbone + trained head on one device.

    Args:
        head: the trained :class:`NanoHead`.
        backbone: EfficientNet-Lite0 levels (default: the packaged ImageNet weights; weights
            trained with ``--tune-backbone`` carry their own, see :meth:`load`).
        device: torch device name.
        target_shrink: the weights were trained on object cores (ellipses shrunk by this
            factor); instances grow back by its inverse.
        magnifies: the weights were trained on magnified views of classes with a ``zoom``
            (:class:`~geomag_core.nano.classes.ObjectClass`), so the search magnifies them too.
        zooms: per class, the magnification the weights learned where it is not the class's
            own ``zoom`` (``geomag train nano --zoom``).
        whole_classes: classes trained on whole ellipses despite ``target_shrink``.
        outlines: per class, how the outlines these weights draw relate to the objects
            (measured beside the weights, :mod:`geomag_core.nano.outlines`).

    """

    def __init__(
        self,
        head: NanoHead,
        backbone: torch.nn.Module | None = None,
        device: str | torch.device = "cpu",
        target_shrink: float = 1.0,
        magnifies: bool = True,
        whole_classes: tuple[str, ...] = (),
        outlines: dict[str, OutlineScale] | None = None,
        zooms: dict[str, float] | None = None,
    ) -> None:
        self.target_shrink = target_shrink
        self.zooms = zooms or {}
        self.outlines = outlines or {}
        self.whole_classes = whole_classes
        self.magnifies = magnifies
        self.device = torch.device(device)
        self.head = head.to(self.device).eval()
        self.backbone = (
            (backbone or build_backbone(pretrained=True))
            .to(self.device)
            .to(memory_format=torch.channels_last)
            .eval()
        )
        self.encoder = NanoFeatureEncoder(self.backbone, self.head)
        self._texts: dict[str, TextTokens] = {}

    @classmethod
    def load(cls, weights: Path | None = None, device: str | torch.device = "cpu") -> NanoModel:
        """The shipped (or given) weights on ``device``."""
        head, meta = load_head(weights)
        outlines = read_outlines(weights or SHIPPED_WEIGHTS)
        config = json.loads(meta.get("train_config", "{}"))
        # Weights from before magnification (no ``magnify`` key) never saw magnified crops.
        return cls(
            head,
            backbone=load_backbone(weights),  # None: the packaged ImageNet one
            device=device,
            target_shrink=float(config.get("target_shrink", 1.0)),
            magnifies=bool(config.get("magnify", False)),
            whole_classes=tuple(config.get("whole_classes", ())),
            outlines=outlines,
            zooms={name: float(z) for name, z in config.get("zoom", ())},
        )

    def zoom_for(self, target: ObjectClass) -> float:
        """How much the search magnifies native reads of ``target``: as these weights learned."""
        if not self.magnifies:
            return 1.0
        return self.zooms.get(target.name, target.zoom)

    def shrink_for(self, name: str) -> float:
        """The core factor the weights learned for class ``name`` (1.0: whole outlines)."""
        return 1.0 if name in self.whole_classes else self.target_shrink

    def outline_scale(self, name: str) -> OutlineScale:
        """How class ``name``'s outlines grow to its objects: measured for cores, else fixed.

        Only cores (targets shrunk in training) grow by the measured median and get its spread
        in the size rule. A whole outline (cars) is the object's own: grown by its measured
        median (1.07) it lost car recall and precision on the validation split, and the
        spread let nose-to-tail merges through as single cars, so it stays as drawn. The measured
        shape rule (``elongation``) applies to both.
        """
        measured = self.outlines.get(name)
        shrink = self.shrink_for(name)
        if measured is None or shrink == 1.0:
            shape = None if measured is None else measured.elongation
            return replace(OutlineScale.fixed(1.0 / shrink), elongation=shape)
        return measured

    def text(self, query: str) -> TextTokens:
        """MiniLM token states of ``query`` (cached)."""
        if query not in self._texts:
            self._texts[query] = text_tokens([query])
        return self._texts[query]

    def _forward(self, image: NDArray[np.uint8], query: str) -> NanoOutput:
        tensor = self._tensor(image)
        with torch.no_grad():
            levels = self.encoder.levels(tensor)
        text = self.text(query)
        text = TextTokens(text.hidden.to(self.device), text.valid.to(self.device))
        out: NanoOutput = self.head(levels, text, (image.shape[0], image.shape[1]))
        return out

    @property
    def has_centres(self) -> bool:
        """The weights have a centre head: instances are scored with it (:class:`PixelMaps`)."""
        return self.head.centre is not None

    def segment(self, image: NDArray[np.uint8], query: str) -> tuple[NDArray[np.float32], float]:
        """``(H, W)`` mask probabilities for ``query`` and the mask's confidence."""
        with torch.no_grad():
            out = self._forward(image, query)
        probs = out.decoded.masks[0, 0].float().cpu().numpy()
        return probs, float(out.decoded.confidence[0, 0])

    def maps(self, image: NDArray[np.uint8], query: str) -> PixelMaps:
        """The mask (and, with a centre head, centre) probabilities of ``query`` on ``image``."""
        with torch.no_grad():
            out = self._forward(image, query)
        h, w = image.shape[:2]
        centres = _centres(out.centre_logits, (h, w))
        return PixelMaps(out.decoded.masks[0, 0].float().cpu().numpy(), _first(centres))

    def segment_many(
        self, images: list[NDArray[np.uint8]], query: str, max_pixels: int = 512 * 512
    ) -> list[PixelMaps]:
        """The :meth:`maps` of each image.

        Images that pad to the same size go through the model together, at most
        ``max_pixels`` (padded) a pass: a small window costs ~7 ms of per-pass overhead on
        CPU whatever its size, which batching pays once. 512² was fastest on the 2-core
        machine (40 windows of 152²: 0.41× the time one by one, 16 of 304²: 0.83×; passes of
        1,024² were slower, two 640² tiles together 1.3× slower than apart). Each image is
        padded exactly as it is alone, so its probabilities are the same (to float rounding).
        """
        out: list[PixelMaps | None] = [None] * len(images)
        by_size: dict[tuple[int, int], list[int]] = {}
        for i, image in enumerate(images):
            size = padded_size(image.shape[0], image.shape[1], _MULTIPLE)
            by_size.setdefault(size, []).append(i)
        text = self.text(query)
        for (ph, pw), indices in by_size.items():
            per_pass = max(1, max_pixels // (ph * pw))
            for start in range(0, len(indices), per_pass):
                chunk = indices[start : start + per_pass]
                batch = torch.cat([self.encoder.pad(self._tensor(images[i])) for i in chunk])
                with torch.no_grad():
                    levels = self.encoder.levels(batch, padded=True)
                    tokens = TextTokens(
                        text.hidden.to(self.device).expand(len(chunk), -1, -1),
                        text.valid.to(self.device).expand(len(chunk), -1),
                    )
                    output = self.head(levels, tokens, (ph, pw))
                    masks = output.decoded.masks[:, 0]
                    centres = _centres(output.centre_logits, (ph, pw))
                for k, i in enumerate(chunk):
                    h, w = images[i].shape[:2]
                    c = None if centres is None else np.ascontiguousarray(centres[k, :h, :w])
                    out[i] = PixelMaps(masks[k, :h, :w].float().cpu().numpy(), c)
        return [m for m in out if m is not None]

    def _tensor(self, image: NDArray[np.uint8]) -> torch.Tensor:
        """``(1, 3, H, W)`` float in ``[0, 1]`` on the model's device."""
        tensor = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None]
        return tensor.to(self.device, torch.float32) / 255.0

    def heat(self, image: NDArray[np.uint8], query: str) -> tuple[NDArray[np.float64], bool]:
        """Gradient-weighted text→image attention of ``query`` on ``image``'s token grid.

        L = log of the mean mask probability (how much of the image the [SEG] claims); the heat is
        mean over fusion layers, heads and the [SEG]+text rows of ReLU(∂L/∂A) ⊙ A (the VLM's code
        path, :func:`gradient_weighted_attention`).

        Returns:
            ``(ceil(H / 16), ceil(W / 16))`` heat ≥ 0, and whether it is gradient-weighted.

        """
        look = self.look(image, query)
        return look.heat, look.weighted

    def look(
        self,
        image: NDArray[np.uint8],
        query: str,
        weigh: Callable[[PixelMaps], bool] | None = None,
    ) -> NanoLook:
        """One forward pass: the heat map (see :meth:`heat`) and the mask probabilities.

        ``weigh`` is asked, with the look's maps, whether the heat must be
        gradient-weighted: when it says no, the backward pass is not paid for and the heat is
        the plain attention (``weighted`` False).
        """
        with torch.enable_grad():
            out = self._forward(image, query)
            probs = out.decoded.masks[0, 0].detach().float().cpu().numpy()
            centres = _first(_centres(out.centre_logits, probs.shape))
            grads: Sequence[torch.Tensor | None] = [None] * len(out.attentions)
            if weigh is None or weigh(PixelMaps(probs, centres)):
                loss = torch.log(out.decoded.masks[0, 0].mean() + 1e-8)
                grads = torch.autograd.grad(loss, out.attentions, allow_unused=True)
        rows = torch.nonzero(out.query_valid[0]).flatten()
        n = out.grid[0] * out.grid[1]
        heat, weighted = gradient_weighted_attention(
            [a[0] for a in out.attentions],
            [None if g is None else g[0] for g in grads],
            rows,
            torch.arange(n, device=rows.device),
        )
        grid = heat.reshape(out.grid).double().cpu().numpy()
        h = -(-image.shape[0] // TOKEN_STRIDE)
        w = -(-image.shape[1] // TOKEN_STRIDE)
        return NanoLook(np.ascontiguousarray(grid[:h, :w]), weighted, probs, centres)


def _centres(logits: torch.Tensor | None, size: tuple[int, int]) -> NDArray[np.float32] | None:
    """``(B, H, W)`` centre probabilities in image pixels from ``(B, 1, h, w)`` logits.

    Each cell of the head's grid covers ``stride`` × ``stride`` pixels of the padded image:
    repeated over them (nearest), so a centre's peak stays whole at any resampling, and cut to
    ``size``. ``None`` for weights without a centre head.
    """
    if logits is None:
        return None
    probs = torch.sigmoid(logits.detach().float())
    stride = padded_size(size[0], size[1], _MULTIPLE)[0] // probs.shape[-2]
    up = probs.repeat_interleave(stride, dim=-2).repeat_interleave(stride, dim=-1)
    return up[:, 0, : size[0], : size[1]].cpu().numpy()


def _first(centres: NDArray[np.float32] | None) -> NDArray[np.float32] | None:
    """The first image's map of a batch (``None`` stays ``None``)."""
    return None if centres is None else np.ascontiguousarray(centres[0])
