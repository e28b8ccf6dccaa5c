"""Nano weights: the trained head as safetensors.

The ImageNet backbone comes from its package, unless the run tuned it (``geomag train nano
--tune-backbone``): then the whole backbone is in the file too, its tensors named ``backbone.*``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from geomag_core.errors import CheckpointError

if TYPE_CHECKING:
    from torch import nn

    from geomag_core.nano.model import NanoHead

__all__ = ["SHIPPED_WEIGHTS", "load_backbone", "load_head", "save_head"]

_BACKBONE = "backbone."

#: The weights shipped in the package (written by ``geomag train nano``).
SHIPPED_WEIGHTS = Path(__file__).parent / "weights" / "nano.safetensors"


def save_head(
    head: NanoHead,
    path: Path,
    metadata: dict[str, str] | None = None,
    backbone: nn.Module | None = None,
) -> Path:
    """Write ``head``'s weights, its config and ``metadata`` to ``path``.

    ``backbone``: a tuned backbone, written beside the head (``None``: the packaged one is used).
    """
    from geomag_core.weights import write_weights  # torch: only when weights are written

    meta = {"format": "geomag-nano-head/1", "config": json.dumps(head.config), **(metadata or {})}
    tensors = dict(head.state_dict())
    if backbone is not None:
        meta["backbone"] = "tuned: efficientnet_lite0 in this file"
        tensors |= {_BACKBONE + k: v for k, v in backbone.state_dict().items()}
    return write_weights(tensors, path, meta)


def load_head(path: Path | None = None) -> tuple[NanoHead, dict[str, str]]:
    """A :class:`NanoHead` from ``path`` (default: the shipped file), loaded strictly."""
    from geomag_core.nano.model import NanoHead  # torch: only when weights are read
    from geomag_core.weights import load_state_strict, read_weights

    source = path or SHIPPED_WEIGHTS
    if not source.is_file():
        raise CheckpointError(
            f"no nano weights at {source}: run `geomag train nano` (writes the shipped file), "
            "set GEOMAG_NANO_WEIGHTS to a file it wrote, or choose another profile "
            "(GEOMAG_MODEL_PROFILE=tiny for plumbing, full with GEOMAG_VLM_PATH)"
        )
    tensors, meta = read_weights(source, "nano weights")
    if meta.get("format") != "geomag-nano-head/1":
        raise CheckpointError(f"{source} is not a nano weights file (format {meta.get('format')})")
    try:
        head = NanoHead(**json.loads(meta["config"]))
    except (TypeError, ValueError) as exc:  # a config this code cannot build
        raise CheckpointError(
            f"{source}: its head config {meta['config']} does not fit: {exc}"
        ) from exc
    own = {k: v for k, v in tensors.items() if not k.startswith(_BACKBONE)}
    load_state_strict(head, own, f"nano weights {str(source)!r}")
    return head.eval(), meta


def load_backbone(path: Path | None = None) -> nn.Module | None:
    """The tuned backbone in ``path`` (default: the shipped file), or ``None`` if it has none."""
    from geomag_core.nano.backbone import build_backbone
    from geomag_core.weights import load_state_strict, read_weights

    source = path or SHIPPED_WEIGHTS
    tensors, _ = read_weights(source, "nano weights")
    mine = {k[len(_BACKBONE) :]: v for k, v in tensors.items() if k.startswith(_BACKBONE)}
    if not mine:
        return None
    backbone = build_backbone(pretrained=False)
    load_state_strict(backbone, mine, f"tuned backbone in {str(source)!r}")
    return backbone.eval()
