"""Saving and loading the pixel decoder (and optionally the ``[SEG]`` projection) as safetensors.

Tensors are keyed ``decoder.*`` and ``projection.*``; metadata records the sizes the modules are
rebuilt with. Loading fails loudly (missing/unexpected keys, wrong shapes, foreign files).
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from geomag_core.decoder.pixel_decoder import PixelDecoder
from geomag_core.decoder.projection import SegProjection
from geomag_core.errors import CheckpointError
from geomag_core.weights import load_state_strict, read_weights, write_weights

__all__ = ["DECODER_FORMAT", "load_decoder", "save_decoder"]

DECODER_FORMAT = "geomag-pixel-decoder/1"


def save_decoder(
    path: Path,
    decoder: PixelDecoder,
    projection: SegProjection | None,
    *,
    extra: dict[str, str] | None = None,
) -> Path:
    """Write ``decoder`` (and ``projection`` when given) to ``path`` with rebuild metadata."""
    tensors: dict[str, torch.Tensor] = {f"decoder.{k}": v for k, v in decoder.state_dict().items()}
    metadata = {
        **(extra or {}),
        "format": DECODER_FORMAT,
        "channels": str(decoder.channels),
        "strides": json.dumps(list(decoder.strides)),
        "hidden_channels": str(decoder.hidden_channels),
        "kernel_size": str(decoder.kernel_size),
        "max_seg_tokens": str(decoder.max_seg_tokens),
    }
    if projection is not None:
        tensors.update({f"projection.{k}": v for k, v in projection.state_dict().items()})
        metadata["seg_hidden_size"] = str(projection.hidden_size)
    return write_weights(tensors, path, metadata)


def load_decoder(
    path: Path, *, hidden_size: int | None = None
) -> tuple[PixelDecoder, SegProjection | None, dict[str, str]]:
    """Load what :func:`save_decoder` wrote, in eval mode.

    Args:
        path: the safetensors file.
        hidden_size: the VLM's hidden width; if the file has a projection for another width, that
            is an error.

    Returns:
        The decoder, the projection (``None`` if the file has none) and the metadata.

    Raises:
        CheckpointError: missing or unreadable file, foreign metadata, a projection for another
            hidden size, or tensors that do not fit (keys and shapes listed).

    """
    if not path.is_file():
        raise CheckpointError(
            f"pixel decoder {str(path)!r} not found; train one with "
            "'geomag train decoder --data DIR --out PATH'"
        )
    tensors, metadata = read_weights(path, "pixel decoder")
    if metadata.get("format") != DECODER_FORMAT:
        raise CheckpointError(
            f"{str(path)!r} is not a pixel-decoder file (format {metadata.get('format')!r}, "
            f"expected {DECODER_FORMAT!r}); was it written by 'geomag train decoder'?"
        )
    try:
        decoder = PixelDecoder(
            channels=int(metadata["channels"]),
            strides=tuple(int(s) for s in json.loads(metadata["strides"])),
            hidden_channels=int(metadata["hidden_channels"]),
            kernel_size=int(metadata["kernel_size"]),
            max_seg_tokens=int(metadata["max_seg_tokens"]),
        )
        seg_hidden = metadata.get("seg_hidden_size")
        projection = (
            None
            if seg_hidden is None
            else SegProjection(hidden_size=int(seg_hidden), dim=decoder.channels)
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise CheckpointError(f"{str(path)!r} has incomplete decoder metadata: {exc}") from exc
    if projection is not None and hidden_size is not None and projection.hidden_size != hidden_size:
        raise CheckpointError(
            f"{str(path)!r} projects {projection.hidden_size}-d [SEG] states but the VLM gives "
            f"{hidden_size}-d; retrain with 'geomag train decoder' for this VLM"
        )
    parts = nn.ModuleDict({"decoder": decoder})
    if projection is not None:
        parts["projection"] = projection
    load_state_strict(parts, tensors, f"pixel decoder {str(path)!r}")
    decoder.eval()
    if projection is not None:
        projection.eval()
    return decoder, projection, metadata
