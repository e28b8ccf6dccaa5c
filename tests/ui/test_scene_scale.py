"""Issue 26: the analyst gives a CRS-less scene its scale in the app; nano uses it and says so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from geomag_core.errors import ConfigError
from geomag_core.scales import ScaleBook
from geomag_core.scene import Scene
from tests.ui.conftest import APP, tiny_env


def test_a_given_scale_is_kept_by_content_hash_and_checked(tmp_path: Path) -> None:
    book = ScaleBook(tmp_path)
    book.give("a" * 64, 0.27)
    assert ScaleBook(tmp_path).get("a" * 64) == 0.27 and book.get("b" * 64) is None
    with pytest.raises(ConfigError, match="not a scale"):
        book.give("a" * 64, 5000.0)
    book.give("a" * 64, None)
    assert book.get("a" * 64) is None


@pytest.fixture
def jpeg_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[AppTest, Path]:
    folder = tmp_path / "scenes"
    folder.mkdir()
    jpeg = folder / "marina.jpg"
    Image.fromarray(np.full((240, 320, 3), 100, dtype=np.uint8)).save(jpeg)
    env: dict[str, Any] = {
        **tiny_env(tmp_path / "data"),
        "GEOMAG_MODEL_PROFILE": "nano",
        "GEOMAG_SCENES_DIR": str(folder),
        "GEOMAG_APP_SCENE": str(jpeg),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return AppTest.from_file(str(APP), default_timeout=300), jpeg


def test_the_scale_given_in_the_picker_is_used_and_said(jpeg_app: tuple[AppTest, Path]) -> None:
    app, jpeg = jpeg_app
    app.run()
    assert not app.exception
    sha = Scene(jpeg).content_hash
    field = app.number_input(key=f"scene_picker.scale.{sha[:16]}")
    assert field.value is None  # nothing given yet: the training scale is assumed
    field.set_value(0.27).run()
    assert not app.error, [e.value for e in app.error]
    data_dir = jpeg.parent.parent / "data"  # the fixture's GEOMAG_DATA_DIR
    assert ScaleBook(data_dir).get(sha) == pytest.approx(0.27)
    app.chat_input[0].set_value("how many cars are there?").run()
    answer = app.session_state["conversation.messages"][-1].text
    assert "0.27 m per pixel (given for this scene in the app)" in answer


def test_a_corrupt_scales_file_is_said_and_the_page_goes_on(
    jpeg_app: tuple[AppTest, Path],
) -> None:
    app, jpeg = jpeg_app
    data_dir = jpeg.parent.parent / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "scales.json").write_text("{not json")
    app.run()
    assert not app.exception
    assert any("scales.json" in e.value and "fix or delete it" in e.value for e in app.error)
