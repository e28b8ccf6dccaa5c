"""Saving and loading the granularity head as safetensors, with loud key checking.

The file holds the head's six tensors plus string metadata: the encoder it was trained on, the
embedding size, the hidden sizes and the label order. Loading rebuilds the head from that metadata
and refuses files whose keys, shapes or labels do not fit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from geomag_core.classifier.labels import LABELS
from geomag_core.errors import CheckpointError

if TYPE_CHECKING:
    from geomag_core.classifier.head import GranularityHead

__all__ = ["SHIPPED_HEAD", "load_head", "save_head"]

#: The head trained by the project and shipped in the package.
SHIPPED_HEAD = Path(__file__).resolve().parent / "weights" / "head.safetensors"


def save_head(head: GranularityHead, path: Path, *, encoder: str, extra: dict[str, str]) -> Path:
    """Write ``head`` to ``path`` (safetensors) with the metadata :func:`load_head` needs.

    Args:
        head: the trained head.
        path: destination file; parent directories are created.
        encoder: name of the sentence encoder the head was trained on.
        extra: further string metadata (seed, corpus hash, ...).

    Returns:
        ``path``.

    """
    from geomag_core.weights import write_weights  # torch: only when weights are written

    metadata = {
        **extra,
        "encoder": encoder,
        "embed_dim": str(head.embed_dim),
        "hidden_dims": json.dumps(list(head.hidden_dims)),
        "labels": json.dumps([label.value for label in LABELS]),
        "format": "geomag-granularity-head/1",
    }
    return write_weights(head.state_dict(), path, metadata)


def load_head(
    path: Path, *, expected_dim: int | None = None
) -> tuple[GranularityHead, dict[str, str]]:
    """Load a head written by :func:`save_head`, in eval mode.

    Args:
        path: the safetensors file.
        expected_dim: the embedding size of the encoder it will sit on; a mismatch is an error.

    Returns:
        The head and the file's metadata.

    Raises:
        CheckpointError: the file is missing or unreadable, its metadata or label order is not
            the head's, its embedding size differs from ``expected_dim``, or its tensors do not
            match the head (missing/unexpected keys or wrong shapes are listed).

    """
    from geomag_core.classifier.head import GranularityHead  # torch: only when weights are read
    from geomag_core.weights import load_state_strict, read_weights

    if not path.is_file():
        raise CheckpointError(
            f"granularity head {str(path)!r} not found; unset GEOMAG_CLASSIFIER_HEAD to use the "
            "shipped head, or train one with 'geomag train classifier --out PATH'"
        )
    tensors, metadata = read_weights(path, "granularity head")
    try:
        embed_dim = int(metadata["embed_dim"])
        h1, h2 = (int(x) for x in json.loads(metadata["hidden_dims"]))
        labels = json.loads(metadata["labels"])
    except (KeyError, ValueError, TypeError) as exc:
        raise CheckpointError(
            f"{str(path)!r} lacks the granularity-head metadata (embed_dim, hidden_dims, labels); "
            "was it written by 'geomag train classifier'?"
        ) from exc
    if labels != [label.value for label in LABELS]:
        raise CheckpointError(f"{str(path)!r} has label order {labels}, expected {list(LABELS)}")
    if expected_dim is not None and embed_dim != expected_dim:
        raise CheckpointError(
            f"{str(path)!r} was trained on {embed_dim}-d embeddings "
            f"(encoder {metadata.get('encoder', '?')!r}) but the configured encoder gives "
            f"{expected_dim}-d; retrain the head for this encoder or change "
            "GEOMAG_CLASSIFIER_ENCODER"
        )
    head = GranularityHead(embed_dim=embed_dim, hidden_dims=(h1, h2))
    load_state_strict(head, tensors, f"granularity head {str(path)!r}")
    head.eval()
    return head, metadata
