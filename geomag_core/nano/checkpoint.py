"""Nano weights: the trained head as safetensors (the ImageNet backbone comes from its package)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from geomag_core.errors import CheckpointError

if TYPE_CHECKING:
    from geomag_core.nano.model import NanoHead

__all__ = ["SHIPPED_WEIGHTS", "load_head", "save_head"]

#: The weights shipped in the package (written by ``geomag train nano``).
SHIPPED_WEIGHTS = Path(__file__).parent / "weights" / "nano.safetensors"


def save_head(head: NanoHead, path: Path, metadata: dict[str, str] | None = None) -> Path:
    """Write ``head``'s weights, its config and ``metadata`` to ``path``."""
    from geomag_core.weights import write_weights  # torch: only when weights are written

    meta = {"format": "geomag-nano-head/1", "config": json.dumps(head.config), **(metadata or {})}
    return write_weights(head.state_dict(), path, meta)


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
    head = NanoHead(**json.loads(meta["config"]))
    load_state_strict(head, tensors, f"nano weights {str(source)!r}")
    return head.eval(), meta
