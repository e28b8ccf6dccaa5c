"""Does nano learn from an analyst's verdicts? A simulated analyst on the validation splits.

Issue #26, item 3. Per class (aircraft, oil-storage tanks, cars), the class's validation scenes
are split (seeded) into *feedback scenes* (about half) and *other scenes*. Then:

1. The shipped weights search each feedback scene as ``geomag eval nano`` does
   (:func:`~geomag_core.nano.search.search_scene`, the size rule at the class's training GSD),
   and every instance is stored in a fresh SpatiaLite history through the real writes
   (:func:`db.writes.save_question`), outline and box as the app stores them.
2. A simulated analyst reads the history back (:func:`db.history.find_all_results`) and
   compares each scene's results with its annotated boxes at IoU ≥ 0.5, one to one (the
   evaluation's matching): accepts the matches, rejects the rest
   (:func:`db.feedback.save_feedback`) and adds every annotated object nothing matched
   (:func:`db.feedback.add_object`).
3. ``geomag train nano --feedback`` with the shipped recipe and seed, reading that history.
   With ``--control``, the same recipe without ``--feedback`` too (it is compared tensor by
   tensor with the shipped weights: if equal, the shipped weights are the control). Each new
   weights file gets its outline calibration (``geomag train nano-outlines``), as the shipped
   weights have.
4. Each model searches both scene sets; recall and precision at box IoU ≥ 0.5 (and 0.3) per
   class and set, printed as markdown and written to ``--report``.

The feedback scenes are validation scenes learned from on purpose: their rows are *not held out*
(training says so loudly). The *other scenes* stay held out.

Run (about an hour on the 2-core CPU: two trainings, two calibrations, three evaluations)::

    HF_HUB_OFFLINE=1 nice -n 10 .venv/bin/python scripts/study_feedback.py --control

A quick smoke run: ``--steps 60 --crops-scale 0.01 --limit 2 --no-calibrate``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

#: The shipped recipe (README, "Training"): what ``geomag train nano`` is run with here.
RECIPE = [
    "--cores",
    "0.7",
    "--whole",
    "car",
    "--magnify",
    "--zoom-negatives",
    "0.3",
    "--grad-clip",
    "1",
    "--tune-backbone",
    "--head-first",
    "0.25",
]
KINDS = ("accept", "reject", "add")


@dataclass
class SceneSplit:
    """One class's validation scenes, split into feedback scenes and the others."""

    class_name: str
    dataset: str
    feedback: list[Any] = field(default_factory=list)
    other: list[Any] = field(default_factory=list)


