from __future__ import annotations

from pathlib import Path

import pytest

from geomag_core.config import Settings
from geomag_core.errors import ConfigError


def test_defaults_are_documented_and_derived(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("GEOMAG_DATABASE_URL", raising=False)
    monkeypatch.setenv("GEOMAG_DATA_DIR", str(tmp_path))
    settings = Settings()
    assert settings.model_profile == "nano"
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'geomag.sqlite'}"
    described = settings.describe()
    assert described["data_dir"] == str(tmp_path)
    assert described["vlm_path"] == "(unset)"
    for name, field in Settings.model_fields.items():
        assert field.description, f"setting {name} needs a description"


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEOMAG_RGB_BANDS", "4,3,2")
    monkeypatch.setenv("GEOMAG_MODEL_PROFILE", "tiny")
    monkeypatch.setenv("GEOMAG_DATABASE_URL", "postgresql+psycopg://u@127.0.0.1/db")
    settings = Settings()
    assert settings.rgb_bands == (4, 3, 2)
    assert settings.model_profile == "tiny"
    assert settings.effective_database_url.startswith("postgresql")


@pytest.mark.parametrize(
    ("name", "value"),
    [("GEOMAG_RGB_BANDS", "0,1,2"), ("GEOMAG_RGB_BANDS", "1,2"), ("GEOMAG_MODEL_PROFILE", "huge")],
)
def test_bad_values_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError):
        Settings()
