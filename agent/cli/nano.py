"""``geomag train nano`` and ``geomag eval small-objects``."""

from __future__ import annotations

import json
import warnings
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from agent.cli.output import json_text
from geomag_core.config import Settings
from geomag_core.errors import DatasetError
from geomag_core.nano.checkpoint import SHIPPED_WEIGHTS, save_head
from geomag_core.nano.classes import NANO_CLASSES
from geomag_core.nano.recipe import DatasetMix, NanoTrainConfig

__all__ = ["register"]

if TYPE_CHECKING:
    from geomag_core.nano.benchmark import StrategyTotals
    from geomag_core.nano.feedback import TrainingFeedback

_D = NanoTrainConfig()
#: The search, evaluation and benchmark modules (numpy, scipy, rasterio) load inside the commands
#: that run them: `geomag --help` and every other command start without them.


def _quiet_rasterio() -> None:
    """JPEG/PNG scenes are pixel-space by design: no "not georeferenced" warning per scene."""
    from rasterio.errors import NotGeoreferencedWarning

    warnings.filterwarnings("ignore", category=NotGeoreferencedWarning)


def _zooms(given: list[str]) -> tuple[tuple[str, float], ...]:
    """``--zoom CLASS=FACTOR`` values as ``(class, factor)`` pairs, checked."""
    names = [c.name for c in NANO_CLASSES]
    out: list[tuple[str, float]] = []
    for item in given:
        name, _, factor = item.rpartition("=")
        try:
            value = float(factor)
        except ValueError:
            value = 0.0
        if name not in names or not 1.0 <= value <= 4.0:
            raise typer.BadParameter(
                f"{item!r}: expected CLASS=FACTOR, CLASS one of {names} and FACTOR from 1 to 4",
                param_hint="--zoom",
            )
        if name in dict(out):
            raise typer.BadParameter(f"{name!r} is given twice", param_hint="--zoom")
        out.append((name, value))
    return tuple(out)


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
    other_class: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=0.8,
            help="Share of samples asked for another nano class (empty target): how the "
            "prompt is taught to matter.",
        ),
    ] = _D.other_class_fraction,
    cores: Annotated[
        float,
        typer.Option(
            min=0.3,
            max=1.0,
            help="Train on object cores: box ellipses shrunk by this factor (1: whole ellipses).",
        ),
    ] = _D.target_shrink,
    whole: Annotated[
        list[str] | None,
        typer.Option(help="A class whose targets stay whole ellipses with --cores (repeatable)."),
    ] = None,
    magnify: Annotated[
        bool,
        typer.Option(help="See native crops of zoomed classes (tanks) magnified, as searched."),
    ] = _D.magnify,
    zoom: Annotated[
        list[str] | None,
        typer.Option(
            help="With --magnify: CLASS=FACTOR, native crops of CLASS magnified by FACTOR "
            "instead of its own zoom (repeatable; e.g. car=2); the search reads it so too.",
        ),
    ] = None,
    zoom_negatives: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="With --magnify: share of extra crops of the other sets seen magnified and "
            "asked for the magnified class (empty targets).",
        ),
    ] = _D.zoom_negatives,
    grad_clip: Annotated[
        float | None,
        typer.Option(min=0.01, help="Clip each step's gradient norm to this (default: not)."),
    ] = _D.grad_clip,
    tune_backbone: Annotated[
        bool,
        typer.Option(
            help="Also train the backbone past its stem (~5x slower; the tuned backbone is "
            "written into the weights).",
        ),
    ] = _D.tune_backbone,
    backbone_lr: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="With --tune-backbone: its learning rate, × --lr."),
    ] = _D.backbone_lr,
    head_first: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=0.95,
            help="With --tune-backbone: share of the steps the head trains alone first.",
        ),
    ] = _D.head_first,
    small_weight: Annotated[
        float,
        typer.Option(
            min=1.0,
            max=10.0,
            help="Small target objects' pixels weigh up to this many times more in the mask "
            "loss, the smaller the more (1: every pixel once).",
        ),
    ] = _D.small_weight,
    finest_stride: Annotated[
        int,
        typer.Option(
            min=2,
            max=4,
            help="The decoder's finest level: 4, or 2 to decode from the backbone's stride-2 "
            "stem as well (finer outlines, slower).",
        ),
    ] = _D.finest_stride,
    centre_weight: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=10.0,
            help="Above 0: the head also learns each object's centre (a focal loss of this "
            "weight), a second score per instance (0: no centre head).",
        ),
    ] = _D.centre_weight,
    seed: Annotated[int, typer.Option(help="Seed of crops, prompts and init.")] = _D.seed,
    feedback: Annotated[
        bool,
        typer.Option(
            "--feedback",
            help="Also learn from the analyst's verdicts in the history (GEOMAG_DATABASE_URL): "
            "accepted, corrected and added objects as targets, rejected results as hard "
            "negatives, on the scenes they belong to.",
        ),
    ] = False,
    feedback_weight: Annotated[
        float,
        typer.Option(
            min=0.1, help="With --feedback: crops of a judged scene, × a training scene's."
        ),
    ] = _D.feedback_weight,
    feedback_negative_crops: Annotated[
        int, typer.Option(min=0, help="With --feedback: crops centred on each rejected result.")
    ] = _D.feedback_negative_crops,
    watch: Annotated[
        int,
        typer.Option(
            min=0,
            help="Every N steps, print each class's highest mask probability on its own "
            "training crops, and say at once when a class learned earlier is lost (0: only at "
            "the end).",
        ),
    ] = 0,
) -> None:
    """Train GeoMag-nano's head on aircraft, oil-storage tanks and cars.

    The ImageNet backbone stays frozen unless --tune-backbone.
    """
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
        other_class_fraction=other_class,
        target_shrink=cores,
        whole_classes=tuple(whole) if whole is not None else _D.whole_classes,
        magnify=magnify,
        zoom=_zooms(zoom or []),
        zoom_negatives=zoom_negatives,
        grad_clip=grad_clip,
        tune_backbone=tune_backbone,
        backbone_lr=backbone_lr,
        head_first=head_first,
        small_weight=small_weight,
        finest_stride=finest_stride,
        centre_weight=centre_weight,
        seed=seed,
        feedback_weight=feedback_weight,
        feedback_negative_crops=feedback_negative_crops,
    )
    if finest_stride not in (2, 4):
        raise typer.BadParameter("use 4 (the shipped decoder) or 2", param_hint="--finest-stride")
    if config.zoom and not config.magnify:
        raise typer.BadParameter("--zoom needs --magnify", param_hint="--zoom")
    for flag, value, default in (
        ("--backbone-lr", backbone_lr, _D.backbone_lr),
        ("--head-first", head_first, _D.head_first),
    ):
        if value != default and not tune_backbone:
            raise typer.BadParameter(f"{flag} needs --tune-backbone", param_hint=flag)
    unknown = set(config.whole_classes) - {c.name for c in NANO_CLASSES}
    if unknown:
        raise typer.BadParameter(
            f"unknown class {sorted(unknown)}; nano's classes: {[c.name for c in NANO_CLASSES]}",
            param_hint="--whole",
        )
    console = Console()
    verdicts = _read_feedback(console) if feedback else None
    with Progress(console=console) as progress:
        cache_task = progress.add_task("backbone features", total=config.crops)
        step_task = progress.add_task("training", total=steps)

        def on_cache(done: int, total: int) -> None:
            progress.update(cache_task, completed=done, total=total)

        def on_step(step: int, loss: float) -> None:
            progress.update(step_task, advance=1, description=f"training loss {loss:.3f}")

        watched: list[tuple[int, dict[str, float]]] = []

        def on_watch(step: int, responses: dict[str, float]) -> None:
            from geomag_core.nano.training import lost_classes

            before = lost_classes(watched)
            watched.append((step, responses))
            progress.console.print(
                f"after {step} steps, highest mask probability on its own training crops: "
                + ", ".join(f"{name} {p:.3f}" for name, p in responses.items())
            )
            for name, (at, peak) in lost_classes(watched).items():
                if name not in before:
                    progress.console.print(
                        f"[bold red]{escape(name)}: fell under 0.5 by step {at} after reaching "
                        f"{peak:.3f}: the run is losing the class (stop it and change the "
                        "recipe, see the README).[/bold red]"
                    )

        from geomag_core.nano.training import train_nano  # torch: only when training

        head, report = train_nano(
            folder,
            config,
            on_cache=on_cache,
            on_step=on_step,
            feedback=verdicts.scenes if verdicts else (),
            watch=watch,
            on_watch=on_watch,
        )
    meta = {
        "seed": str(seed),
        "train_config": json.dumps(asdict(config)),
        "classes": json.dumps([c.name for c in NANO_CLASSES]),
        "data": "train splits of "
        + ", ".join(m.dataset for m in mix)
        + " (geomag_core/nano/data/*_split.json)",
        "targets": "ellipses inscribed in the annotated boxes (box-derived)"
        + (
            f", shrunk to {cores:g} (cores) except {', '.join(config.whole_classes) or 'none'}"
            if cores != 1.0
            else ""
        ),
    }
    if verdicts:
        summary = verdicts.summary() | {
            "crops": report.feedback_crops,
            "hard_negative_crops": report.hard_negative_crops,
            "weight": config.feedback_weight,
            "negative_crops_per_reject": config.feedback_negative_crops,
        }
        meta["feedback"] = json.dumps(summary)
        meta["data"] += (
            f"; analyst feedback: {sum(summary['verdicts'].values())} verdicts on "
            f"{summary['scenes']} scene(s) ({verdicts.source})"
        )
    save_head(head, out, meta, backbone=report.backbone)
    first = sum(report.losses[:50]) / min(50, len(report.losses))
    last = sum(report.losses[-50:]) / min(50, len(report.losses))
    scenes = ", ".join(f"{n} {k}" for k, n in report.scenes.items())
    console.print(
        f"{report.crops} crops from {scenes} scenes; cache {report.seconds['cache']:.0f} s, "
        f"train {report.seconds['train']:.0f} s; loss {first:.3f} → {last:.3f} (mean of 50)"
    )
    _print_responses(console, report.responses)
    if verdicts:
        console.print(
            f"of them {report.feedback_crops} from the judged scenes "
            f"({report.hard_negative_crops} centred on rejected results)"
        )
        _warn_not_held_out(console, verdicts)
    console.print(f"wrote {out}")


