"""The app under AppTest: tiny profile, one data dir (tiny models, database) per test session."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from geomag_core.config import REPO_ROOT

APP = REPO_ROOT / "ui" / "app.py"
#: One question asked once per session through the chat page; later tests read its results.
PIXEL_QUESTION = "Outline the fields"


@pytest.fixture(scope="session")
def ui_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's data dir: tiny model fixtures, uploads and the SpatiaLite history."""
    return tmp_path_factory.mktemp("ui-data")


def tiny_env(data_dir: Path) -> dict[str, str]:
    """Environment of an app on the tiny profile with its data (and database) in ``data_dir``."""
    return {
        "GEOMAG_DATA_DIR": str(data_dir),
        "GEOMAG_MODEL_PROFILE": "tiny",
        "GEOMAG_DATABASE_URL": f"sqlite:///{data_dir / 'geomag.sqlite'}",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }


@pytest.fixture(scope="session")
def tiny_app_env(ui_data_dir: Path) -> dict[str, str]:
    """:func:`tiny_env` of the session's data dir (for an app in a subprocess)."""
    return tiny_env(ui_data_dir)


@pytest.fixture()
def app_env(ui_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = tiny_env(ui_data_dir)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in (
        "GEOMAG_APP_SCENE",
        "GEOMAG_SCENES_DIR",
        "GEOMAG_AGENT_MODE",
        "GEOMAG_VLM_BACKEND",
    ):
        monkeypatch.delenv(name, raising=False)
    return env


@pytest.fixture()
def app(app_env: dict[str, str]) -> AppTest:
    """The app, not yet run (the first run imports torch & co. and can take a while)."""
    return AppTest.from_file(str(APP), default_timeout=300)


@dataclass(frozen=True)
class Asked:
    """What the session's one question left: the AppTest after it, and the outcome."""

    outcome: Any
    statuses: list[str]
    errors: list[str]
    captions: list[str]


@pytest.fixture(scope="session")
def asked(ui_data_dir: Path) -> Iterator[Asked]:
    """Ask :data:`PIXEL_QUESTION` about the bundled sample on the chat page, once."""
    with pytest.MonkeyPatch.context() as mp:
        for name, value in tiny_env(ui_data_dir).items():
            mp.setenv(name, value)
        mp.delenv("GEOMAG_APP_SCENE", raising=False)
        at = AppTest.from_file(str(APP), default_timeout=300).run()
        at.chat_input[0].set_value(PIXEL_QUESTION).run()
        messages = at.session_state["conversation.messages"]
        yield Asked(
            outcome=messages[-1].outcome,
            statuses=[s.label for s in at.status],
            errors=[e.value for e in at.error],
            captions=[c.value for c in at.caption],
        )
