"""``geomag classify``, ``geomag train classifier`` and ``geomag eval classifier``."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agent.cli.output import json_text
from geomag_core.classifier.checkpoint import SHIPPED_HEAD
from geomag_core.classifier.corpus import TEST_FILE, TRAIN_FILES, read_corpus
from geomag_core.classifier.evaluation import ClassifierMetrics, evaluate
from geomag_core.classifier.keywords import keyword_granularity
from geomag_core.classifier.labels import LABELS
from geomag_core.classifier.recipe import TrainConfig
from geomag_core.config import Settings
from geomag_core.errors import CorpusError, EmptyQueryError

__all__ = ["register"]

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def classify(
    texts: Annotated[
        list[str] | None, typer.Argument(help="Queries to classify (quote each one).")
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", "-f", help="One query per line ('-' = stdin; blank lines skipped)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per line, in input order.")
    ] = False,
) -> None:
    """Classify queries as image, region or pixel granularity, with probabilities.

    The queries on the command line come first, then those of --file, in order.
    """
    queries = list(texts or [])
    if file is not None:
        queries += _read_lines(file)
    if not queries:
        raise EmptyQueryError()
    from geomag_core.classifier.predictor import get_classifier  # torch: only when classifying

    started = time.perf_counter()
    predictions = get_classifier(Settings()).predict(queries)
    if as_json:
        for p in predictions:
            typer.echo(json.dumps(p.as_dict(), ensure_ascii=False))
        return
    table = Table("granularity", *(g.value for g in LABELS), "query")
    for p in predictions:
        table.add_row(p.granularity.value, *(f"{p.probs[g]:.3f}" for g in LABELS), p.text)
    console = Console()
    console.print(table)
    console.print(f"[dim]{len(predictions)} queries in {time.perf_counter() - started:.2f} s[/]")


def _read_lines(file: Path) -> list[str]:
    if str(file) == "-":
        text = sys.stdin.read()
    elif not file.is_file():
        raise CorpusError(f"query file {str(file)!r} not found")
    else:
        text = file.read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip()]


def train_classifier_cmd(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Where to write the head (safetensors; metrics beside it as "
            "<stem>.metrics.json). Default: <data_dir>/classifier/head.safetensors. To ship it: "
            f"--out {SHIPPED_HEAD.relative_to(SHIPPED_HEAD.parents[2])}",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of initialisation and batch order.")] = 0,
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the training corpus.")] = (
        TrainConfig.epochs
    ),
    train_file: Annotated[
        list[Path] | None,
        typer.Option("--train-file", help="Labelled TSV(s); default: the packaged corpus."),
    ] = None,
    test_file: Annotated[
        Path | None,
        typer.Option("--test-file", help="Held-out TSV scored after training."),
    ] = TEST_FILE,
) -> None:
    """Train the granularity head on frozen sentence embeddings; write weights and metrics."""
    from geomag_core.classifier.encoder import get_encoder  # torch: only when training
    from geomag_core.classifier.training import train_classifier

    settings = Settings()
    target = out or settings.data_dir / "classifier" / "head.safetensors"
    encoder = get_encoder(settings.classifier_encoder, settings.device)
    report = train_classifier(
        encoder,
        target,
        config=TrainConfig(seed=seed, epochs=epochs),
        train_files=train_file or TRAIN_FILES,
        test_file=test_file,
    )
    console = Console()
    console.print(
        f"encoder {encoder.name} ({encoder.dim}-d); {report.train.n} training queries; "
        f"encode {report.seconds['encode']:.1f} s, train {report.seconds['train']:.1f} s; "
        f"final loss {report.losses[-1]:.4f}"
    )
    console.print(f"train accuracy {report.train.accuracy:.1%}")
    if report.test is not None:
        _print_metrics(console, f"held-out: {test_file}", report.test)
    console.print(f"wrote {report.weights}\nwrote {report.metrics_file}")


def eval_classifier_cmd(
    file: Annotated[
        Path, typer.Option("--file", "-f", help="Labelled TSV: label<TAB>prompt per line.")
    ] = TEST_FILE,
    head: Annotated[
        Path | None,
        typer.Option(
            "--head", help="Head to evaluate; default: GEOMAG_CLASSIFIER_HEAD or shipped."
        ),
    ] = None,
    errors: Annotated[bool, typer.Option("--errors", help="List the misclassified queries.")] = (
        False
    ),
    as_json: JsonOpt = False,
) -> None:
    """Score the head and the keyword baseline on a labelled TSV (default: the held-out split).

    Prints accuracy, per-class precision/recall and the confusion matrix of each.
    """
    from geomag_core.classifier.predictor import get_classifier  # torch: only when scoring

    settings = Settings()
    if head is not None:
        settings = settings.model_copy(update={"classifier_head": head})
    queries = read_corpus(file)
    texts = [q.text for q in queries]
    labels = [q.granularity for q in queries]
    predictions = get_classifier(settings).predict(texts)
    model = evaluate(labels, [p.granularity for p in predictions], texts)
    baseline = evaluate(labels, [keyword_granularity(t) for t in texts], texts)
    if as_json:
        report = {
            "file": str(file),
            "head": str(settings.classifier_head or SHIPPED_HEAD),
            "classifier": model.as_dict(),
            "keyword_baseline": baseline.as_dict(),
        }
        typer.echo(json_text(report))
        return
    console = Console()
    _print_metrics(console, f"trained head on {file}", model, show_errors=errors)
    _print_metrics(console, f"keyword baseline on {file}", baseline, show_errors=errors)


def _print_metrics(
    console: Console, title: str, m: ClassifierMetrics, *, show_errors: bool = False
) -> None:
    correct = round(m.accuracy * m.n)
    console.print(f"[bold]{title}[/]: accuracy {m.accuracy:.1%} ({correct}/{m.n})")
    table = Table("class", "precision", "recall", "support", *(f"→ {g.value}" for g in LABELS))
    for i, g in enumerate(LABELS):
        c = m.per_class[g]
        table.add_row(
            g.value,
            f"{c.precision:.3f}",
            f"{c.recall:.3f}",
            str(c.support),
            *(str(v) for v in m.confusion[i]),
        )
    console.print(table)
    if show_errors:
        for text, label, predicted in m.errors:
            console.print(f"  {label.value} → {predicted.value}: {text}")


def register(app: typer.Typer, *, train_app: typer.Typer, eval_app: typer.Typer) -> None:
    """Add ``classify`` to ``app``, ``classifier`` to the ``train`` and ``eval`` groups."""
    app.command("classify")(classify)
    train_app.command("classifier")(train_classifier_cmd)
    eval_app.command("classifier")(eval_classifier_cmd)
