"""``geomag db upgrade|current`` and ``geomag history``: the history database from the shell."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.box import SIMPLE_HEAD
from rich.console import Console
from rich.table import Table
from rich.text import Text

from agent.cli.output import cell
from db.enums import HistoryOrder, ResultKind, Verdict
from geomag_core.errors import DatabaseError

# The database layer (SQLAlchemy, GeoAlchemy2, Alembic, shapely, geopandas) loads inside the
# commands that use it, so `geomag --help` and the other commands never pay for it.
if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry
    from sqlalchemy import Engine

    from db.export import ExportFormat
    from db.history import DistinctObject, HistoryFilter, ResultRecord

__all__ = ["register"]

db_app = typer.Typer(
    name="db", help="The history database (GEOMAG_DATABASE_URL).", no_args_is_help=True
)


class OutputFormat(StrEnum):
    """How ``geomag history`` prints or writes what it found."""

    TABLE = "table"
    GEOJSON = "geojson"
    GPKG = "gpkg"
    CSV = "csv"


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Create or migrate the database to the newest schema (or to REVISION)."""
    from alembic.util import CommandError

    from db.engine import create_db_engine, redacted
    from db.migrations import current_revision, upgrade

    engine = create_db_engine()
    try:
        before = current_revision(engine)
        upgrade(engine, revision)
        after = current_revision(engine)
    except CommandError as exc:
        raise DatabaseError(
            f"cannot migrate {redacted(engine.url)} to {revision!r}: {exc}; "
            "`geomag db upgrade` (no argument) goes to the newest schema"
        ) from exc
    finally:
        engine.dispose()
    typer.echo(f"{redacted(engine.url)}: {before or '(empty)'} → {after}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's schema revision and whether it is the newest."""
    from db.engine import create_db_engine, redacted
    from db.migrations import current_revision, head_revision

    engine = create_db_engine()
    try:
        current = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision()
    if current is None:
        state = "empty: `geomag db upgrade` creates the schema (the app does it on first use)"
    elif current == head:
        state = "head (up to date)"
    else:
        state = f"behind head {head}: run `geomag db upgrade`"
    typer.echo(f"{redacted(engine.url)}: {current or '-'} ({state})")


def history(
    label: Annotated[
        list[str] | None, typer.Option("--label", "-l", help="Label (repeat).")
    ] = None,
    kind: Annotated[list[ResultKind] | None, typer.Option(help="Result kind (repeat).")] = None,
    since: Annotated[str | None, typer.Option(help="From this time (ISO; UTC if no zone).")] = None,
    until: Annotated[str | None, typer.Option(help="Before this time (ISO, exclusive).")] = None,
    scene: Annotated[
        str | None,
        typer.Option(help="Scene id, path, file name (or its start) or SHA-256 (≥8 hex digits)."),
    ] = None,
    investigation: Annotated[str | None, typer.Option(help="Investigation id or thread.")] = None,
    bbox: Annotated[
        str | None, typer.Option(help="min_lon,min_lat,max_lon,max_lat (WGS84).")
    ] = None,
    intersects: Annotated[
        str | None, typer.Option(help="WGS84 polygon: WKT, or a GeoJSON file.")
    ] = None,
    near: Annotated[str | None, typer.Option(help="lon,lat,metres.")] = None,
    min_confidence: Annotated[float | None, typer.Option(min=0.0, max=1.0)] = None,
    text: Annotated[str | None, typer.Option(help="Words in the question text.")] = None,
    verdict: Annotated[
        list[Verdict] | None,
        typer.Option(help="The analyst's latest verdict (repeat); see `geomag feedback`."),
    ] = None,
    include_rejected: Annotated[
        bool,
        typer.Option(
            "--include-rejected", help="Also results the analyst rejected (left out by default)."
        ),
    ] = False,
    order: Annotated[HistoryOrder, typer.Option(help="Result order.")] = HistoryOrder.NEWEST,
    limit: Annotated[int, typer.Option(min=1, help="Table page size.")] = 50,
    offset: Annotated[int, typer.Option(min=0, help="Table page start.")] = 0,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table, or export every match.")
    ] = OutputFormat.TABLE,
    out: Annotated[Path | None, typer.Option(help="Export file (default: stdout).")] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing export file at --out.")
    ] = False,
    distinct: Annotated[
        bool,
        typer.Option(
            "--distinct",
            help="One row per object: results of one scene and label whose outlines overlap "
            "(IoU ≥ --min-iou) are one object, with how many queries found it.",
        ),
    ] = False,
    min_iou: Annotated[float, typer.Option(min=0.01, max=1.0, help="With --distinct.")] = 0.5,
) -> None:
    """Find stored results; print a page as a table, or export every match to a file."""
    from db.export import ExportFormat
    from db.history import (
        HistoryFilter,
        Near,
        find_all_results,
        find_distinct_objects,
        find_results,
    )
    from db.migrations import open_database

    point = _parse_numbers(near, 3, "--near", "lon,lat,metres")
    where = HistoryFilter(
        labels=label or (),
        kinds=kind or (),
        since=_parse_time(since, "--since"),
        until=_parse_time(until, "--until"),
        scene=_id_or_text(scene),
        investigation=_id_or_text(investigation),
        bbox=_parse_numbers(bbox, 4, "--bbox", "min_lon,min_lat,max_lon,max_lat"),  # type: ignore[arg-type]
        intersects=_parse_geometry(intersects),
        near=Near(*point) if point else None,
        min_confidence=min_confidence,
        text=text,
        verdicts=verdict or (),
        include_rejected=include_rejected,
    )
    engine = open_database()
    if distinct:
        try:
            objects = find_distinct_objects(engine, where, order=order, min_iou=min_iou)
        finally:
            engine.dispose()
        if fmt == OutputFormat.TABLE:
            _print_objects(objects[offset : offset + limit], offset, len(objects))
            return
        _export([o.best for o in objects], ExportFormat(fmt.value), out, overwrite)
        return
    try:
        if fmt == OutputFormat.TABLE:
            page = find_results(engine, where, order=order, limit=limit, offset=offset)
            hidden = _rejected_left_out(engine, where)
            _print_table(page.items, offset, page.has_more, hidden)
            return
        records = find_all_results(engine, where, order=order)
    finally:
        engine.dispose()
    _export(records, ExportFormat(fmt.value), out, overwrite)


