"""Weights files: safetensors with string metadata, loaded strictly with a loud key report.

Every trained part of the project (granularity head, pixel decoder, SEG projection) is saved and
loaded through these three functions, so a file that does not fit the model always fails the same
way: a :class:`~geomag_core.errors.CheckpointError` listing missing keys, unexpected keys and
shape mismatches.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import nn

from geomag_core.errors import CheckpointError

__all__ = ["load_state_strict", "read_weights", "write_weights"]


def write_weights(
    tensors: Mapping[str, torch.Tensor], path: Path, metadata: dict[str, str]
) -> Path:
    """Write ``tensors`` (moved to CPU, made contiguous) and ``metadata`` to ``path``.

    Parent directories are created; the file is made world-readable (safetensors writes 0600).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    cpu = {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}
    save_file(cpu, str(path), metadata=metadata)
    path.chmod(0o644)
    return path


def read_weights(path: Path, what: str) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """All tensors and the string metadata of the safetensors file ``path``.

    Args:
        path: the file.
        what: what the file should hold, for messages (e.g. ``"pixel decoder"``).

    Raises:
        CheckpointError: the file cannot be opened or is not safetensors.

    """
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = dict(f.metadata() or {})
            tensors = {key: f.get_tensor(key) for key in f.keys()}  # noqa: SIM118
    except (SafetensorError, OSError) as exc:
        raise CheckpointError(f"cannot read {what} {str(path)!r}: {exc}") from exc
    return tensors, metadata


def load_state_strict(module: nn.Module, tensors: Mapping[str, torch.Tensor], what: str) -> None:
    """Load ``tensors`` into ``module`` only if keys and shapes match exactly.

    Args:
        module: the model to fill.
        tensors: a state dict (e.g. from :func:`read_weights`).
        what: names the file in the message, e.g. ``"pixel decoder '/x/decoder.safetensors'"``.

    Raises:
        CheckpointError: listing missing keys, unexpected keys and wrong shapes.

    """
    expected = module.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    wrong_shape = sorted(
        f"{k}: file {tuple(tensors[k].shape)} vs model {tuple(v.shape)}"
        for k, v in expected.items()
        if k in tensors and tensors[k].shape != v.shape
    )
    if missing or unexpected or wrong_shape:
        raise CheckpointError(
            f"{what} does not fit the model: missing keys {missing}, unexpected keys "
            f"{unexpected}, wrong shapes {wrong_shape}"
        )
    module.load_state_dict(dict(tensors), strict=True)
