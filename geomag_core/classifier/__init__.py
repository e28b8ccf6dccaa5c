"""Task granularity classifier (docs/architecture.md, mechanism 1): query → image | region | pixel.

A frozen sentence encoder (the packaged all-MiniLM-L6-v2 by default) feeds the MLP head
``d → 256 → 128 → 3``; the head is trained by :mod:`~geomag_core.classifier.training` on the
corpus in ``data/`` and ships as ``weights/head.safetensors``.

Names that need torch (the encoder, the head, the predictor, training) load on first use, so
importing the package (as ``geomag --help`` does) stays light.

>>> from geomag_core.classifier import get_classifier
>>> get_classifier().classify("segment every ship").granularity  # doctest: +SKIP
<Granularity.PIXEL: 'pixel'>
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from geomag_core.classifier.checkpoint import SHIPPED_HEAD, load_head, save_head
from geomag_core.classifier.corpus import TEST_FILE, TRAIN_FILES, LabelledQuery, read_corpus
from geomag_core.classifier.evaluation import ClassifierMetrics, ClassMetrics, evaluate
from geomag_core.classifier.keywords import keyword_granularity
from geomag_core.classifier.labels import LABELS
from geomag_core.classifier.recipe import TrainConfig
from geomag_core.lazy import lazy_attributes

if TYPE_CHECKING:
    from geomag_core.classifier.encoder import SentenceEncoder, get_encoder
    from geomag_core.classifier.head import GranularityHead
    from geomag_core.classifier.predictor import (
        GranularityClassifier,
        GranularityPrediction,
        get_classifier,
    )
    from geomag_core.classifier.training import TrainingReport, train_classifier, train_head

#: The torch-backed names and the module each one loads from on first use.
_LAZY = {
    "SentenceEncoder": "encoder",
    "get_encoder": "encoder",
    "GranularityHead": "head",
    "GranularityClassifier": "predictor",
    "GranularityPrediction": "predictor",
    "get_classifier": "predictor",
    "TrainingReport": "training",
    "train_classifier": "training",
    "train_head": "training",
}

__all__ = [
    "LABELS",
    "SHIPPED_HEAD",
    "TEST_FILE",
    "TRAIN_FILES",
    "ClassMetrics",
    "ClassifierMetrics",
    "GranularityClassifier",
    "GranularityHead",
    "GranularityPrediction",
    "LabelledQuery",
    "SentenceEncoder",
    "TrainConfig",
    "TrainingReport",
    "evaluate",
    "get_classifier",
    "get_encoder",
    "keyword_granularity",
    "load_head",
    "read_corpus",
    "save_head",
    "train_classifier",
    "train_head",
]


#: Torch-backed names load from their module the first time they are asked for.
__getattr__ = lazy_attributes(__name__, _LAZY)
