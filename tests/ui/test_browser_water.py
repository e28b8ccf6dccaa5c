"""Water and change on the bundled NAIP sample, in a real browser with the network cut off.

Set ``GEOMAG_WATER_SCREENSHOT=docs/screenshot-water.png`` (and ``GEOMAG_CHANGE_SCREENSHOT``) to
keep the pictures.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ui.test_browser import _ask, _serve, browser  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


@pytest.fixture()
def nano_naip_url(sample_scene: Path, tmp_path: Path) -> Iterator[str]:
    """The app on the default nano profile, opened on the bundled 2020 NAIP tile."""
    env = {
        "GEOMAG_DATA_DIR": str(tmp_path / "data"),
        "GEOMAG_MODEL_PROFILE": "nano",
        "GEOMAG_DATABASE_URL": f"sqlite:///{tmp_path / 'water.sqlite'}",
        "HF_HUB_OFFLINE": "1",
    }
    with _serve(env, sample_scene, tmp_path) as url:
        yield url


def _shoot(browser: Any, tmp_path: Path, name: str, keep_env: str) -> None:  # noqa: F811
    time.sleep(1.5)  # let the images paint
    shot = tmp_path / name
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    if keep := os.environ.get(keep_env):
        shutil.copyfile(shot, keep)


def test_outline_the_water_draws_the_ponds(
    nano_naip_url: str,
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    from selenium.webdriver.common.by import By

    _ask(browser, nano_naip_url, "outline the water")
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "Water: " in body and " region(s), total " in body and "ha (" in body
    assert "NDWI" in body and "Traceback" not in body and "cannot detect water" not in body
    assert browser.execute_script(
        "const a = [...document.querySelectorAll('[data-testid=stChatMessage]')].pop();"
        "a.scrollIntoView({block: 'start'});"
        "const img = a.querySelector('[data-testid=stImage] img');"
        "return img !== null && img.naturalWidth > 100;"
    )
    _shoot(browser, tmp_path, "water.png", "GEOMAG_WATER_SCREENSHOT")


def test_water_change_since_2009_shows_the_table_chart_and_map(
    nano_naip_url: str,
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    from selenium.webdriver.common.by import By

    _ask(browser, nano_naip_url, "how has the water area changed since 2009?")
    body = browser.find_element(By.TAG_NAME, "body").text
    for date in ("2009-08-18", "2012-07-31", "2016-08-16", "2020-08-31"):
        assert date in body
    assert "Change across dates" in body and "gained in green" in body
    frames = browser.find_elements(By.CSS_SELECTOR, "[data-testid=stIFrame], iframe")
    assert any(f.size["height"] >= 300 for f in frames)
    browser.execute_script(
        "const e = [...document.querySelectorAll('[data-testid=stExpander]')]"
        ".find(x => x.textContent.includes('Change across dates'));"
        "e.scrollIntoView({block: 'start'});"
    )
    _shoot(browser, tmp_path, "change.png", "GEOMAG_CHANGE_SCREENSHOT")