def _print_responses(console: Console, responses: dict[str, float]) -> None:
    """Each class's highest mask probability on its own training crops; a lost class in red."""
    console.print(
        "highest mask probability on its own training crops: "
        + ", ".join(f"{name} {p:.3f}" for name, p in responses.items())
    )
    for name, p in responses.items():
        if p < 0.5:
            console.print(
                f"[bold red]{escape(name)}: the trained masks stay under 0.5 on its own training "
                "crops, so the search can find none: the run did not learn this class or lost "
                "it (a four-class run that diverged did). Retrain: more steps, or --grad-clip 1 "
                "(see the README).[/bold red]"
            )


def _read_feedback(console: Console) -> TrainingFeedback:
    """The history's verdicts as training targets, said in a few lines (refused when none)."""
    from agent.cli.feedback_targets import read_training_feedback
    from db.migrations import open_database

    engine = open_database()
    try:
        verdicts = read_training_feedback(engine)
    finally:
        engine.dispose()
    if not verdicts:
        raise DatasetError(
            f"--feedback: the history ({verdicts.source}) holds no verdict on an aircraft, "
            "oil-storage tank or car: judge results first (`geomag feedback`, or History in "
            "the app), or leave out --feedback"
        )
    table = Table(title=escape(f"analyst feedback from {verdicts.source}"))
    for col in ("class", "scenes", "accept", "correct", "add", "reject"):
        table.add_column(col, justify="left" if col == "class" else "right")
    summary = verdicts.summary()
    for name, row in summary["by_class"].items():
        table.add_row(
            name, *(str(row[k]) for k in ("scenes", "accept", "correct", "add", "reject"))
        )
    console.print(table)
    left = summary["ignored"]
    labels = ", ".join(f"{k}: {v}" for k, v in sorted(left["not_a_nano_class"].items()))
    console.print(
        f"left out: {verdicts.ignored} judged result(s) of labels nano does not learn"
        + (f" ({escape(labels)})" if labels else "")
        + f", {left['unjudged']} unjudged, {left['added_then_rejected']} added then rejected, "
        f"{left['without_shape']} without a shape"
    )
    _warn_not_held_out(console, verdicts)
    return verdicts


