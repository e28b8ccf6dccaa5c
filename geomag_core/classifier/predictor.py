"""The granularity classifier users call: text queries in, granularity and probabilities out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from geomag_core.classifier.checkpoint import SHIPPED_HEAD, load_head
from geomag_core.classifier.encoder import SentenceEncoder, get_encoder
from geomag_core.classifier.head import LABELS, GranularityHead
from geomag_core.config import Settings, get_settings
from geomag_core.errors import EmptyQueryError, is_blank
from geomag_core.granularity import Granularity

__all__ = ["GranularityClassifier", "GranularityPrediction", "get_classifier"]


@dataclass(frozen=True)
class GranularityPrediction:
    """The classifier's answer for one query."""

    text: str
    """The query as given."""
    granularity: Granularity
    """The most probable granularity."""
    probs: dict[Granularity, float]
    """Probability of each granularity (sums to 1)."""

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: ``{"text", "granularity", "probs": {"image", "region", "pixel"}}``."""
        return {
            "text": self.text,
            "granularity": self.granularity.value,
            "probs": {g.value: round(p, 6) for g, p in self.probs.items()},
        }


class GranularityClassifier:
    """A frozen sentence encoder and the trained MLP head on top of it.

    Args:
        encoder: the sentence encoder (frozen).
        head: the head, trained on embeddings of that encoder.

    """

    def __init__(self, *, encoder: SentenceEncoder, head: GranularityHead) -> None:
        if head.embed_dim != encoder.dim:
            raise ValueError(
                f"head expects {head.embed_dim}-d embeddings, encoder gives {encoder.dim}"
            )
        self.encoder = encoder
        self.head = head.eval()

    def predict(self, texts: Sequence[str], *, batch_size: int = 64) -> list[GranularityPrediction]:
        """Classify ``texts`` in one batched pass; the result keeps their order.

        Raises:
            EmptyQueryError: a text is empty or only whitespace.

        """
        for i, text in enumerate(texts):
            if is_blank(text):
                raise EmptyQueryError(i if len(texts) > 1 else None)
        if not texts:
            return []
        probs = self.head.probabilities(self.encoder.encode(texts, batch_size=batch_size))
        out = []
        for text, row in zip(texts, probs.tolist(), strict=True):
            best = max(range(len(LABELS)), key=lambda j: row[j])
            out.append(
                GranularityPrediction(
                    text=text,
                    granularity=LABELS[best],
                    probs={g: float(p) for g, p in zip(LABELS, row, strict=True)},
                )
            )
        return out

    def classify(self, text: str) -> GranularityPrediction:
        """Classify one query (milliseconds once loaded).

        Raises:
            EmptyQueryError: the text is empty or only whitespace.

        """
        return self.predict([text])[0]


def get_classifier(settings: Settings | None = None) -> GranularityClassifier:
    """The process-wide classifier for the configured encoder and head, loaded on first use."""
    s = settings or get_settings()
    return _cached(s.classifier_encoder, s.classifier_head or SHIPPED_HEAD, s.device)


@lru_cache(maxsize=4)
def _cached(encoder_source: str | None, head_path: Path, device: str) -> GranularityClassifier:
    encoder = get_encoder(encoder_source, device)
    head, _ = load_head(head_path, expected_dim=encoder.dim)
    return GranularityClassifier(encoder=encoder, head=head.to(encoder.device))
