"""``geomag eval followups``: how well follow-up questions are read into plans."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agent.cli.output import json_text

__all__ = ["register"]


def eval_followups_cmd(
    file: Annotated[
        Path | None,
        typer.Option(help="A `split previous question plan` TSV (default: the project's)."),
    ] = None,
    errors: Annotated[bool, typer.Option("--errors", help="List every miss.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Plan accuracy (operations and parameters) per split and per operation."""
    from tools.investigation.evaluation import PROMPTS, load_prompts, score

    scored = score(load_prompts(file or PROMPTS))
    if as_json:
        record = {
            name: {
                "accuracy": s.accuracy,
                "right": s.right,
                "prompts": s.total,
                "by_operation": {
                    op: {"accuracy": ok / n, "right": ok, "prompts": n}
                    for op, (ok, n) in sorted(s.by_operation.items())
                },
                "misses": [{"question": q, "expected": e, "got": g} for q, e, g in s.misses],
            }
            for name, s in scored.items()
        }
        typer.echo(json_text(record))
        return
    console = Console()
    for name, s in scored.items():
        table = Table(title=f"{name}: {s.right}/{s.total} plans right ({s.accuracy:.1%})")
        table.add_column("operation")
        table.add_column("prompts", justify="right")
        table.add_column("right", justify="right")
        table.add_column("accuracy", justify="right")
        for op, (ok, n) in sorted(s.by_operation.items()):
            table.add_row(op, str(n), str(ok), f"{ok / n:.1%}")
        console.print(table)
        if errors:
            for question, expected, got in s.misses:
                console.print(f"  {question!r}: expected {expected}, got {got}")


def register(eval_app: typer.Typer) -> None:
    """Add ``followups`` to the ``eval`` group."""
    eval_app.command("followups")(eval_followups_cmd)