def _export(
    records: list[ResultRecord], fmt: ExportFormat, out: Path | None, overwrite: bool
) -> None:
    from db.export import ExportFormat, export_results

    if out is not None:
        typer.echo(export_results(records, out, fmt, overwrite=overwrite).summary, err=True)
    elif fmt in (ExportFormat.GEOJSON, ExportFormat.CSV):
        with tempfile.TemporaryDirectory() as tmp:
            written = export_results(records, Path(tmp) / f"history.{fmt}", fmt)
            typer.echo(written.path.read_text(), nl=False)
        if written.pixel_frame:
            typer.echo(
                f"{written.pixel_frame} result(s) of scenes without a CRS are not in this output "
                f"(they have no place on the map): give --out FILE.{fmt} to write them beside it "
                f"in their pixel frame, or export a .gpkg",
                err=True,
            )
    else:
        raise DatabaseError("a GeoPackage is a file: give --out results.gpkg")


def _print_rows(headers: list[str], rows: list[list[str | Text]]) -> Console:
    """Print ``rows`` as a table whose rows stay on one line at the terminal's width.

    The last two columns (scene, question: the long ones) share what the others leave and are
    cut with an ellipsis (the exports have them whole); at 80 columns a row used to wrap onto
    four lines.
    """
    console = Console()
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    # no frame; columns are three characters apart (padding either side of a blank rule)
    room = console.width - sum(widths[:-2]) - 3 * (len(headers) - 1) - 1
    first = max(8, min(widths[-2], room // 2))
    second = max(8, min(widths[-1], room - first))
    table = Table(*headers, box=SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for r in rows:
        table.add_row(*r[:-2], _cut(r[-2], first), _cut(r[-1], second))
    console.print(table)
    return console


def _cut(text: str | Text, width: int) -> Text:
    cut = Text(text) if isinstance(text, str) else text.copy()
    cut.truncate(width, overflow="ellipsis")
    return cut


def _rejected_left_out(engine: Engine, where: HistoryFilter) -> int:
    """How many results matching ``where`` are not shown because the analyst rejected them."""
    from db.history import count_results

    if where.include_rejected or where.verdicts:
        return 0
    return count_results(engine, replace(where, verdicts=[Verdict.REJECT]))


def _verdict_cell(r: ResultRecord) -> str:
    """``added`` for an analyst's object, else the latest verdict (blank: not judged)."""
    return "added" if r.added else (str(r.verdict) if r.verdict else "")


def _area_cell(r: ResultRecord) -> str:
    """The area in m²; ``*`` marks one measured at a given or assumed scale (no CRS)."""
    if r.area_m2 is None:
        return ""
    return f"{r.area_m2:,.0f}" + ("*" if r.scale_m is not None else "")


def _print_scales(console: Console, records: list[ResultRecord]) -> None:
    """Say which scale each ``*`` area was measured at (scenes without a CRS)."""
    scales = sorted({(r.scale_m, r.scale_source) for r in records if r.scale_m is not None})
    for metres, source in scales:
        console.print(f"* no CRS: area at {metres:g} m per pixel ({source})")


def _print_table(
    records: list[ResultRecord], offset: int, has_more: bool, rejected: int = 0
) -> None:
    headers = [
        "id", "created (UTC)", "kind", "label", "conf.", "area m²", "verdict", "scene", "question",
    ]  # fmt: skip
    rows: list[list[str | Text]] = [
        [
            str(r.result_id),
            r.created_at.strftime("%Y-%m-%d %H:%M"),
            str(r.kind),
            cell(r.label or ""),
            f"{r.confidence:.2f}" if r.confidence is not None else "",
            _area_cell(r),
            _verdict_cell(r),
            cell(f"{Path(r.scene_uri).name} ({r.scene_hash[:8]})"),
            cell(r.query_text),
        ]
        for r in records
    ]
    console = _print_rows(headers, rows)
    shown = f"results {offset + 1}–{offset + len(records)}" if records else "no results"
    more = f"; more with --offset {offset + len(records)}" if has_more else ""
    left_out = f"; {rejected} rejected not shown (--include-rejected)" if rejected else ""
    console.print(f"{shown}{more}{left_out}")
    _print_scales(console, records)


def _print_objects(objects: list[DistinctObject], offset: int, total: int) -> None:
    headers = ["best id", "label", "best conf.", "queries", "area m²", "results", "scene"]
    rows: list[list[str | Text]] = []
    for o in objects:
        r = o.best
        ids = ", ".join(f"#{i}" for i in o.result_ids[:6]) + (" …" if len(o.result_ids) > 6 else "")
        rows.append(
            [
                str(r.result_id),
                cell(r.label or ""),
                f"{r.confidence:.2f}" if r.confidence is not None else "",
                str(o.queries),
                _area_cell(r),
                ids,
                cell(f"{Path(r.scene_uri).name} ({r.scene_hash[:8]})"),
            ]
        )
    console = _print_rows(headers, rows)
    end = offset + len(objects)
    shown = f"objects {offset + 1}–{end} of {total}" if objects else "no objects"
    console.print(shown + (f"; more with --offset {end}" if end < total else ""))
    _print_scales(console, [o.best for o in objects])


def _parse_time(text: str | None, option: str) -> dt.datetime | None:
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise DatabaseError(
            f"{option} {text!r} is not a date or time: write 2024-03-01 or 2024-03-01T12:00Z"
        ) from exc
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _parse_numbers(
    text: str | None, count: int, option: str, form: str
) -> tuple[float, ...] | None:
    if text is None:
        return None
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != count:
        raise DatabaseError(f"{option} {text!r}: write {form} ({count} numbers)")
    return values


def _parse_geometry(text: str | None) -> BaseGeometry | None:
    if text is None:
        return None
    from shapely import wkt
    from shapely.errors import ShapelyError
    from shapely.geometry import shape
    from shapely.ops import unary_union

    path = Path(text)
    try:
        if path.suffix.lower() in {".geojson", ".json"} and path.is_file():
            data = json.loads(path.read_text())
            features = data.get("features", [data])
            return unary_union([shape(f.get("geometry", f)) for f in features])
        return wkt.loads(text)
    except (ShapelyError, ValueError, KeyError, AttributeError, TypeError) as exc:
        raise DatabaseError(
            f"--intersects {text!r}: give a WGS84 WKT polygon or a GeoJSON file ({exc})"
        ) from exc


def _id_or_text(value: str | None) -> str | int | None:
    if value is None:
        return None
    return int(value) if value.strip().isdigit() else value


def register(app: typer.Typer) -> None:
    """Add ``db upgrade``, ``db current`` and ``history`` to ``app``."""
    app.add_typer(db_app)
    app.command("history")(history)
