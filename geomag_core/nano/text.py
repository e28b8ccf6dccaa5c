"""Text tokens for nano: per-token hidden states of the frozen MiniLM, not its pooled vector."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from geomag_core.classifier.encoder import SentenceEncoder, get_encoder

__all__ = ["TEXT_DIM", "TextTokens", "text_tokens"]

#: Width of all-MiniLM-L6-v2's hidden states.
TEXT_DIM = 384


class TextTokens:
    """Padded token states of a batch of texts.

    Attributes:
        hidden: ``(B, T, 384)`` float32 last-layer hidden states (frozen encoder).
        valid: ``(B, T)`` bool, real tokens (``[CLS]`` … ``[SEP]``) versus padding.

    """

    def __init__(self, hidden: torch.Tensor, valid: torch.Tensor) -> None:
        self.hidden = hidden
        self.valid = valid

    def select(self, index: torch.Tensor) -> TextTokens:
        """Rows ``index`` (1-D long) of this batch."""
        return TextTokens(self.hidden[index], self.valid[index])


@torch.no_grad()
def text_tokens(
    texts: Sequence[str], encoder: SentenceEncoder | None = None, max_tokens: int = 32
) -> TextTokens:
    """Token states of ``texts`` from MiniLM (the packaged encoder unless one is given)."""
    enc = encoder or get_encoder(None, "cpu")
    model: Any = enc._model
    tokenize = getattr(model, "preprocess", None) or model.tokenize
    features = tokenize(list(texts))
    ids = features["input_ids"][:, :max_tokens]
    mask = features["attention_mask"][:, :max_tokens]
    transformer = model[0].auto_model
    device = next(transformer.parameters()).device
    out = transformer(input_ids=ids.to(device), attention_mask=mask.to(device))
    hidden = out.last_hidden_state.detach().to("cpu", torch.float32).clone()
    return TextTokens(hidden, mask.to(torch.bool).clone())
