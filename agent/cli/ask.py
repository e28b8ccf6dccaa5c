"""``geomag ask``: one question about a scene, with the step trail printed as it happens."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from agent.cli.output import json_text, terminal_safe
from geomag_core.config import Settings, check_device

if TYPE_CHECKING:  # the events module loads the zoom and heat-map code: only when asking
    from tools.events import StepEvent

#: Zoom windows printed one per line; the rest are counted (``--json`` has every one).
_SHOWN_ZOOMS = 4

__all__ = ["register"]


def _rich(markdown: str) -> str:
    """The step line's markdown bold as rich markup."""
    return re.sub(r"\*\*(.+?)\*\*", r"[bold]\1[/bold]", markdown)


def ask(
    scene: Annotated[Path, typer.Argument(help="GeoTIFF, JPEG or PNG.")],
    question: Annotated[str, typer.Argument(help="The question, in plain language.")],
    thread: Annotated[
        str | None, typer.Option(help="Investigation (thread) id to continue; default: new.")
    ] = None,
    profile: Annotated[
        str | None, typer.Option(help="Model profile: tiny | nano | full (default: config).")
    ] = None,
    gsd: Annotated[
        float | None,
        typer.Option(
            min=0.001,
            help="Metres per pixel for nano's size rule (default: the scene's CRS, else each "
            "class's training GSD).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON record.")] = False,
) -> None:
    """Ask a question about a scene; prints the zoom trail while it runs, then the answer."""
    # The agent's models load here, not at import: `geomag --help` and the other commands stay
    # quick (tests/cli/test_cli_imports.py).
    from agent.session import Session, new_thread_id

    overrides: dict[str, object] = {"model_profile": profile} if profile else {}
    if gsd is not None:
        overrides["gsd"] = gsd
    # The path typed here is the user's own choice: allowed wherever it is.
    overrides["scene_files"] = (*Settings().scene_files, scene)
    settings = Settings(**overrides)
    check_device(settings.device)
    thread_id = thread or new_thread_id()
    console = Console(stderr=True, quiet=as_json)
    started = time.perf_counter()
    with Session(settings) as session:
        trail = _Trail(console)
        outcome = session.ask(scene, question, thread_id, on_event=trail)
    if outcome.replayed:
        console.print("  [dim]•[/dim] answered before in this thread: nothing stored")
    wall_ms = round((time.perf_counter() - started) * 1000, 1)
    if as_json:
        typer.echo(json_text(outcome.as_dict() | {"wall_ms": wall_ms}))
    else:
        typer.echo(terminal_safe(outcome.answer))
        console.print(f"[dim]thread {thread_id} — continue with --thread {thread_id}[/dim]")


class _Trail:
    """Prints each step event as it happens; nano's many windows after the first few as one line."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.zooms = 0
        self.planned = 0

    def __call__(self, event: StepEvent) -> None:
        from tools.events import Done, Zoomed

        if isinstance(event, Zoomed):
            self.zooms += 1
            self.planned = event.step.planned
            if self.zooms > _SHOWN_ZOOMS:  # nano searches many small blocks
                return
        elif self.zooms > _SHOWN_ZOOMS:
            self.console.print(f"  [dim]•[/dim] {_more_windows(self.zooms, self.planned)}")
            self.zooms = _SHOWN_ZOOMS
        if not isinstance(event, Done):
            self.console.print(f"  [dim]•[/dim] {_rich(escape(terminal_safe(event.describe())))}")


def _more_windows(zooms: int, planned: int | None) -> str:
    """The line that stands for the zoom windows not printed one by one."""
    more = zooms - _SHOWN_ZOOMS
    done = f"{zooms} of {planned} planned" if planned else f"{zooms} in all"
    return f"… and {more} more windows ({done}; --json lists all)"


def register(app: typer.Typer) -> None:
    """Add ``ask`` to ``app``."""
    app.command("ask")(ask)
