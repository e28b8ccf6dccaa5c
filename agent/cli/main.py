"""``geomag``: the console script. Sub-commands live in sibling modules and register here.

Errors the user can fix (:class:`geomag_core.errors.GeoMagError`, and operating-system errors
such as a full disk or a permission refused) print one line on stderr and exit with status 2, as
usage errors do. Anything else is a bug: one line too, exit status 1, and the traceback only with
``GEOMAG_DEBUG=1``.
"""

from __future__ import annotations

import os
import sys

import typer
from typer._click.exceptions import ClickException, UsageError  # typer's own (vendored) click

from agent.cli import app as app_command
from agent.cli import (
    ask,
    batch,
    classifier,
    database,
    decoder,
    feedback,
    followups,
    nano,
    scenes,
    serving,
    settings,
)
from agent.cli.output import terminal_safe
from geomag_core.errors import GeoMagError

__all__ = ["app", "eval_app", "main", "train_app"]

app = typer.Typer(
    name="geomag",
    help="GeoMag agent: ask remote-sensing scenes questions at image, region and pixel level.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
#: ``geomag train <model>`` and ``geomag eval <benchmark>``: each model module adds its command.
train_app = typer.Typer(name="train", help="Train the project's models.", no_args_is_help=True)
eval_app = typer.Typer(name="eval", help="Evaluate the project's models.", no_args_is_help=True)
app.add_typer(train_app)
app.add_typer(eval_app)
settings.register(app)
scenes.register(app)
serving.register(app)
ask.register(app)
batch.register(app)
app_command.register(app)
database.register(app)
feedback.register(app)
classifier.register(app, train_app=train_app, eval_app=eval_app)
decoder.register(train_app)
nano.register(train_app, eval_app)
followups.register(eval_app)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit status (2 for usage and input errors)."""
    try:
        code = app(args=argv, prog_name="geomag", standalone_mode=False)
    except GeoMagError as exc:
        typer.echo(terminal_safe(f"error: {exc}", keep_newlines=False), err=True)
        return 2
    except UsageError as exc:  # a bad option or value: one line, and where the help is
        where = exc.ctx.command_path if exc.ctx else "geomag"
        message = " ".join(exc.format_message().split())
        typer.echo(terminal_safe(f"error: {message} (see {where} --help)"), err=True)
        return exc.exit_code
    except ClickException as exc:
        typer.echo(terminal_safe(f"error: {' '.join(exc.format_message().split())}"), err=True)
        return exc.exit_code
    except SystemExit as exc:  # sys.exit inside a command
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except (KeyboardInterrupt, typer.Abort):
        typer.echo("interrupted", err=True)
        return 130
    except OSError as exc:
        typer.echo(terminal_safe(f"error: {_os_error(exc)}"), err=True)
        return 2
    except Exception as exc:
        if os.environ.get("GEOMAG_DEBUG") == "1":
            raise
        typer.echo(
            f"internal error ({type(exc).__name__}: {_first_line(exc)}); this is a bug: "
            "rerun with GEOMAG_DEBUG=1 for the traceback and report it",
            err=True,
        )
        return 1
    return code if isinstance(code, int) else 0


def _os_error(exc: OSError) -> str:
    """``Permission denied: '/x'``-style text, without the errno prefix."""
    reason = exc.strerror or _first_line(exc)
    where = f": {exc.filename!r}" if exc.filename else ""
    return f"{reason}{where}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else "no message"


if __name__ == "__main__":
    sys.exit(main())
