from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agent.cli.main import main


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_views_json_reports_budget_and_baselines(
    sample_scene: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        [
            "views",
            str(sample_scene),
            "--granularity",
            "pixel",
            "--box",
            "100,100,612,612",
            "--box",
            "200,200,456,456",
            "--json",
        ],
        capsys,
    )
    assert code == 0
    report = json.loads(out)
    assert [v["name"] for v in report["views"]] == ["crop2", "crop1_pooled", "scene_pooled2"]
    assert report["views"][0]["box"] == [200, 200, 456, 456]
    assert report["views"][0]["shape"] == [256, 256]
    assert report["views"][1]["shape"] == [128, 128]
    native = report["budget"]["native"]["pixels"]
    assert native == 934 * 723
    assert report["budget"]["ratio_to_native"]["pixels"] == pytest.approx(
        report["budget"]["views"]["pixels"] / native
    )


def test_views_table_and_scene_info(sample_scene: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["views", str(sample_scene), "-g", "region"], capsys)
    assert code == 0 and "scene_pooled" in out and "tiling" in out
    code, out, _ = run(["scene", str(sample_scene), "--json"], capsys)
    info = json.loads(out)
    assert code == 0 and info["crs"] == "EPSG:26914" and info["acquired"] == "2020-08-31"


def test_config_prints_effective_values(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEOMAG_VLLM_URL", "http://127.0.0.1:9999/v1")
    code, out, _ = run(["config", "--json"], capsys)
    assert code == 0 and json.loads(out)["vllm_url"] == "http://127.0.0.1:9999/v1"


def test_user_errors_are_one_line_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "broken.tif"
    bad.write_bytes(b"II*\x00garbage")
    code, _, err = run(["views", str(bad), "-g", "image"], capsys)
    assert code == 2
    assert err.startswith("error: cannot read scene") and str(bad) in err
    assert "Traceback" not in err
    code, _, err = run(["views", str(bad), "-g", "everything"], capsys)
    assert code == 2 and "everything" in err


def test_console_script_is_installed(sample_scene: Path) -> None:
    exe = shutil.which("geomag", path=str(Path(sys.executable).parent))
    assert exe, "the geomag console script is not installed in this environment"
    out = subprocess.run(
        [exe, "views", str(sample_scene), "-g", "image", "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert json.loads(out.stdout)["views"][0]["shape"] == [100, 100]
