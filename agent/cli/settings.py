"""``geomag config``: print the effective configuration."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from geomag_core.config import Settings

__all__ = ["register"]


def show_config(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON, not a table.")] = False,
) -> None:
    """Print every setting's effective value (env vars GEOMAG_*, then .env, then defaults)."""
    described = Settings().describe()
    if as_json:
        typer.echo(json.dumps(described, indent=2))
        return
    table = Table("setting", "env var", "value", title="GeoMag configuration")
    for name, value in described.items():
        table.add_row(name, f"GEOMAG_{name.upper()}", value)
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add ``config`` to ``app``."""
    app.command("config")(show_config)
