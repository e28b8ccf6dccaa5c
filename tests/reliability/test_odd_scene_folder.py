"""Issue 27, items 2 and 3: one odd file in the scene folder never sinks a change question, and
the app neither breaks on it nor opens what lies outside the scene folders."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import rasterio

from agent.session import Session
from geomag_core.config import Settings

QUESTION = "how has the water area changed since 2009?"


def _rgb_copy(source: Path, target: Path) -> None:
    """The same place and transform, bands 1–3 only: no near-infrared band."""
    with rasterio.open(source) as src:
        profile = src.profile | {"count": 3}
        data = src.read([1, 2, 3])
    with rasterio.open(target, "w", **profile) as dst:
        dst.write(data)


def _big_copy(source: Path, target: Path) -> None:
    """The same place at twice the pixels per side (over a lowered size limit)."""
    with rasterio.open(source) as src:
        data = src.read(out_shape=(src.count, src.height * 2, src.width * 2))
        profile = src.profile | {
            "height": src.height * 2,
            "width": src.width * 2,
            "transform": src.transform @ src.transform.scale(0.5, 0.5),
        }
    with rasterio.open(target, "w", **profile) as dst:
        dst.write(data.astype(np.uint8))


@pytest.fixture()
def odd_folder(tmp_path: Path, sample_scene: Path) -> Path:
    folder = tmp_path / "scenes"
    folder.mkdir()
    stem = "m_4709963_se_14_1_"
    (folder / "loop.tif").symlink_to(folder / "loop.tif")
    _rgb_copy(sample_scene, folder / f"{stem}20250601_rgb.tif")
    _big_copy(sample_scene, folder / f"{stem}20240601_big.tif")
    outside = tmp_path / "outside"
    outside.mkdir()
    _rgb_copy(sample_scene, outside / f"{stem}20230601.tif")
    (folder / f"{stem}20230601.tif").symlink_to(outside / f"{stem}20230601.tif")
    future = folder / f"{stem}20990101.tif"
    future.write_bytes(sample_scene.read_bytes())
    os.utime(future)
    return folder


def test_a_change_question_answers_from_the_usable_dates_and_names_the_rest(
    tmp_path: Path, sample_scene: Path, odd_folder: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", model_profile="nano", scenes_dir=odd_folder,
        max_scene_pixels=1_000_000,
    )  # fmt: skip
    with Session(settings) as session:
        outcome = session.ask(sample_scene, QUESTION)
    answer = outcome.answer
    dates = [r.date for r in outcome.findings["spectral"].table]  # type: ignore[attr-defined]
    assert dates[0] == "2009-08-18" and dates[-1] == "2020-08-31"  # the bundled dates, measured
    assert "2099" not in "".join(dates) and "gained" in answer
    assert "loop.tif (it is a symbolic link loop)" in answer
    assert "20240601_big.tif (it declares 1,868 × 1,446" in answer
    assert "20230601.tif (it is outside the scene folders" in answer
    assert "20990101.tif (dated 2099-01-01, after today" in answer
    assert "skipped m_4709963_se_14_1_20250601_rgb.tif (2025-06-01)" in answer


def test_the_app_lists_the_folder_without_breaking_and_refuses_what_is_outside(
    odd_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.ui.conftest import APP, tiny_env

    for name, value in tiny_env(tmp_path / "data").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GEOMAG_SCENES_DIR", str(odd_folder))
    monkeypatch.delenv("GEOMAG_APP_SCENE", raising=False)
    for page in ("pages/chat.py", "pages/scenes.py"):
        at = AppTest.from_file(str(APP), default_timeout=300)
        at.run()
        if page.endswith("scenes.py"):
            at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
        text = " ".join(str(m.value) for m in [*at.markdown, *at.caption, *at.error])
        assert "unexpected error" not in text.lower()
        if page.endswith("scenes.py"):  # listed with the reason, not opened
            table = at.dataframe[0].value
            problems = dict(zip(table["scene"], table["problem"], strict=True))
            assert problems["m_4709963_se_14_1_20230601.tif"].startswith(
                "not opened: it is outside the scene folders"
            )
            assert problems["loop.tif"] == "not opened: it is a symbolic link loop"
    options = " ".join(map(str, at.sidebar.selectbox[0].options)) if at.sidebar.selectbox else ""
    assert "20230601.tif" not in options and "loop.tif" not in options  # never offered
