"""``geomag batch``: one question over many scenes, in-process or on Ray, each stored once."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from agent.cli.output import json_text, terminal_safe
from geomag_core.config import Settings, check_device
from geomag_core.errors import GeoMagError

if TYPE_CHECKING:
    from agent.batch.answering import SceneOutcome
    from agent.batch.runner import BatchSummary, Engine

__all__ = ["register"]


def batch(
    question: Annotated[str, typer.Argument(help="The question asked of every scene.")],
    scenes: Annotated[
        list[Path] | None, typer.Argument(help="Scene files (GeoTIFF, JPEG, PNG).")
    ] = None,
    scenes_from: Annotated[
        str | None,
        typer.Option(
            "--scenes-from",
            help="More scenes: a text file of paths (one a line), a folder, or a glob "
            "pattern ('**' recurses; quote it).",
        ),
    ] = None,
    engine: Annotated[
        str, typer.Option(help="local (in this process) or ray (one actor per worker).")
    ] = "ray",
    address: Annotated[
        str | None,
        typer.Option(
            help="Ray cluster to join, from one of its nodes (auto, or HEAD_IP:6379); "
            "default: a local Ray started for this batch."
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Ray actors (each loads the models once).")
    ] = 2,
    cpus: Annotated[
        int | None, typer.Option(min=1, help="CPUs of the local Ray (default: all).")
    ] = None,
    profile: Annotated[
        str | None, typer.Option(help="Model profile: tiny | nano | full (default: config).")
    ] = None,
    gsd: Annotated[
        float | None, typer.Option(min=0.001, help="Metres per pixel for nano's size rule.")
    ] = None,
    redo: Annotated[
        bool, typer.Option("--redo", help="Answer (and store) scenes answered before, again.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON record.")] = False,
) -> None:
    """Ask one question of many scenes; each answer is stored once, a rerun resumes.

    A scene answered before for the same question and models is skipped (``--redo`` forces
    it); a scene that fails is reported with its reason and the batch goes on. Exit status 2
    when any scene failed.
    """
    # The engines load the agent's models: imported here, so `geomag --help` stays quick.
    from agent.batch.engines import LocalEngine, RayEngine
    from agent.batch.runner import plan_batch, run_batch
    from agent.batch.scenes import collect_scenes

    if engine not in ("local", "ray"):
        raise GeoMagError(f"--engine {engine!r}: use local or ray")
    paths = collect_scenes(list(scenes or []), scenes_from)
    overrides: dict[str, object] = {"model_profile": profile} if profile else {}
    if gsd is not None:
        overrides["gsd"] = gsd
    # The scenes named here are the user's own choice: allowed wherever they are.
    overrides["scene_files"] = (*Settings().scene_files, *paths)
    settings = Settings(**overrides)
    check_device(settings.device)
    runner: Engine = (
        LocalEngine(settings, question)
        if engine == "local"
        else RayEngine(settings, question, workers=workers, address=address, cpus=cpus)
    )
    plan = plan_batch(settings, question, paths, redo=redo)
    console = Console(stderr=True, quiet=as_json)
    with _Bar(console, len(paths)) as bar:
        summary = run_batch(settings, plan, runner, report=bar.advance)
    if as_json:
        typer.echo(json_text(summary.as_dict()))
    else:
        _print_summary(summary, console)
    if summary.counts["failed"]:
        raise typer.Exit(2)


def scene_line(outcome: SceneOutcome, done: int, total: int) -> str:
    """One settled scene: ``[3/15] name: answered — 12 aircraft`` (or why it failed)."""
    name = Path(outcome.path).name
    if outcome.status == "failed":
        what = outcome.error.splitlines()[0] if outcome.error else "failed"
        return terminal_safe(f"[{done}/{total}] {name}: failed — {what}")
    found = {k: n for k, n in outcome.labels.items() if k != "answer"}
    counts = ", ".join(f"{n} {k}" for k, n in sorted(found.items())) or "nothing found"
    before = " (answered before)" if outcome.status == "skipped" else ""
    return terminal_safe(f"[{done}/{total}] {name}: {outcome.status}{before} — {counts}")


class _Bar:
    """Progress: a line per settled scene with what it found, and on a terminal a bar below.

    The bar shows scenes done of all, answered / skipped / failed, rate and ETA. Off a terminal
    (a log, a pipe) there is no bar to cut: each line also carries the counts so far.
    """

    def __init__(self, console: Console, total: int) -> None:
        self.console, self.total, self.done = console, total, 0
        self.counts = {"answered": 0, "skipped": 0, "failed": 0}
        self.live = console.is_terminal
        self.progress = Progress(
            TextColumn("[bold]batch[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
            disable=not self.live,
        )
        self.task = self.progress.add_task("batch", total=total, counts=self._counts(), rate="")

    def _counts(self) -> str:
        c = self.counts
        return (
            f"{c['answered']} answered · {c['skipped']} skipped · [red]{c['failed']} failed[/red]"
        )

    def advance(self, outcome: SceneOutcome) -> None:
        """Count one settled scene and say what it found."""
        self.done += 1
        self.counts[outcome.status] = self.counts.get(outcome.status, 0) + 1
        elapsed = self.progress.tasks[0].elapsed or 0.0
        worked = self.counts["answered"] + self.counts["failed"]
        rate = f"{60 * worked / elapsed:.1f} scenes/min" if elapsed > 0 and worked else ""
        line = scene_line(outcome, self.done, self.total)
        if self.live:
            self.progress.console.print(line, markup=False, highlight=False)
        else:
            so_far = self._counts().replace("[red]", "").replace("[/red]", "")
            self.console.print(f"{line} · {so_far}", markup=False, highlight=False, soft_wrap=True)
        self.progress.update(self.task, advance=1, counts=self._counts(), rate=rate)

    def __enter__(self) -> _Bar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()


def _print_summary(summary: BatchSummary, console: Console) -> None:
    c = summary.counts
    minutes, seconds = divmod(round(summary.wall_s), 60)
    took = f"{minutes} min {seconds} s" if minutes else f"{seconds} s"
    where = summary.engine + (f", {summary.workers} workers" if summary.engine == "ray" else "")
    typer.echo(
        f"{len(summary.outcomes)} scenes: {c['answered']} answered, {c['skipped']} skipped "
        f"(answered before), {c['failed']} failed — {took}, {summary.scenes_per_min:.1f} "
        f"scenes/min ({where})"
    )
    for failed in summary.failures:
        typer.echo(terminal_safe(f"  failed: {failed.path}: {failed.error}"))
    console.print(
        f"[dim]results: geomag history --text {shlex.quote(summary.question)} · per scene: "
        f"{summary.report_path} · database: {summary.database}[/dim]"
    )


def register(app: typer.Typer) -> None:
    """Add ``batch`` to ``app``."""
    app.command("batch")(batch)