def _warn_not_held_out(console: Console, verdicts: TrainingFeedback) -> None:
    """Say loudly which judged scenes are validation scenes: their evaluation is not held out."""
    from geomag_core.nano.feedback import validation_overlap

    overlap = validation_overlap(verdicts)
    if not overlap:
        return
    names = ", ".join(sorted({f"{o['scene']} ({o['split']})" for o in overlap}))
    console.print(
        f"[bold red]WARNING: {len({o['scene'] for o in overlap})} scene(s) with verdicts are "
        f"in a validation split, so `geomag eval nano` on them is NO LONGER HELD OUT: "
        f"{escape(names)}[/bold red]"
    )


#: ``geomag eval small-objects --dataset``: the data sets with a nano class.
_BENCH_SETS = {"aircraft": "aircraft", "oil-storage": "oil-storage tank"}


def _labelled_scenes(
    dataset: str, images: Path | None, annotations: Path | None, split: str
) -> list[tuple[Path, list[tuple[float, float, float, float]]]]:
    """The scenes to score with their boxes: the project's split, or a folder and its CSV."""
    from geomag_core.nano.datasets import DATASETS, load_scenes, load_split, read_box_csv

    if images is None and annotations is None:
        found = load_scenes(Settings().shared_data_dir, dataset, split)
        return [(s.path, [b.as_tuple() for b in s.boxes]) for s in found]
    spec = DATASETS[dataset]
    folder = images or Settings().shared_data_dir / spec.folder / spec.images
    csv_path = annotations or folder.parent / "annotations.csv"
    truth = read_box_csv(csv_path)
    names = sorted(p.name for p in folder.glob("*.jpg")) + sorted(
        p.name for p in folder.glob("*.tif")
    )
    if split != "all":
        wanted = set(load_split(spec.split_file)[split])
        names = [n for n in names if n in wanted]
    return [(folder / n, [b.as_tuple() for b in truth.get(n, [])]) for n in names]


