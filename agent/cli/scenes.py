"""``geomag scene`` and ``geomag views``: inspect a scene and the TMRA views of it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from agent.cli.output import json_text
from geomag_core.boxes import PixelBox
from geomag_core.config import Settings
from geomag_core.granularity import Granularity

__all__ = ["register"]


SceneArg = Annotated[Path, typer.Argument(help="GeoTIFF, JPEG or PNG.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def scene_info(path: SceneArg, as_json: JsonOpt = False) -> None:
    """Print a scene's size, bands, CRS, transform, footprint and content hash."""
    from geomag_core.scene import Scene  # rasterio: only when a scene is read

    settings = Settings()
    scene = Scene(path, rgb_bands=settings.rgb_bands, max_pixels=settings.max_scene_pixels)
    info = scene.info()
    if as_json:
        typer.echo(json_text(info))
        return
    table = Table("field", "value", title=str(path))
    for key, value in info.items():
        table.add_row(key, str(value))
    Console().print(table)


def views(
    path: SceneArg,
    granularity: Annotated[
        Granularity, typer.Option("--granularity", "-g", help="TMRA granularity.")
    ],
    box: Annotated[
        list[str] | None,
        typer.Option(
            "--box",
            help="Crop x0,y0,x1,y1 in scene pixels; region: one or more, pixel: bbox1 then "
            "bbox2. Default: centred placeholder crops (half the side, then half of that).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Build the TMRA views and compare their pixel/token budget with the two baselines."""
    from geomag_core.scene import Scene
    from geomag_core.tmra import build_views

    settings = Settings()
    scene = Scene(path, rgb_bands=settings.rgb_bands, max_pixels=settings.max_scene_pixels)
    view_set = build_views(
        scene,
        granularity,
        [PixelBox.parse(b) for b in box or []],
        image_size=settings.image_view_size,
        pool=settings.pool_factor,
        max_side=settings.max_view_side,
    )
    report = view_set.report()
    if as_json:
        typer.echo(json_text(report))
        return
    _print_report(str(path), report)


def _print_report(title: str, report: dict[str, Any]) -> None:
    console = Console()
    table = Table("view", "shape (h×w)", "box in scene px (XYXY)", "pixels", "tokens", title=title)
    for v in report["views"]:
        table.add_row(
            v["name"],
            "×".join(map(str, v["shape"])),
            str(v["box"]),
            f"{v['pixels']:,}",
            f"{v['tokens']:,}",
        )
    console.print(table)
    budget = report["budget"]
    summary = Table("", "pixels", "tokens", "pixels vs views", "tokens vs views")
    ours = budget["views"]
    for name in ("views", "native", "tiling"):
        row = budget[name]
        summary.add_row(
            name if name != "views" else f"GeoMag {report['granularity']} views",
            f"{row['pixels']:,}",
            f"{row['tokens']:,}",
            f"{ours['pixels'] / row['pixels']:.1%}",
            f"{ours['tokens'] / row['tokens']:.1%}",
        )
    console.print(summary)


def register(app: typer.Typer) -> None:
    """Add ``scene`` and ``views`` to ``app``."""
    app.command("scene")(scene_info)
    app.command("views")(views)
