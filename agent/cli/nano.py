"""``geomag train nano`` and ``geomag eval small-objects``."""

from __future__ import annotations

import json
import warnings
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rasterio.errors import NotGeoreferencedWarning
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from agent.cli.output import json_text
from geomag_core.config import Settings
from geomag_core.errors import DatasetError
from geomag_core.nano.benchmark import STRATEGIES, BenchmarkConfig, StrategyTotals, run_scene
from geomag_core.nano.checkpoint import SHIPPED_WEIGHTS, save_head
from geomag_core.nano.classes import NANO_CLASSES
from geomag_core.nano.datasets import load_split, read_annotations
from geomag_core.nano.evaluation import SIZE_BINS, evaluate
from geomag_core.nano.predictor import NanoModel
from geomag_core.nano.search import BlockSearch
from geomag_core.nano.training import DatasetMix, NanoTrainConfig, train_nano
from geomag_core.scene import Scene

__all__ = ["register"]

_D = NanoTrainConfig()
_S = BlockSearch()


def train_nano_cmd(
    data: Annotated[
        Path | None,
        typer.Option(help="Shared data folder holding the data sets (default <shared_data_dir>)."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Weights to write.")] = SHIPPED_WEIGHTS,
    steps: Annotated[int, typer.Option(min=50, help="Optimiser steps.")] = _D.steps,
    batch_size: Annotated[int, typer.Option(min=1)] = _D.batch_size,
    lr: Annotated[float, typer.Option(min=0.0)] = _D.lr,
    crops_scale: Annotated[
        float, typer.Option(min=0.01, help="Multiply every data set's crop count (quick runs).")
    ] = 1.0,
    attention_weight: Annotated[
        float, typer.Option(min=0.0, help="Weight of the attention-to-target loss.")
    ] = _D.attention_weight,
    seed: Annotated[int, typer.Option(help="Seed of crops, prompts and init.")] = _D.seed,
) -> None:
    """Train GeoMag-nano's head on aircraft, oil-storage tanks and cars (frozen backbone)."""
    folder = data or Settings().shared_data_dir
    mix = tuple(
        DatasetMix(m.dataset, max(1, round(m.crops * crops_scale)), m.scales) for m in _D.mix
    )
    config = NanoTrainConfig(
        mix=mix,
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        attention_weight=attention_weight,
        seed=seed,
    )
    console = Console()
    with Progress(console=console) as progress:
        cache_task = progress.add_task("backbone features", total=config.crops)
        step_task = progress.add_task("training", total=steps)

        def on_cache(done: int, total: int) -> None:
            progress.update(cache_task, completed=done)

        def on_step(step: int, loss: float) -> None:
            progress.update(step_task, advance=1, description=f"training loss {loss:.3f}")

        head, report = train_nano(folder, config, on_cache=on_cache, on_step=on_step)
    meta = {
        "seed": str(seed),
        "train_config": json.dumps(asdict(config)),
        "classes": json.dumps([c.name for c in NANO_CLASSES]),
        "data": "train splits of "
        + ", ".join(m.dataset for m in mix)
        + " (geomag_core/nano/data/*_split.json)",
        "targets": "ellipses inscribed in the annotated boxes (box-derived)",
    }
    save_head(head, out, meta)
    first = sum(report.losses[:50]) / min(50, len(report.losses))
    last = sum(report.losses[-50:]) / min(50, len(report.losses))
    scenes = ", ".join(f"{n} {k}" for k, n in report.scenes.items())
    console.print(
        f"{report.crops} crops from {scenes} scenes; cache {report.seconds['cache']:.0f} s, "
        f"train {report.seconds['train']:.0f} s; loss {first:.3f} → {last:.3f} (mean of 50)"
    )
    console.print(f"wrote {out}")


def small_objects_cmd(
    images: Annotated[
        Path | None, typer.Option(help="Scene folder (default <shared>/airbus-aircraft/train).")
    ] = None,
    annotations: Annotated[
        Path | None, typer.Option(help="Airbus-format CSV (default beside the images).")
    ] = None,
    split: Annotated[
        str, typer.Option(help="val | train | all: which scenes of the project's split.")
    ] = "val",
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many scenes.")] = None,
    query: Annotated[str, typer.Option(help="The prompt.")] = BenchmarkConfig.query,
    weights: Annotated[Path | None, typer.Option(help="Nano weights (default shipped).")] = None,
    overview: Annotated[int, typer.Option(help="Long side of (a) and the heat-map view.")] = (
        BenchmarkConfig.overview
    ),
    window: Annotated[
        int, typer.Option(help="PSC window side (scene px).")
    ] = BenchmarkConfig.window,
    top_k: Annotated[int, typer.Option(help="(c): windows kept.")] = BenchmarkConfig.top_k,
    coverage: Annotated[
        float, typer.Option(min=0.01, max=1.0, help="(d): heat share to cover.")
    ] = _S.coverage,
    block: Annotated[int, typer.Option(min=1, help="(d): block side (scene px).")] = _S.block,
    max_fraction: Annotated[
        float,
        typer.Option(min=0.01, max=1.0, help="(d): most of the scene read at native resolution."),
    ] = _S.max_fraction,
    margin: Annotated[
        int, typer.Option(min=0, help="(d): context around each window (px).")
    ] = _S.margin,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Recall/precision at box IoU ≥ 0.5, pixels, tokens and time of five ways of looking."""
    folder = images or Settings().shared_data_dir / "airbus-aircraft" / "train"
    truth = read_annotations(annotations or folder.parent / "annotations.csv")
    names = sorted(p.name for p in folder.glob("*.jpg"))
    if split != "all":
        wanted = set(load_split()[split])
        names = [n for n in names if n in wanted]
    names = names[:limit] if limit else names
    if not names:
        raise DatasetError(f"no {split!r} scenes (*.jpg) in {folder}")
    cfg = BenchmarkConfig(
        query=query,
        overview=overview,
        window=window,
        window_stride=max(1, window // 4),
        top_k=top_k,
        search=BlockSearch(
            block=block, margin=margin, coverage=coverage, max_fraction=max_fraction
        ),
    )
    warnings.filterwarnings("ignore", category=NotGeoreferencedWarning)
    model = NanoModel.load(weights or Settings().nano_weights)
    totals: dict[str, StrategyTotals] = {}
    console = Console(stderr=True, quiet=as_json)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("scenes", total=len(names) * len(STRATEGIES))
        for name in names:
            boxes = [(b.x0, b.y0, b.x1, b.y1) for b in truth.get(name, [])]
            run_scene(
                model,
                Scene(folder / name),
                boxes,
                cfg,
                totals,
                on_strategy=lambda s: progress.update(task, advance=1, description=s),
            )
    rows = {k: totals[k].as_dict() for k in STRATEGIES}
    if as_json:
        record = {"scenes": names, "config": asdict(cfg), "strategies": rows}
        typer.echo(json_text(record))
        return
    tiling = rows["b-tiling"]["pixels_per_scene"]
    table = Table(title=f"small objects: {len(names)} {split} scene(s), query {query!r}")
    for col in (
        "strategy",
        "recall",
        "precision",
        "F1",
        "px/scene",
        "% of (b)",
        "tokens",
        "s/scene",
    ):
        table.add_column(col, justify="left" if col == "strategy" else "right")
    for name, r in rows.items():
        table.add_row(
            name,
            f"{r['recall']:.3f}",
            f"{r['precision']:.3f}",
            f"{r['f1']:.3f}",
            f"{r['pixels_per_scene']:,.0f}",
            f"{r['pixels_per_scene'] / tiling:.0%}",
            f"{r['tokens_per_scene']:,.0f}",
            f"{r['seconds_per_scene']:.1f}",
        )
    Console().print(table)


def eval_nano_cmd(
    data: Annotated[
        Path | None,
        typer.Option(help="Shared data folder holding the data sets (default <shared_data_dir>)."),
    ] = None,
    weights: Annotated[Path | None, typer.Option(help="Nano weights (default shipped).")] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="At most this many scenes per data set.")
    ] = None,
    only: Annotated[
        list[str] | None, typer.Option("--class", help="Score only this class (repeatable).")
    ] = None,
    cross: Annotated[
        bool, typer.Option(help="Also count instances reported on scenes without the class.")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Per class: recall/precision/F1 at box IoU ≥ 0.5 and 0.3, recall by size, cross-class FPs."""
    folder = data or Settings().shared_data_dir
    classes = tuple(c for c in NANO_CLASSES if not only or c.name in only)
    if not classes:
        raise DatasetError(
            f"no class among {only}; nano knows " + ", ".join(c.name for c in NANO_CLASSES)
        )
    warnings.filterwarnings("ignore", category=NotGeoreferencedWarning)
    model = NanoModel.load(weights or Settings().nano_weights)
    console = Console(stderr=True, quiet=as_json)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("searching", total=None)
        record = evaluate(
            model,
            folder,
            classes=classes,
            limit=limit,
            cross=cross,
            on_scene=lambda what: progress.update(task, advance=1, description=what),
        )
    record["weights"] = str(weights or Settings().nano_weights or SHIPPED_WEIGHTS)
    if as_json:
        typer.echo(json_text(record))
        return
    out = Console()
    table = Table(title="GeoMag-nano on the validation splits (searched as `geomag ask` does)")
    for col in (
        "class",
        "scenes",
        "objects",
        "R@.5",
        "P@.5",
        "F1@.5",
        "R@.3",
        "P@.3",
        "F1@.3",
        "refused (size)",
        "s/scene",
    ):
        table.add_column(col, justify="left" if col == "class" else "right")
    for name, r in record["classes"].items():
        a, b = r["iou50"], r["iou30"]
        table.add_row(
            f"{name} ({r['dataset']})",
            str(r["scenes"]),
            str(a["truth"]),
            f"{a['recall']:.3f}",
            f"{a['precision']:.3f}",
            f"{a['f1']:.3f}",
            f"{b['recall']:.3f}",
            f"{b['precision']:.3f}",
            f"{b['f1']:.3f}",
            str(r["implausible_refused"]),
            f"{r['seconds_per_scene']:.1f}",
        )
    out.print(table)
    sizes = Table(title="recall by the object's longer side (px), IoU ≥ 0.5 | ≥ 0.3")
    sizes.add_column("class")
    for key, _, _ in SIZE_BINS:
        sizes.add_column(key, justify="right")
    for name, r in record["classes"].items():
        cells = []
        for key, _, _ in SIZE_BINS:
            a, b = r["recall_by_size_iou50"][key], r["recall_by_size_iou30"][key]
            cells.append(
                "–" if not a["truth"] else f"{a['recall']:.2f} | {b['recall']:.2f} (n={a['truth']})"
            )
        sizes.add_row(name, *cells)
    out.print(sizes)
    if record["cross_class"]:
        fp = Table(title="cross-class false positives: instances reported where none exist")
        for col in ("asked for", "on", "scenes", "reported", "per scene"):
            fp.add_column(col, justify="left" if col in ("asked for", "on") else "right")
        for name, r in record["cross_class"].items():
            for ds, d in r["per_dataset"].items():
                fp.add_row(
                    name,
                    ds,
                    str(d["scenes"]),
                    str(d["reported"]),
                    f"{d['reported'] / max(1, d['scenes']):.2f}",
                )
            fp.add_row(name, "all", str(r["scenes"]), str(r["reported"]), f"{r['per_scene']:.2f}")
        out.print(fp)


def register(train_app: typer.Typer, eval_app: typer.Typer) -> None:
    """Add ``nano`` to ``train``, and ``nano`` and ``small-objects`` to ``eval``."""
    train_app.command("nano")(train_nano_cmd)
    eval_app.command("nano")(eval_nano_cmd)
    eval_app.command("small-objects")(small_objects_cmd)