def small_objects_cmd(
    dataset: Annotated[
        str, typer.Option(help="aircraft | oil-storage: the class and its data set.")
    ] = "aircraft",
    images: Annotated[
        Path | None,
        typer.Option(help="Scene folder (default: the data set's folder under the shared data)."),
    ] = None,
    annotations: Annotated[
        Path | None,
        typer.Option(
            help="CSV with Airbus aircraft polygons (geometry) or oil-storage bounds "
            "(default: annotations.csv beside the images)."
        ),
    ] = None,
    split: Annotated[
        str, typer.Option(help="val | train | all: which scenes of the project's split.")
    ] = "val",
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many scenes.")] = None,
    query: Annotated[
        str, typer.Option(help="The prompt (default: the class's own, as `geomag ask` uses).")
    ] = "",
    weights: Annotated[Path | None, typer.Option(help="Nano weights (default shipped).")] = None,
    overview: Annotated[
        int | None,
        typer.Option(help="Long side of (a) and the heat-map view [default: the benchmark's]."),
    ] = None,
    window: Annotated[
        int | None, typer.Option(help="PSC window side (scene px) [default: the benchmark's].")
    ] = None,
    top_k: Annotated[
        int | None, typer.Option(help="(c): windows kept [default: the benchmark's].")
    ] = None,
    coverage: Annotated[
        float | None, typer.Option(min=0.01, max=1.0, help="(d), (e): heat share to cover.")
    ] = None,
    block: Annotated[
        int | None, typer.Option(min=1, help="(d), (e): block side (scene px).")
    ] = None,
    max_fraction: Annotated[
        float | None,
        typer.Option(
            min=0.01, max=1.0, help="(d), (e): most of the scene read at native resolution."
        ),
    ] = None,
    margin: Annotated[
        int | None, typer.Option(min=0, help="(d), (e): context around each window (px).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Six ways of looking for one class: recall (IoU 0.5, 0.3, by size), pixels and time."""
    if dataset not in _BENCH_SETS:
        raise DatasetError(f"--dataset {dataset!r}: use one of {', '.join(_BENCH_SETS)}")
    if split not in ("val", "train", "all"):
        raise DatasetError(f"--split {split!r}: use val, train or all")
    scenes = _labelled_scenes(dataset, images, annotations, split)
    scenes = scenes[:limit] if limit else scenes
    if not scenes:
        raise DatasetError(f"no {split!r} scenes of {dataset} to score")
    from geomag_core.nano.benchmark import STRATEGIES, BenchmarkConfig, run_scene
    from geomag_core.scene import Scene

    base = BenchmarkConfig(target=_BENCH_SETS[dataset], query=query)  # options left: its own
    search = replace(
        base.search,
        block=block or base.search.block,
        margin=base.search.margin if margin is None else margin,
        coverage=coverage or base.search.coverage,
        max_fraction=max_fraction or base.search.max_fraction,
    )
    side = window or base.window
    cfg = replace(
        base,
        overview=overview or base.overview,
        window=side,
        window_stride=max(1, side // 4),
        top_k=top_k or base.top_k,
        search=search,
    )
    _quiet_rasterio()
    from geomag_core.nano.predictor import NanoModel  # torch: only when evaluating

    model = NanoModel.load(weights or Settings().nano_weights)
    totals: dict[str, StrategyTotals] = {}
    console = Console(stderr=True, quiet=as_json)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("scenes", total=len(scenes) * len(STRATEGIES))
        for path, boxes in scenes:
            run_scene(
                model,
                Scene(path),
                boxes,
                cfg,
                totals,
                on_strategy=lambda s: progress.update(task, advance=1, description=s),
            )
    rows = {k: totals[k].as_dict(cfg.iou) for k in STRATEGIES}
    names = [p.name for p, _ in scenes]
    if as_json:
        config = asdict(cfg) | {"query": cfg.prompt, "magnified": model.magnifies}
        record = {"dataset": dataset, "scenes": names, "config": config, "strategies": rows}
        typer.echo(json_text(record))
        return
    _print_small_objects(rows, f"{len(names)} {split} {dataset} scene(s), query {cfg.prompt!r}")


def _print_small_objects(rows: dict[str, dict[str, Any]], title: str) -> None:
    """The benchmark's two tables: scores and cost, then recall by size."""
    from geomag_core.nano.evaluation import SIZE_BINS

    tiling = rows["b-tiling"]["pixels_per_scene"]
    table = Table(title=f"small objects: {title}")
    for col in ("strategy", "R@.5", "P@.5", "F1@.5", "R@.3", "px/scene", "% of (b)", "s/scene"):
        table.add_column(col, justify="left" if col == "strategy" else "right")
    for name, r in rows.items():
        table.add_row(
            name,
            f"{r['recall']:.3f}",
            f"{r['precision']:.3f}",
            f"{r['f1']:.3f}",
            f"{r['iou30']['recall']:.3f}",
            f"{r['pixels_per_scene']:,.0f}",
            f"{r['pixels_per_scene'] / tiling:.0%}",
            f"{r['seconds_per_scene']:.1f}",
        )
    sizes = Table(title="recall by the object's longer side (px), IoU ≥ 0.5")
    sizes.add_column("strategy")
    for key, _, _ in SIZE_BINS:
        sizes.add_column(key, justify="right")
    for name, r in rows.items():
        cells = [
            "–" if not c["truth"] else f"{c['recall']:.2f} (n={c['truth']})"
            for c in (r["recall_by_size"][k] for k, _, _ in SIZE_BINS)
        ]
        sizes.add_row(name, *cells)
    out = Console()
    out.print(table)
    out.print(sizes)


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
    coarsen: Annotated[
        float,
        typer.Option(
            min=0.25,
            max=4.0,
            help="Read each class's scenes this many times coarser, at that multiple of its "
            "training GSD (another scale; 1: as they are).",
        ),
    ] = 1.0,
    normalise: Annotated[
        bool,
        typer.Option(help="Resample scenes at another scale to the class's training scale."),
    ] = True,
    min_score: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=0.99,
            help="Score floor: drop components whose score (the mean probability; with a centre "
            "head, its geometric mean with the centre's peak) is lower, wherever the search "
            "meets them (default: the product's, 0.75). To trace recall against "
            "precision; the record says the floor it was measured with.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Per class: recall/precision/F1 at box IoU ≥ 0.5 and 0.3, recall by size, cross-class FPs."""
    folder = data or Settings().shared_data_dir
    classes = tuple(c for c in NANO_CLASSES if not only or c.name in only)
    if not classes:
        raise DatasetError(
            f"no class among {only}; nano knows " + ", ".join(c.name for c in NANO_CLASSES)
        )
    _quiet_rasterio()
    from geomag_core.nano.evaluation import SIZE_BINS, evaluate
    from geomag_core.nano.predictor import NanoModel  # torch: only when evaluating
    from geomag_core.nano.search import MIN_INSTANCE_SCORE, AutoSearch, BlockSearch

    model = NanoModel.load(weights or Settings().nano_weights)
    search = None if min_score is None else AutoSearch(blocks=BlockSearch(min_score=min_score))
    console = Console(stderr=True, quiet=as_json)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("searching", total=None)
        record = evaluate(
            model,
            folder,
            classes=classes,
            search=search,
            limit=limit,
            cross=cross,
            on_scene=lambda what: progress.update(task, advance=1, description=what),
            coarsen=coarsen,
            normalise=normalise,
        )
    record["weights"] = str(weights or Settings().nano_weights or SHIPPED_WEIGHTS)
    _say_feedback(record, Path(record["weights"]))
    if as_json:
        typer.echo(json_text(record))
        return
    out = Console()
    how = "searched as `geomag ask` does"
    if min_score is not None:
        how += f", but with a score floor of {min_score:g} (the product's: {MIN_INSTANCE_SCORE:g})"
    table = Table(title=f"GeoMag-nano on the validation splits ({how})")
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
    not_held = {
        k: r["scenes_with_verdicts"] for k, r in record["classes"].items() if not r["held_out"]
    }
    for name, seen in not_held.items():
        out.print(
            f"[bold red]{name}: {len(seen)} of these scenes were learned from (analyst "
            f"feedback in the weights): not held out[/bold red]"
        )
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


def _say_feedback(record: dict[str, Any], weights: Path) -> None:
    """Put the weights' analyst feedback in the record, and mark each class held out or not.

    ``feedback``: the summary ``geomag train nano --feedback`` stored in the weights (``None``:
    trained without). A class is ``held_out`` unless some of its scored scenes had verdicts
    learned from (``scenes_with_verdicts``).
    """
    from geomag_core.nano.checkpoint import load_head

    _, meta = load_head(weights)
    feedback = json.loads(meta["feedback"]) if "feedback" in meta else None
    record["feedback"] = feedback
    judged = {s["scene"] for s in feedback["scene_files"]} if feedback else set()
    for scores in record["classes"].values():
        seen = [n for n in record["scenes"].get(scores["dataset"], []) if n in judged]
        scores["held_out"] = not seen
        scores["scenes_with_verdicts"] = seen


def nano_outlines_cmd(
    data: Annotated[
        Path | None,
        typer.Option(help="Shared data folder holding the data sets (default <shared_data_dir>)."),
    ] = None,
    weights: Annotated[
        Path, typer.Option(help="Nano weights; the calibration is written beside them.")
    ] = SHIPPED_WEIGHTS,
    scenes: Annotated[int, typer.Option(min=1, help="Training scenes per class.")] = 20,
    seed: Annotated[int, typer.Option(help="Seed of the scene sample.")] = 0,
) -> None:
    """Measure how much longer objects are than nano's outlines (training scenes); store it.

    Writes ``<weights>.outlines.json``: per class the median object/outline length ratio (the
    growth the search applies), its 5th–95th percentiles (the spread the size rule allows) and
    the most elongated outline the shape rule allows (99th percentile of the matched outlines).
    """
    from geomag_core.nano.evaluation import calibrate_outlines
    from geomag_core.nano.outlines import write_outlines
    from geomag_core.nano.predictor import NanoModel  # torch: only when calibrating

    _quiet_rasterio()
    folder = data or Settings().shared_data_dir
    model = NanoModel.load(weights)
    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("searching training scenes", total=scenes * len(NANO_CLASSES))
        scales = calibrate_outlines(
            model,
            folder,
            scenes_per_class=scenes,
            seed=seed,
            on_scene=lambda what: progress.update(task, advance=1, description=what),
        )
    command = f"geomag train nano-outlines --scenes {scenes} --seed {seed}"
    path = write_outlines(weights, scales, {"split": "train", "command": command})
    table = Table(title=f"object length / outline length on training scenes → {path.name}")
    for col in ("class", "pairs", "grow (median)", "5th pct", "95th pct", "recipe", "elongation"):
        table.add_column(col, justify="left" if col == "class" else "right")
    for name, sc in scales.items():
        recipe = 1.0 / model.shrink_for(name)
        table.add_row(
            name,
            str(sc.pairs),
            f"{sc.grow:.3f}",
            f"{sc.low:.3f}",
            f"{sc.high:.3f}",
            f"{recipe:.3f}",
            "—" if sc.elongation is None else f"{sc.elongation:.2f}",
        )
    Console().print(table)


def register(train_app: typer.Typer, eval_app: typer.Typer) -> None:
    """Add ``nano`` and ``nano-outlines`` to ``train``; ``nano``, ``small-objects`` to ``eval``."""
    train_app.command("nano")(train_nano_cmd)
    train_app.command("nano-outlines")(nano_outlines_cmd)
    eval_app.command("nano")(eval_nano_cmd)
    eval_app.command("small-objects")(small_objects_cmd)
