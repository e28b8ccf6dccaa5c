"""Issue 15 case 3 (and 7's NaN): inputs that printed a traceback now print one line, exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.data.hostile import float_nan_scene
from tests.reliability.conftest import Run

Cli = Callable[..., Run]
QUESTION = "how many aircraft are there?"


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("GEOMAG_MODEL_PROFILE", "bogus", "GEOMAG_MODEL_PROFILE 'bogus'"),
        ("GEOMAG_RGB_BANDS", "a,b,c", "GEOMAG_RGB_BANDS 'a,b,c'"),
        ("GEOMAG_POOL_FACTOR", "0", "GEOMAG_POOL_FACTOR '0'"),
        ("GEOMAG_DEVICE", "gpu-please", "GEOMAG_DEVICE 'gpu-please'"),
    ],
)
def test_a_bad_setting_names_itself(
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
    sample_scene: Path,
    variable: str,
    value: str,
    named: str,
) -> None:
    monkeypatch.setenv(variable, value)
    for args in (("config",), ("scene", sample_scene), ("ask", sample_scene, QUESTION)):
        line = cli(*args).one_line_error()
        assert named in line and "is not a valid value" in line


def test_a_bad_profile_option(cli: Cli, sample_scene: Path) -> None:
    line = cli("ask", sample_scene, QUESTION, "--profile", "bogus").one_line_error()
    assert "'bogus'" in line and "'tiny', 'nano' or 'full'" in line


def test_a_gpu_this_machine_lacks(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, sample_scene: Path
) -> None:
    import torch

    monkeypatch.setenv("GEOMAG_DEVICE", f"cuda:{torch.cuda.device_count() + 6}")
    line = cli("ask", sample_scene, QUESTION).one_line_error()
    assert "is not available on this machine" in line and "GEOMAG_DEVICE=auto" in line


def test_a_data_dir_that_is_a_file(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sample_scene: Path
) -> None:
    afile = tmp_path / "not-a-folder"
    afile.write_text("x")
    monkeypatch.setenv("GEOMAG_DATA_DIR", str(afile))
    line = cli("ask", sample_scene, QUESTION).one_line_error()
    assert "is a file, not a folder" in line and str(afile) in line


def test_a_corrupt_thread_store(cli: Cli, isolated: Path, sample_scene: Path) -> None:
    isolated.mkdir(parents=True)
    store = isolated / "threads.sqlite"
    store.write_bytes(bytes(range(256)) * 20)
    line = cli("ask", sample_scene, QUESTION).one_line_error()
    assert str(store) in line and "not a usable SQLite database" in line
    assert store.read_bytes() == bytes(range(256)) * 20  # left as it was


def test_a_symlink_loop_as_the_scene(cli: Cli, tmp_path: Path) -> None:
    loop = tmp_path / "loop.tif"
    loop.symlink_to(loop)
    assert "symbolic link" in cli("scene", loop).one_line_error()
    assert "symbolic link" in cli("views", loop, "-g", "image").one_line_error()
    assert "symbolic link" in cli("ask", loop, QUESTION).one_line_error()


def test_a_fifo_as_the_scene_is_not_opened(cli: Cli, tmp_path: Path) -> None:
    fifo = tmp_path / "scene.tif"
    os.mkfifo(fifo)  # opening it for reading would block forever
    assert "not a regular file" in cli("scene", fifo).one_line_error()


@pytest.mark.parametrize("where", ["unwritable", "file-as-folder", "directory"])
def test_export_targets_that_cannot_be_written(cli: Cli, tmp_path: Path, where: str) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("keep me")
    target = {
        "unwritable": Path("/proc/geomag-export/results.geojson"),
        "file-as-folder": blocker / "results.geojson",
        "directory": tmp_path,
    }[where]
    line = cli("history", "--format", "geojson", "--out", target).one_line_error()
    assert str(target) in line
    assert blocker.read_text() == "keep me" and tmp_path.is_dir()


def test_scene_json_is_strict_json_with_nan_nodata(cli: Cli, tmp_path: Path) -> None:
    scene = float_nan_scene(tmp_path / "float-nan.tif")
    run = cli("scene", scene, "--json")
    assert run.code == 0, run.err

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    info = json.loads(run.out, parse_constant=refuse)
    assert info["nodata"] is None and info["dtype"] == "float32"


def test_the_console_script_prints_no_traceback(tmp_path: Path) -> None:
    """Through the real console script: the process boundary, the exit status, stderr."""
    loop = tmp_path / "loop.tif"
    loop.symlink_to(loop)
    env = {**os.environ, "GEOMAG_DATA_DIR": str(tmp_path / "data"), "GEOMAG_POOL_FACTOR": "1"}
    geomag = Path(sys.executable).parent / "geomag"
    bad_setting = subprocess.run(
        [geomag, "views", str(loop), "-g", "image"], env=env, capture_output=True, text=True
    )
    assert bad_setting.returncode == 2 and "Traceback" not in bad_setting.stderr
    assert bad_setting.stderr.count("\n") == 1 and "GEOMAG_POOL_FACTOR" in bad_setting.stderr


def test_an_unknown_migration_revision(cli: Cli) -> None:
    line = cli("db", "upgrade", "no-such-revision").one_line_error()
    assert "'no-such-revision'" in line and "geomag db upgrade" in line
