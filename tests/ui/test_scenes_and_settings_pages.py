"""The scenes and settings pages under AppTest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest


def test_the_catalogue_counts_stored_results_per_scene(asked: Any, app: AppTest) -> None:
    app.run()
    app.switch_page("pages/scenes.py").run()
    assert not app.exception and not app.error
    table = app.dataframe[0].value
    row = table[table["scene"] == Path(asked.outcome.scene).name].iloc[0]  # a bundled NAIP date
    assert row["results"] >= len(asked.outcome.result_ids)
    assert row["CRS"] == "EPSG:26914" and row["source"] == "sample"


def test_settings_show_profile_models_server_and_database(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEOMAG_DATABASE_URL", "postgresql+psycopg://analyst:s3cret@127.0.0.1/geo")
    app.run()
    app.switch_page("pages/settings.py").run()
    assert not app.exception
    assert app.metric[0].value == "tiny"
    assert any("tiny profile" in w.value for w in app.warning)
    text = " ".join(m.value for m in app.markdown)
    assert "VLM server" in text and "http://127.0.0.1:8000/v1" in text
    assert "analyst:***@127.0.0.1/geo" in text and "s3cret" not in text


def test_an_invalid_setting_is_a_readable_error(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEOMAG_MODEL_PROFILE", "huge")
    app.run()
    assert not app.exception
    (error,) = [e.value for e in app.error]
    assert "GEOMAG_MODEL_PROFILE" in error
