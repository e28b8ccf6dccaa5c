"""Issue 15 cases 2 and 6: scenes outside the scene folders, and scenes declaring huge sizes."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from agent.context import AgentContext
from agent.graph import graph
from geomag_core.config import Settings
from geomag_core.errors import SceneReadError
from tests.data.hostile import png_bomb, sparse_tiff
from tests.data.rasters import pattern, write_geotiff
from tests.reliability.conftest import Run
from tools.workbench import Workbench
from ui.services.uploads import UploadStore

Cli = Callable[..., Run]


@pytest.fixture()
def confined(tmp_path: Path) -> Workbench:
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    write_geotiff(scenes / "ok.tif", pattern(3, 64, 64, "uint8"))
    return Workbench(Settings(data_dir=tmp_path / "data", scenes_dir=scenes))


def test_the_server_graph_refuses_a_path_outside_the_scene_folders(confined: Workbench) -> None:
    context = AgentContext(workbench=confined)
    with pytest.raises(SceneReadError, match="outside the scene folders"):
        graph.invoke({"scene": "/etc/passwd", "question": "what is this?"}, context=context)


def test_links_and_dot_dots_out_of_a_folder_are_refused(
    confined: Workbench, tmp_path: Path, sample_scene: Path
) -> None:
    scenes = confined.settings.scenes_dir
    assert scenes is not None
    (scenes / "escape.tif").symlink_to("/etc/passwd")
    for path in (scenes / "escape.tif", scenes / ".." / ".." / "etc" / "passwd", tmp_path):
        with pytest.raises(SceneReadError, match="outside the scene folders"):
            confined.scene(path)
    assert confined.scene(scenes / "ok.tif").width == 64  # inside: opens
    assert confined.scene(sample_scene).width > 0  # the bundled samples are allowed
    outside = tmp_path / "elsewhere.tif"
    write_geotiff(outside, pattern(3, 32, 32, "uint8"))
    allowed = Workbench(confined.settings.model_copy(update={"scene_files": (outside,)}))
    assert allowed.scene(outside).width == 32  # what `geomag ask PATH` adds


def test_the_cli_opens_any_path_the_user_types(cli: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "anywhere" / "broken.tif"
    broken.parent.mkdir()
    broken.write_bytes(b"II*\0 not really a tiff")
    line = cli("ask", broken, "how many aircraft are there?").one_line_error()
    assert "outside" not in line and "cannot read scene" in line  # read, not refused


@pytest.mark.parametrize("make", [png_bomb, sparse_tiff], ids=["png-30000", "tiff-100000"])
def test_a_scene_declaring_too_many_pixels_is_refused_at_once(
    cli: Cli, tmp_path: Path, make: Callable[[Path], Path]
) -> None:
    scene = make(tmp_path / ("huge.png" if make is png_bomb else "huge.tif"))
    assert scene.stat().st_size < 3_000_000
    started = time.monotonic()
    for command in (("scene", scene), ("views", scene, "-g", "image")):
        assert "GEOMAG_MAX_SCENE_PIXELS" in cli(*command).one_line_error()
    assert "GEOMAG_MAX_SCENE_PIXELS" in cli("ask", scene, "count the cars").one_line_error()
    assert time.monotonic() - started < 30  # before: past 120 s at 2–3 GB for each


def test_the_limit_is_a_setting(cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    scene = write_geotiff(tmp_path / "small.tif", pattern(3, 64, 64, "uint8"))
    assert cli("scene", scene, "--json").code == 0
    monkeypatch.setenv("GEOMAG_MAX_SCENE_PIXELS", "4000")
    assert "over the limit of 4,000 px" in cli("scene", scene).one_line_error()


def test_the_upload_store_refuses_a_decompression_bomb(tmp_path: Path) -> None:
    bomb = png_bomb(tmp_path / "bomb.png")
    store = UploadStore(tmp_path / "uploads", max_bytes=1 << 20, max_pixels=500_000_000)
    started = time.monotonic()
    with pytest.raises(SceneReadError, match="GEOMAG_MAX_SCENE_PIXELS"):
        store.save("bomb.png", bomb.read_bytes())
    assert time.monotonic() - started < 10
    assert store.scenes() == []  # nothing kept


def test_geomag_app_scene_outside_the_folders_opens_in_the_app(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, isolated: Path
) -> None:
    import subprocess

    from agent.cli.main import main

    outside = write_geotiff(tmp_path / "mine.tif", pattern(3, 32, 32, "uint8"))
    launched: dict[str, dict[str, str]] = {}

    def launch(command: list[str], env: dict[str, str]) -> int:  # instead of Streamlit
        launched["env"] = env
        return 0

    monkeypatch.setattr(subprocess, "call", launch)
    assert main(["app", "--scene", str(outside)]) == 0
    for name, value in launched["env"].items():
        if name.startswith("GEOMAG_"):
            monkeypatch.setenv(name, value)
    assert Workbench(Settings()).scene(outside).width == 32  # as the app's workbench sees it
    with pytest.raises(SceneReadError, match="outside"):
        Workbench(Settings()).scene("/etc/passwd")
