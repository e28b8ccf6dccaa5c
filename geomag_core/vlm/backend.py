"""The narrow VLM interface: every backend generates; in-process ones also explain themselves.

* :class:`VLMBackend` — ``generate`` (the vLLM ``openai`` backend and the ``transformers`` one);
* :class:`InProcessVLM` — plus ``heat_map`` (gradient-weighted text→image attention on one
  image's token grid, for PSC) and ``seg_hidden_states`` (the ``[SEG]`` embeddings for the pixel
  decoder), which need the weights in this process.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from geomag_core.vlm.messages import ChatMessage, Generation

__all__ = ["InProcessVLM", "VLMBackend"]

Tools = Sequence[Mapping[str, Any]]


@runtime_checkable
class VLMBackend(Protocol):
    """Anything that answers chat messages with text (and, optionally, tool calls)."""

    def generate(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        tools: Tools | None = None,
    ) -> Generation:
        """Answer ``messages``; ``tools`` are OpenAI-style function definitions."""
        ...


@runtime_checkable
class InProcessVLM(VLMBackend, Protocol):
    """A backend whose weights live in this process."""

    def heat_map(
        self,
        messages: Sequence[ChatMessage],
        *,
        image_index: int = 0,
        answer: str | None = None,
        layers: Sequence[int] | None = None,
    ) -> NDArray[np.float64]:
        """H = mean over layers, heads and target rows of ReLU(∂L/∂A) ⊙ A, text → image.

        Args:
            messages: the conversation; its images are counted in order for ``image_index``.
            image_index: which image's token grid to return.
            answer: L is the log-likelihood of this answer; ``None`` means the model's own
                greedy next token.
            layers: decoder layers to average (default: all).

        Returns:
            ``(rows, cols)`` non-negative heat on the image's merged-token grid (one cell per
            ``patch × merge`` pixels of the resized image), row-major like the image.

        """
        ...

    def seg_hidden_states(self, messages: Sequence[ChatMessage], answer: str) -> Any:
        """Last-layer hidden states at each ``[SEG]`` token of ``answer``.

        Returns a ``(N, hidden)`` torch tensor, ``N`` = number of ``[SEG]`` tokens (possibly 0).
        """
        ...