def log(message: str) -> None:
    """Progress, with the time of day, flushed at once."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def split_scenes(shared: Path, seed: int, fraction: float, limit: int | None) -> list[SceneSplit]:
    """Per class, its validation scenes shuffled (seeded) and cut into feedback / other."""
    from geomag_core.nano.classes import NANO_CLASSES
    from geomag_core.nano.datasets import load_scenes
    from geomag_core.nano.feedback import dataset_of_class

    out = []
    for target in NANO_CLASSES:
        dataset = dataset_of_class(target.name)
        scenes = load_scenes(shared, dataset, "val")
        random.Random(f"{seed}-{target.name}").shuffle(scenes)
        cut = max(1, round(len(scenes) * fraction)) if len(scenes) > 1 else 0
        feedback, other = scenes[:cut], scenes[cut:]
        if limit:
            feedback, other = feedback[:limit], other[:limit]
        out.append(SceneSplit(target.name, dataset, feedback, other))
    return out


def search(model: Any, path: Path, class_name: str) -> Any:
    """What ``geomag eval nano`` does for one scene and class."""
    from geomag_core.nano.classes import class_named, scene_gsd
    from geomag_core.nano.search import search_scene
    from geomag_core.scene import Scene

    target = class_named(class_name)
    scene = Scene(path)
    return scene, search_scene(model, scene, target, gsd_m=scene_gsd(scene) or target.gsd_m)


def store_detections(engine: Any, model: Any, splits: list[SceneSplit]) -> int:
    """Search every feedback scene with ``model`` and store each instance as the app does."""
    from db.enums import ResultKind
    from db.records import QueryFacts, QuestionRecord, ResultFacts, SceneFacts
    from db.writes import save_question
    from geomag_core.granularity import Granularity
    from geomag_core.nano.classes import class_named
    from geomag_core.polygons.grounded import ground_mask

    stored = 0
    for split in splits:
        target = class_named(split.class_name)
        for labelled in split.feedback:
            t = time.perf_counter()
            scene, found = search(model, labelled.path, split.class_name)
            results = []
            for inst in found.instances:
                polygons = ground_mask(scene, inst.mask, label=target.name, confidence=inst.score)
                if not polygons:
                    continue
                p = polygons[0]
                results.append(
                    ResultFacts(
                        kind=ResultKind.MASK,
                        label=target.name,
                        confidence=round(float(inst.score), 4),
                        geometry=p.wgs84_geometry,
                        geometry_scene=p.crs_geometry or p.pixel_geometry,
                        pixel_box=p.pixel_box,
                        area_m2=p.area_m2,
                    )
                )
            record = QuestionRecord(
                scene=SceneFacts.from_scene(scene),
                query=QueryFacts(
                    text=f"find every {target.plural}",
                    granularity=Granularity.PIXEL,
                    probabilities={
                        Granularity.IMAGE: 0.0,
                        Granularity.REGION: 0.0,
                        Granularity.PIXEL: 1.0,
                    },
                    model_versions={"nano": "shipped", "study": "feedback"},
                    latency_ms=(time.perf_counter() - t) * 1000,
                ),
                results=results,
            )
            save_question(engine, record)
            stored += len(results)
            log(f"  stored {len(results):3d} {target.plural} on {labelled.path.name}")
    return stored


def simulate_analyst(engine: Any, splits: list[SceneSplit]) -> dict[str, dict[str, int]]:
    """Accept results matching an annotated box (IoU ≥ 0.5), reject the rest, add the missed."""
    from shapely.geometry import box

    from agent.cli.feedback_targets import box_in_pixels
    from db.enums import Verdict
    from db.feedback import add_object, save_feedback
    from db.history import HistoryFilter, find_all_results
    from geomag_core.nano.matching import match_pairs

    records = find_all_results(engine, HistoryFilter(include_rejected=True))
    counts: dict[str, dict[str, int]] = {}
    for split in splits:
        tally = counts.setdefault(split.class_name, dict.fromkeys(KINDS, 0))
        for labelled in split.feedback:
            mine = [
                r
                for r in records
                if Path(r.scene_uri) == labelled.path and r.label == split.class_name
            ]
            found = [box_in_pixels(r.outline_px).as_tuple() for r in mine]
            truth = [b.as_tuple() for b in labelled.boxes]
            pairs = match_pairs(found, truth, 0.5)
            matched = {i for i, _ in pairs}
            hit = {j for _, j in pairs}
            for i, r in enumerate(mine):
                verdict = Verdict.ACCEPT if i in matched else Verdict.REJECT
                save_feedback(engine, r.result_id, verdict, analyst="simulated")
                tally[str(verdict)] += 1
            for j, b in enumerate(truth):
                if j in hit:
                    continue
                add_object(
                    engine,
                    str(labelled.path),
                    split.class_name,
                    pixels=box(*b),
                    note="missed (annotation)",
                    analyst="simulated",
                )
                tally["add"] += 1
            log(
                f"  {labelled.path.name}: {len(matched)} accepted, {len(mine) - len(matched)} "
                f"rejected, {len(truth) - len(hit)} added ({split.class_name})"
            )
    return counts


def geomag(args: list[str], env: dict[str, str]) -> float:
    """Run ``geomag ARGS`` (the CLI, in a child process); returns its wall time in seconds."""
    command = [sys.executable, "-m", "agent.cli.main", *args]
    log("$ geomag " + " ".join(args))
    t = time.perf_counter()
    subprocess.run(command, check=True, cwd=REPO, env=env)
    return time.perf_counter() - t


def same_weights(a: Path, b: Path) -> tuple[bool, float]:
    """Whether two weights files hold equal tensors, and the largest absolute difference."""
    from safetensors.torch import load_file

    x, y = load_file(str(a)), load_file(str(b))
    if set(x) != set(y):
        return False, float("inf")
    diff = max(float((x[k].float() - y[k].float()).abs().max()) for k in x)
    return diff == 0.0, diff


def score(model: Any, splits: list[SceneSplit]) -> dict[str, dict[str, Any]]:
    """Per class and scene set: the evaluation's scores (``ClassScore.as_dict``)."""
    from geomag_core.nano.evaluation import ClassScore

    out: dict[str, dict[str, Any]] = {}
    for split in splits:
        for name, scenes in (("feedback", split.feedback), ("other", split.other)):
            s = ClassScore(dataset=split.dataset)
            for labelled in scenes:
                t = time.perf_counter()
                _, found = search(model, labelled.path, split.class_name)
                s.add(
                    [f.box for f in found.instances],
                    [b.as_tuple() for b in labelled.boxes],
                    [f.box for f in found.implausible],
                    time.perf_counter() - t,
                    found.searched_fraction,
                )
            out.setdefault(split.class_name, {})[name] = s.as_dict()
            r = s.as_dict()["iou50"]
            log(
                f"  {split.class_name}, {name} scenes ({len(scenes)}): "
                f"R {r['recall']:.3f} P {r['precision']:.3f} ({r['tp']}/{r['truth']})"
            )
    return out


