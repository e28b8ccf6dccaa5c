"""``geomag app``: the streamlit command it runs, and its errors (without starting a server)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from agent.cli import app as app_command
from agent.cli.main import main


def test_the_command_runs_the_ui_file_headless_on_localhost() -> None:
    command = app_command.streamlit_command("127.0.0.1", 8765, 64)
    assert command[1:5] == ["-m", "streamlit", "run", str(app_command.APP_SCRIPT)]
    assert app_command.APP_SCRIPT.is_file()
    options = dict(zip(command[5::2], command[6::2], strict=True))
    assert options["--server.address"] == "127.0.0.1"
    assert options["--server.port"] == "8765"
    assert options["--server.headless"] == "true"
    assert options["--server.maxUploadSize"] == "64"


def test_scene_and_profile_reach_the_app(
    sample_scene: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    def fake_call(command: list[str], env: dict[str, str]) -> int:
        seen.update(command=command, env=env)
        return 0

    monkeypatch.setattr(subprocess, "call", fake_call)
    assert main(["app", "--scene", str(sample_scene), "--profile", "tiny", "--port", "9"]) == 0
    assert seen["env"]["GEOMAG_APP_SCENE"] == str(sample_scene.resolve())
    assert seen["env"]["GEOMAG_MODEL_PROFILE"] == "tiny"
    assert "9" in seen["command"]


def test_a_missing_scene_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(subprocess, "call", lambda *a, **k: pytest.fail("must not start"))
    assert main(["app", "--scene", str(tmp_path / "nope.tif")]) == 2
    assert "nope.tif" in capsys.readouterr().err
