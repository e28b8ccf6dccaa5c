"""Seeded training of the granularity head on frozen sentence embeddings.

The encoder is frozen, so the corpus is embedded once and the head trains on the cached
embeddings: seconds of CPU per run after the encoding pass.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn
from tqdm.auto import tqdm

from geomag_core.classifier.checkpoint import save_head
from geomag_core.classifier.corpus import TEST_FILE, TRAIN_FILES, read_corpus
from geomag_core.classifier.encoder import SentenceEncoder
from geomag_core.classifier.evaluation import ClassifierMetrics, evaluate
from geomag_core.classifier.head import GranularityHead
from geomag_core.classifier.labels import LABELS
from geomag_core.classifier.recipe import TrainConfig

__all__ = [
    "TrainConfig",
    "TrainedHead",
    "TrainingReport",
    "metrics_path",
    "train_classifier",
    "train_head",
]


#: The documented defaults (:class:`~geomag_core.classifier.recipe.TrainConfig`).
_DEFAULTS = TrainConfig()


@dataclass
class TrainedHead:
    """A trained head and its loss curve."""

    head: GranularityHead
    """The head, in eval mode."""
    losses: list[float]
    """Mean training loss of each epoch."""


def train_head(
    embeddings: torch.Tensor,
    targets: torch.Tensor,
    config: TrainConfig = _DEFAULTS,
    *,
    progress: bool = True,
) -> TrainedHead:
    """Train a fresh head.

    Args:
        embeddings: ``(N, d)`` float sentence embeddings.
        targets: ``(N,)`` int64 class indices in ``LABELS`` order.
        config: hyper-parameters (the seed makes the run reproducible).
        progress: show a tqdm bar over epochs.

    """
    if embeddings.ndim != 2 or targets.shape != (embeddings.shape[0],):
        raise ValueError(
            f"expected (N, d) embeddings and (N,) targets, got {tuple(embeddings.shape)} and "
            f"{tuple(targets.shape)}"
        )
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    head = GranularityHead(embed_dim=embeddings.shape[1], dropout=config.dropout)
    optimiser = torch.optim.AdamW(head.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
    n = embeddings.shape[0]
    losses: list[float] = []
    bar = tqdm(range(config.epochs), desc="training head", unit="epoch", disable=not progress)
    for _ in bar:
        head.train()
        order = torch.randperm(n, generator=generator)
        total = 0.0
        for start in range(0, n, config.batch_size):
            idx = order[start : start + config.batch_size]
            optimiser.zero_grad()
            loss = loss_fn(head(embeddings[idx]), targets[idx])
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * len(idx)
        losses.append(total / n)
        bar.set_postfix(loss=f"{losses[-1]:.4f}")
    head.eval()
    return TrainedHead(head=head, losses=losses)


def metrics_path(weights: Path) -> Path:
    """Where the metrics JSON of ``weights`` lives: ``<stem>.metrics.json`` beside it."""
    return weights.with_name(f"{weights.stem}.metrics.json")


@dataclass
class TrainingReport:
    """What :func:`train_classifier` did and measured."""

    weights: Path
    """The safetensors file written."""
    metrics_file: Path
    """The metrics JSON written beside it."""
    train: ClassifierMetrics
    """Metrics on the training corpus."""
    test: ClassifierMetrics | None
    """Metrics on the held-out split (``None`` when no test file was given)."""
    losses: list[float]
    """Mean training loss of each epoch."""
    seconds: dict[str, float]
    """Wall time of the encoding and training passes."""


def train_classifier(
    encoder: SentenceEncoder,
    out: Path,
    *,
    config: TrainConfig = _DEFAULTS,
    train_files: Sequence[Path] = TRAIN_FILES,
    test_file: Path | None = TEST_FILE,
    progress: bool = True,
) -> TrainingReport:
    """Embed the training corpus, train the head, evaluate, and write weights + metrics.

    The test file is only read after training, to report held-out metrics.
    """
    train = read_corpus(train_files)
    t0 = time.perf_counter()
    x = encoder.encode([q.text for q in train], progress=progress)
    t_encode = time.perf_counter() - t0
    y = torch.tensor([LABELS.index(q.granularity) for q in train])
    t0 = time.perf_counter()
    trained = train_head(x, y, config, progress=progress)
    t_train = time.perf_counter() - t0

    def measure(texts: list[str], labels: list[int], emb: torch.Tensor) -> ClassifierMetrics:
        predicted = trained.head.probabilities(emb).argmax(dim=-1).tolist()
        return evaluate([LABELS[i] for i in labels], [LABELS[i] for i in predicted], texts)

    train_metrics = measure([q.text for q in train], y.tolist(), x)
    test_metrics = None
    if test_file is not None:
        test = read_corpus(test_file)
        texts = [q.text for q in test]
        test_metrics = measure(
            texts, [LABELS.index(q.granularity) for q in test], encoder.encode(texts)
        )
    corpus_hash = _sha256(train_files)
    save_head(
        trained.head,
        out,
        encoder=encoder.name,
        extra={"seed": str(config.seed), "epochs": str(config.epochs), "train_sha256": corpus_hash},
    )
    seconds = {"encode": round(t_encode, 3), "train": round(t_train, 3)}
    metrics = {
        "encoder": encoder.name,
        "embed_dim": encoder.dim,
        "config": asdict(config),
        "train_files": [p.name for p in train_files],
        "train_sha256": corpus_hash,
        "test_file": test_file.name if test_file is not None else None,
        "sizes": {
            "train": len(train),
            "train_per_class": {g.value: int((y == i).sum()) for i, g in enumerate(LABELS)},
            "test": test_metrics.n if test_metrics else 0,
        },
        "losses": [round(v, 6) for v in trained.losses],
        "seconds": seconds,
        "train": train_metrics.as_dict(),
        "test": test_metrics.as_dict() if test_metrics else None,
    }
    mfile = metrics_path(out)
    mfile.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    return TrainingReport(
        weights=out,
        metrics_file=mfile,
        train=train_metrics,
        test=test_metrics,
        losses=trained.losses,
        seconds=seconds,
    )


def _sha256(paths: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()
