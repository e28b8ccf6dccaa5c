"""Issue 15 case 4: an export never deletes or writes through what is at ``--out``."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

from tests.reliability.conftest import Run

Cli = Callable[..., Run]


def _export(cli: Cli, out: Path, *extra: str) -> Run:
    return cli("history", "--format", "geojson", "--out", out, *extra)


def test_a_fifo_at_the_target_is_left_alone(cli: Cli, tmp_path: Path) -> None:
    fifo = tmp_path / "results.geojson"
    os.mkfifo(fifo)
    line = _export(cli, fifo, "--overwrite").one_line_error()
    assert "not a regular file" in line
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # before the fix: unlinked, then a new file


def test_a_symlink_at_the_target_is_not_followed(cli: Cli, tmp_path: Path) -> None:
    victim = tmp_path / "precious.txt"
    victim.write_text("do not touch")
    link = tmp_path / "results.geojson"
    link.symlink_to(victim)
    assert "symbolic link" in _export(cli, link, "--overwrite").one_line_error()
    assert link.is_symlink() and victim.read_text() == "do not touch"


def test_an_existing_file_needs_overwrite(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "results.geojson"
    out.write_text("an earlier export")
    assert "--overwrite" in _export(cli, out).one_line_error()
    assert out.read_text() == "an earlier export"
    run = _export(cli, out, "--overwrite")
    assert run.code == 0, run.err
    assert json.loads(out.read_text())["type"] == "FeatureCollection"


def test_the_file_appears_whole_and_nothing_is_left_beside_it(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "new" / "folder" / "results.gpkg"
    run = cli("history", "--format", "gpkg", "--out", out)
    assert run.code == 0, run.err
    assert out.is_file() and out.read_bytes()[:16] == b"SQLite format 3\0"
    assert sorted(p.name for p in out.parent.iterdir()) == ["results.gpkg"]  # no temp left
