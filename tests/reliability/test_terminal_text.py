"""Issue 27, items 5 and 8: stored text cannot drive the terminal; option errors are one line;
a question of nothing visible is refused, not stored."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from db.writes import save_question
from geomag_core.config import Settings
from tests.data.history import SCENE_A, located, question, scene, utc
from tests.reliability.conftest import Run
from tools.workbench import Workbench

Cli = Callable[..., Run]
ANY_DAY = dt.date(2024, 3, 10)
HOSTILE = "count \x1b]0;pwned\x07planes\x1b[2J \u202eevil [bold red]markup[/]"


def test_escape_sequences_in_stored_text_are_shown_not_run(
    cli: Cli, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shapely.geometry import box

    monkeypatch.setenv("COLUMNS", "200")  # wide enough that no question is cut

    shape = box(-99.151, 47.051, -99.15, 47.052)
    record = question(
        SCENE_A, HOSTILE, utc(2024, 3, 1, 10), [located("t", "air\x1b[31mcraft", 0.9, shape)]
    )
    save_question(Workbench(Settings(model_profile="tiny")).engine, record)
    for args in (("history",), ("history", "--distinct")):
        run = cli(*args)
        assert run.code == 0, run.err
        assert "\x1b" not in run.out and "\x07" not in run.out and "\u202e" not in run.out
        assert "\\x1b" in run.out  # shown, visibly
    assert "red]mark" in cli("history").out  # read as text, never as rich markup


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("batch", "x", "--workers", "0"), "'--workers'"),
        (("history", "--distinct", "--min-iou", "1.5"), "'--min-iou'"),
        (("history", "--limit", "abc"), "'--limit'"),
    ],
)
def test_an_option_out_of_range_is_one_line(cli: Cli, args: tuple[str, ...], option: str) -> None:
    line = cli(*args).one_line_error()
    assert option in line and "--help" in line


@pytest.mark.parametrize("blank", ["\u200b\u200b", "\ufeff \u200d", " \u2060\t"])
def test_a_question_of_nothing_visible_is_refused_and_not_stored(
    cli: Cli, isolated: Path, sample_scene: Path, blank: str
) -> None:
    line = cli("ask", sample_scene, blank).one_line_error()
    assert "empty query" in line
    assert "no results" in cli("history").out  # nothing was stored


def test_history_rows_stay_on_one_line_at_80_columns(
    cli: Cli, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shapely.geometry import box

    monkeypatch.setenv("COLUMNS", "80")
    airbus = scene("ef92f434-5a1e-4b7e-9c2d-1f0e8d7c6b5a", (-99.2, 47.0, -99.1, 47.1), ANY_DAY)
    shapes = [box(-99.151 + i / 1000, 47.051, -99.15 + i / 1000, 47.052) for i in range(3)]
    long_question = "how many aircraft are parked on the northern apron next to the cargo terminal?"
    record = question(
        airbus,
        long_question,
        utc(2024, 3, 1, 10),
        [located(f"t{i}", "aircraft", 0.9, s) for i, s in enumerate(shapes)],
    )
    save_question(Workbench(Settings(model_profile="tiny")).engine, record)
    for args, rows in ((("history",), 3), (("history", "--distinct"), 1)):
        run = cli(*args)
        assert run.code == 0, run.err
        lines = run.out.splitlines()
        assert all(len(line) <= 80 for line in lines), run.out
        # one line per row: each starts with its id, and the scene is named on that line
        table = [line for line in lines if line[:1].isdigit()]
        assert len(table) == rows and all("ef92f" in line for line in table), run.out