def table(
    splits: list[SceneSplit],
    scores: dict[str, dict[str, dict[str, Any]]],
    iou: str,
) -> str:
    """The markdown table of R/P at ``iou`` (``iou50`` / ``iou30``) per class, set and model."""
    models = list(scores)
    head = ["class", "scenes", "objects", *[f"{m} R / P" for m in models]]
    if "feedback" in models:
        base = "control" if "control" in models else "shipped"
        head += [f"ΔR vs {base}", f"ΔP vs {base}"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for split in splits:
        for name, scenes in (("feedback", split.feedback), ("other", split.other)):
            cells = [
                split.class_name,
                f"{name} ({len(scenes)})",
                str(scores[models[0]][split.class_name][name][iou]["truth"]),
            ]
            for m in models:
                r = scores[m][split.class_name][name][iou]
                cells.append(f"{r['recall']:.3f} / {r['precision']:.3f}")
            if "feedback" in models:
                a = scores[base][split.class_name][name][iou]
                b = scores["feedback"][split.class_name][name][iou]
                cells += [
                    f"{b['recall'] - a['recall']:+.3f}",
                    f"{b['precision'] - a['precision']:+.3f}",
                ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def verdict_table(
    splits: list[SceneSplit], verdicts: dict[str, dict[str, int]], crops: dict[str, Any]
) -> str:
    """Verdicts per class: what the simulated analyst did on the feedback scenes."""
    lines = [
        "| class | feedback scenes | accept | reject | add | verdicts |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for split in splits:
        v = verdicts.get(split.class_name, dict.fromkeys(KINDS, 0))
        lines.append(
            f"| {split.class_name} | {len(split.feedback)} | {v['accept']} | {v['reject']} | "
            f"{v['add']} | {sum(v.values())} |"
        )
    if crops:
        lines.append("")
        lines.append(
            f"Training added {crops.get('crops', 0)} crops from the judged scenes "
            f"({crops.get('hard_negative_crops', 0)} of them centred on rejected results) to "
            "the recipe's own."
        )
    return "\n".join(lines)


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(
        description="Simulated-analyst study: does `geomag train nano --feedback` help?",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the scene split")
    p.add_argument("--fraction", type=float, default=0.5, help="share of scenes with verdicts")
    p.add_argument(
        "--work",
        type=Path,
        default=REPO / "out" / "study_feedback",
        help="folder for the history, the weights and study.json",
    )
    p.add_argument(
        "--report", type=Path, default=REPO / "out" / "study_feedback.md", help="markdown out"
    )
    p.add_argument("--control", action="store_true", help="also train without --feedback")
    p.add_argument("--steps", type=int, default=None, help="training steps (None: the recipe's)")
    p.add_argument("--crops-scale", type=float, default=None, help="crop counts × this")
    p.add_argument("--limit", type=int, default=None, help="at most N scenes per set (smoke)")
    p.add_argument(
        "--no-calibrate",
        action="store_true",
        help="copy the shipped outline calibration instead of measuring each new weights'",
    )
    p.add_argument(
        "--feedback-weight",
        type=float,
        default=1.0,
        help="crops of a judged scene × a training scene's (geomag train nano --feedback-weight)",
    )
    p.add_argument(
        "--train-seed",
        type=int,
        default=0,
        help="seed of both trainings (the shipped weights: 0)",
    )
    p.add_argument("--reuse", action="store_true", help="keep weights already trained in --work")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the study; print and write the report."""
    args = parse(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from rasterio.errors import NotGeoreferencedWarning

    warnings.filterwarnings("ignore", category=NotGeoreferencedWarning)
    from db.migrations import open_database
    from geomag_core.config import Settings
    from geomag_core.nano.checkpoint import SHIPPED_WEIGHTS, load_head
    from geomag_core.nano.outlines import outlines_path
    from geomag_core.nano.predictor import NanoModel

    started = time.perf_counter()
    shared = Settings().shared_data_dir
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    splits = split_scenes(shared, args.seed, args.fraction, args.limit)
    for s in splits:
        log(
            f"{s.class_name}: {len(s.feedback)} feedback scenes "
            f"({', '.join(x.path.name[:8] for x in s.feedback)}), {len(s.other)} other"
        )
    db_path = work / "history.sqlite"
    if db_path.exists():
        db_path.unlink()
    url = f"sqlite:///{db_path}"
    engine = open_database(url)
    timings: dict[str, float] = {}

    log("1. the shipped weights search the feedback scenes; results stored in " + url)
    t = time.perf_counter()
    shipped = NanoModel.load(SHIPPED_WEIGHTS)
    stored = store_detections(engine, shipped, splits)
    timings["search and store"] = time.perf_counter() - t
    log(f"   {stored} results stored")

    log("2. the simulated analyst judges them (IoU ≥ 0.5 against the annotations)")
    verdicts = simulate_analyst(engine, splits)
    engine.dispose()
    for name, v in verdicts.items():
        log(f"   {name}: " + ", ".join(f"{v[k]} {k}" for k in KINDS))

    env = dict(os.environ, GEOMAG_DATABASE_URL=url, HF_HUB_OFFLINE="1")
    extra = [] if args.steps is None else ["--steps", str(args.steps)]
    extra += [] if args.crops_scale is None else ["--crops-scale", str(args.crops_scale)]
    fed = ["--feedback", "--feedback-weight", f"{args.feedback_weight:g}"]
    runs = {"feedback": fed} | ({"control": []} if args.control else {})
    weights: dict[str, Path] = {"shipped": SHIPPED_WEIGHTS}
    control_note = ""
    for name, flags in runs.items():
        tag = f"-f{args.fraction:g}-w{args.feedback_weight:g}" if name == "feedback" else ""
        tag += f"-s{args.train_seed}" if args.train_seed else ""
        out = work / f"nano-{name}{tag}.safetensors"
        weights[name] = out
        if args.reuse and out.exists():
            log(f"3. reusing {out}")
        else:
            log(
                f"3. training ({name}): the shipped recipe, seed {args.train_seed}"
                + (" + verdicts" if flags else "")
            )
            seed = ["--seed", str(args.train_seed)]
            timings[f"train {name}"] = geomag(
                ["train", "nano", *RECIPE, *seed, *flags, *extra, "--out", str(out)], env
            )
        if name == "control" and args.train_seed != 0:
            control_note = f"The control is the recipe at seed {args.train_seed} without feedback."
        elif name == "control":
            equal, diff = same_weights(out, SHIPPED_WEIGHTS)
            control_note = (
                "The control (the recipe retrained without feedback) is bit for bit the "
                "shipped weights: the recipe is deterministic here, and the shipped column "
                "is the control."
                if equal
                else f"The control differs from the shipped weights (largest |Δ| {diff:.3g}): "
                "retraining is not bit-for-bit reproducible here, so the control is compared."
            )
            log(control_note)
            if equal:
                del weights["control"]
                continue
        if args.reuse and outlines_path(out).exists():
            continue  # calibrated before
        if args.no_calibrate:
            outlines_path(out).write_text(outlines_path(SHIPPED_WEIGHTS).read_text())
        else:
            timings[f"calibrate {name}"] = geomag(
                ["train", "nano-outlines", "--weights", str(out)], env
            )

    scores: dict[str, dict[str, dict[str, Any]]] = {}
    for name, path in weights.items():
        log(f"4. scoring {name} ({path.name}) on the feedback and the other scenes")
        t = time.perf_counter()
        scores[name] = score(NanoModel.load(path), splits)
        timings[f"score {name}"] = time.perf_counter() - t
    meta = json.loads(load_head(weights["feedback"])[1]["feedback"])
    total = time.perf_counter() - started

    report = "\n\n".join(
        [
            "## Simulated analyst: nano retrained with its verdicts",
            f"Scene split seed {args.seed}, training seed {args.train_seed}; "
            f"feedback weight {args.feedback_weight:g}; "
            f"{args.fraction:.0%} of each class's validation scenes got "
            "verdicts (*feedback* rows: learned from, **not held out**); *other* rows are "
            "held out. R / P at box IoU ≥ 0.5 (below: 0.3), searched as `geomag eval nano`.",
            verdict_table(splits, verdicts, meta),
            table(splits, scores, "iou50"),
            "At IoU ≥ 0.3:",
            table(splits, scores, "iou30"),
            control_note,
            "Wall times (s): "
            + ", ".join(f"{k} {v:.0f}" for k, v in timings.items())
            + f"; total {total:.0f}.",
            "Command: `"
            + " ".join(["python scripts/study_feedback.py", *(argv or sys.argv[1:])])
            + "`",
        ]
    )
    print("\n" + report)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(report + "\n", encoding="utf-8")
    record = {
        "seed": args.seed,
        "train_seed": args.train_seed,
        "fraction": args.fraction,
        "scenes": {
            s.class_name: {
                "feedback": [x.path.name for x in s.feedback],
                "other": [x.path.name for x in s.other],
            }
            for s in splits
        },
        "verdicts": verdicts,
        "feedback_in_weights": meta,
        "scores": scores,
        "timings_s": timings,
        "control": control_note,
    }
    (work / "study.json").write_text(json.dumps(record, indent=1), encoding="utf-8")
    log(f"wrote {args.report} and {work / 'study.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
