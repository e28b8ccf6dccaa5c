"""SAM2's image encoder (Hiera trunk + FPN neck) as an :class:`ImageFeatureEncoder`.

Built from the ``sam2`` package's own configs (hiera tiny, small, base+, large), with a checkpoint
from configuration or random weights (tests, the ``tiny`` profile). The encoder returns the FPN
neck's 256-channel maps at /4, /8 and /16 of the crop, before SAM2's mask decoder projects the
first two to 32/64 channels; the GeoPixel/LISA path (:mod:`geomag_core.decoder.sam_prompt`)
applies those projections itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from geomag_core.decoder.features import padded_size
from geomag_core.errors import CheckpointError, ConfigError
from geomag_core.weights import load_state_strict, read_weights

__all__ = ["SAM2_CONFIGS", "SAM2ImageEncoder", "build_sam2_model", "resolve_sam2_config"]

#: Short names of the ``sam2`` package's SAM2.1 configs.
SAM2_CONFIGS = {
    "tiny": "configs/sam2.1/sam2.1_hiera_t.yaml",
    "small": "configs/sam2.1/sam2.1_hiera_s.yaml",
    "base_plus": "configs/sam2.1/sam2.1_hiera_b+.yaml",
    "large": "configs/sam2.1/sam2.1_hiera_l.yaml",
}
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)
_INSTALL_HINT = (
    "install it with `SAM2_BUILD_CUDA=0 .venv/bin/pip install --no-build-isolation "
    "-c constraints.txt sam2` (scripts/setup.sh does this)"
)


def resolve_sam2_config(name: str) -> str:
    """A short name (``tiny`` … ``large``) or a ``sam2`` config path → the config path."""
    if name in SAM2_CONFIGS:
        return SAM2_CONFIGS[name]
    if name.endswith(".yaml"):
        return name
    raise ConfigError(
        f"unknown SAM2 config {name!r}: use one of {sorted(SAM2_CONFIGS)} or a sam2 package "
        "config such as 'configs/sam2.1/sam2.1_hiera_t.yaml' (GEOMAG_SAM2_CONFIG)"
    )


def build_sam2_model(config: str, checkpoint: Path | None, device: str | torch.device) -> Any:
    """The whole SAM2 model (``sam2.modeling.sam2_base.SAM2Base``), eval mode, on ``device``.

    Args:
        config: short name or ``sam2`` config path (see :func:`resolve_sam2_config`).
        checkpoint: a SAM2 ``.pt`` (``{"model": state_dict}``) or ``.safetensors`` file;
            ``None`` keeps the random initialisation (tests and the ``tiny`` profile only).
        device: where the model goes.

    Raises:
        ConfigError: ``sam2`` is not installed or the config is unknown.
        CheckpointError: the checkpoint is missing, unreadable or does not fit the config
            (missing/unexpected keys are listed).

    """
    config_path = resolve_sam2_config(config)
    try:
        from sam2.build_sam import build_sam2
    except ImportError as exc:
        raise ConfigError(f"the sam2 package is not installed; {_INSTALL_HINT}") from exc
    try:
        model = build_sam2(config_path, ckpt_path=None, device="cpu")
    except Exception as exc:  # hydra raises its own MissingConfigException and friends
        raise ConfigError(f"cannot build SAM2 from config {config_path!r}: {exc}") from exc
    if checkpoint is not None:
        load_state_strict(
            model, _read_sam2_state(checkpoint), f"SAM2 checkpoint {str(checkpoint)!r}"
        )
    return model.to(device).eval()


def _read_sam2_state(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise CheckpointError(
            f"SAM2 checkpoint {str(path)!r} not found; set GEOMAG_SAM2_CHECKPOINT to a SAM2.1 "
            "checkpoint file (e.g. sam2.1_hiera_tiny.pt) that matches GEOMAG_SAM2_CONFIG"
        )
    if path.suffix == ".safetensors":
        return read_weights(path, "SAM2 checkpoint")[0]
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises pickle/zip errors of many kinds
        raise CheckpointError(f"cannot read SAM2 checkpoint {str(path)!r}: {exc}") from exc
    state = raw.get("model", raw) if isinstance(raw, dict) else None
    if not isinstance(state, dict):
        raise CheckpointError(f"{str(path)!r} holds no state dict (expected {{'model': ...}})")
    return state


class SAM2ImageEncoder(nn.Module):
    """Hiera + FPN features at /4, /8, /16 of a crop, 256 channels each.

    Args:
        image_encoder: ``sam2.modeling.backbones.image_encoder.ImageEncoder`` (``scalp=1``, so
            the neck yields three levels).

    """

    channels: int = 256
    strides: tuple[int, ...] = (4, 8, 16)
    size_multiple: int = 32  # Hiera's /32 stage and window tiling need it
    mean: torch.Tensor
    std: torch.Tensor

    def __init__(self, *, image_encoder: nn.Module) -> None:
        super().__init__()
        self.image_encoder = image_encoder
        self.register_buffer("mean", torch.tensor(_IMAGENET_MEAN).view(1, 3, 1, 1), False)
        self.register_buffer("std", torch.tensor(_IMAGENET_STD).view(1, 3, 1, 1), False)

    @classmethod
    def from_sam2(cls, model: Any) -> SAM2ImageEncoder:
        """Wrap the ``image_encoder`` of a model from :func:`build_sam2_model`."""
        encoder: nn.Module = model.image_encoder
        return cls(image_encoder=encoder)

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        """Features of ``(B, 3, H, W)`` RGB in ``[0, 1]`` (crop pixels).

        The crop is normalised with ImageNet statistics and zero-padded at the bottom/right to a
        multiple of 32. Returns ``[(B, 256, Hp/4, Wp/4), (B, 256, Hp/8, Wp/8),
        (B, 256, Hp/16, Wp/16)]`` for the padded size ``(Hp, Wp)``.
        """
        height, width = images.shape[-2:]
        x = (images - self.mean) / self.std
        pad_h, pad_w = padded_size(height, width, self.size_multiple)
        if (pad_h, pad_w) != (height, width):
            x = F.pad(x, (0, pad_w - width, 0, pad_h - height))
        out = self.image_encoder(x)
        levels: list[torch.Tensor] = list(out["backbone_fpn"])
        if len(levels) != len(self.strides):
            raise ConfigError(
                f"the SAM2 neck gave {len(levels)} levels, expected 3 (/4, /8, /16); use a "
                "config with scalp: 1 (every sam2.1 config does)"
            )
        return levels

    def encode(self, images: torch.Tensor) -> list[torch.Tensor]:
        """See :meth:`forward` (the :class:`ImageFeatureEncoder` entry point)."""
        return self.forward(images)
