"""``geomag feedback``: the analyst's verdicts from the shell — accept, reject, correct, add.

A verdict counts at once: ``geomag history`` leaves rejected results out (``--include-rejected``
shows them), shows a correction in place of the model's outline, and lists added objects with
``origin`` ``analyst``. Shapes are WKT in lon/lat degrees (``--wkt``, scenes with a CRS) or in
the scene's pixels (``--box x0,y0,x1,y1`` or ``--pixels-wkt``; x = column, y = row), and must
lie on the scene. The database modules load only when a command runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

__all__ = ["register"]

feedback_app = typer.Typer(
    name="feedback",
    help="Judge stored results (accept, reject, correct) and add objects the tool missed.",
    no_args_is_help=True,
)

_NOTE = typer.Option("--note", help="Why (kept with the verdict).")
_ANALYST = typer.Option("--analyst", help="Who judged (kept with the verdict).")
_WKT = typer.Option("--wkt", help="The outline as WKT in WGS84 lon/lat degrees.")
_PIXELS = typer.Option("--pixels-wkt", help="The outline as WKT in scene pixels (x=col, y=row).")
_BOX = typer.Option("--box", help="A box in scene pixels: x0,y0,x1,y1 (column, row).")


Shape = tuple["BaseGeometry | None", "BaseGeometry | None"]


def _shape(wkt_text: str | None, pixels_wkt: str | None, box: str | None) -> Shape:
    """``(lon/lat geometry, None)`` or ``(None, pixel geometry)`` from one of the three options."""
    from db.feedback import parse_box, parse_polygon
    from geomag_core.errors import DatabaseError

    given = [v is not None for v in (wkt_text, pixels_wkt, box)]
    if sum(given) != 1:
        raise DatabaseError("give the outline once: --wkt (lon/lat), --pixels-wkt or --box")
    if box is not None:
        return None, parse_box(box)
    text = wkt_text if wkt_text is not None else pixels_wkt
    assert text is not None
    shape = parse_polygon(text)
    return (shape, None) if wkt_text is not None else (None, shape)


def _judge(
    result_id: int, verdict: str, note: str | None, analyst: str, shape: Shape = (None, None)
) -> None:
    from db.enums import Verdict
    from db.feedback import save_feedback
    from db.migrations import open_database

    engine = open_database()
    try:
        fid = save_feedback(
            engine,
            result_id,
            Verdict(verdict),
            geometry=shape[0],
            pixels=shape[1],
            note=note,
            analyst=analyst,
        )
    finally:
        engine.dispose()
    typer.echo(f"stored {verdict} of result {result_id} (feedback {fid})")


def _plain_verdict(verdict: str, doc: str) -> Callable[..., None]:
    """The ``accept`` or ``reject`` command: a result id, a note, who judged."""

    def command(
        result_id: Annotated[int, typer.Argument(help="Result id (see `geomag history`).")],
        note: Annotated[str | None, _NOTE] = None,
        analyst: Annotated[str, _ANALYST] = "cli",
    ) -> None:
        _judge(result_id, verdict, note, analyst)

    command.__doc__ = doc
    return command


feedback_app.command("accept")(_plain_verdict("accept", "Accept a result: it is right."))
feedback_app.command("reject")(
    _plain_verdict(
        "reject",
        "Reject a result: history, counts, exports and follow-ups leave it out from now on.",
    )
)


@feedback_app.command("correct")
def correct(
    result_id: Annotated[int, typer.Argument(help="Result id (see `geomag history`).")],
    wkt_text: Annotated[str | None, _WKT] = None,
    pixels_wkt: Annotated[str | None, _PIXELS] = None,
    box: Annotated[str | None, _BOX] = None,
    note: Annotated[str | None, _NOTE] = None,
    analyst: Annotated[str, _ANALYST] = "cli",
) -> None:
    """Correct a result's outline; the corrected one is used from now on, the model's is kept."""
    _judge(result_id, "correct", note, analyst, _shape(wkt_text, pixels_wkt, box))


@feedback_app.command("add")
def add(
    scene: Annotated[
        str, typer.Argument(help="Scene id, path, file name (or its start) or SHA-256 prefix.")
    ],
    label: Annotated[str, typer.Option("--label", "-l", help="What it is, e.g. aircraft.")],
    wkt_text: Annotated[str | None, _WKT] = None,
    pixels_wkt: Annotated[str | None, _PIXELS] = None,
    box: Annotated[str | None, _BOX] = None,
    note: Annotated[str | None, _NOTE] = None,
    analyst: Annotated[str, _ANALYST] = "cli",
) -> None:
    """Add an object the tool missed on a scene the history knows (stored as analyst-added)."""
    from db.feedback import add_object
    from db.migrations import open_database

    geometry, pixels = _shape(wkt_text, pixels_wkt, box)
    scene_ref: str | int = int(scene) if scene.strip().isdigit() else scene
    engine = open_database()
    try:
        rid = add_object(
            engine, scene_ref, label, geometry=geometry, pixels=pixels, note=note, analyst=analyst
        )
    finally:
        engine.dispose()
    typer.echo(f"added result {rid}: {label} on {scene} (origin analyst)")


def register(app: typer.Typer) -> None:
    """Add ``feedback accept|reject|correct|add`` to ``app``."""
    app.add_typer(feedback_app)
