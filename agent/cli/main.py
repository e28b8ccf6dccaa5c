"""``geomag``: the console script. Sub-commands live in sibling modules and register here.

Errors the user can fix (:class:`geomag_core.errors.GeoMagError`) print one line on stderr and
exit with status 2, as usage errors do; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys

import typer

from agent.cli import scenes, settings
from geomag_core.errors import GeoMagError

__all__ = ["app", "main"]

app = typer.Typer(
    name="geomag",
    help="GeoMag agent: ask remote-sensing scenes questions at image, region and pixel level.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
settings.register(app)
scenes.register(app)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit status (2 for usage and input errors)."""
    try:
        app(args=argv, prog_name="geomag")
    except GeoMagError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    except SystemExit as exc:  # typer/click end every run this way, usage errors included
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
