"""The real app in a real browser: ``geomag app`` on 127.0.0.1, Chromium asks, we look.

Uses the system Chromium and chromedriver (``scripts/setup.sh`` installs them) and installs
nothing itself. Missing browser: a failure in CI (``CI=true``), a skip with the reason elsewhere.
Screenshots are kept where these say: ``GEOMAG_NANO_SCREENSHOT`` (nano's answer on a real
Airbus airport with its heat map: ``docs/screenshot.png``), ``GEOMAG_MAP_SCREENSHOT`` (the
offline Map tab on the NAIP sample: ``docs/screenshot-map.png``) and ``GEOMAG_SCREENSHOT``
(the tiny profile's answer)::

    GEOMAG_NANO_SCREENSHOT=docs/screenshot.png GEOMAG_MAP_SCREENSHOT=docs/screenshot-map.png \
        .venv/bin/python -m pytest -m browser tests/ui/test_browser.py

The browser has no network but the app's loopback: every proxied request goes to a closed port
and every host name but 127.0.0.1 resolves to nothing, so a map that needed a CDN would be blank.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
QUESTION = "Outline the fields"
#: A real Airbus Pléiades airport scene (CC BY-NC-SA 4.0, Airbus DS) with many aircraft.
AIRPORT = "014de911-7810-4f7d-8967-3e5402209f4a.jpg"
#: Chromium flags that cut the browser off from everything but the app on 127.0.0.1.
OFFLINE_FLAGS = (
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=127.0.0.1",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
)


def _require_browser() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package")
    if missing:
        reason = f"{', '.join(missing)} not found: run scripts/setup.sh dev (apt chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _serve(app_env: dict[str, str], scene: Path, tmp_path: Path) -> Iterator[str]:
    """``geomag app`` on a free port of 127.0.0.1 with ``app_env``, opened on ``scene``."""
    _require_browser()
    port = _free_port()
    geomag = shutil.which("geomag", path=str(Path(sys.executable).parent))
    assert geomag
    env = {**os.environ, **app_env}
    log = (tmp_path / "app.log").open("w")
    server = subprocess.Popen(
        [geomag, "app", "--port", str(port), "--scene", str(scene)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the app did not start: {(tmp_path / 'app.log').read_text()[-2000:]}")
            time.sleep(0.3)
        yield url
    finally:  # the whole group: `geomag app` and the `streamlit run` it started
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
        log.close()


#: GEOMAG_UPLOAD_MAX_MB of the tiny app: no default of Streamlit's or ours, so the uploader's
#: stated limit can only come from the setting.
UPLOAD_MAX_MB = 48


@pytest.fixture()
def app_url(tiny_app_env: dict[str, str], sample_scene: Path, tmp_path: Path) -> Iterator[str]:
    env = {
        **tiny_app_env,
        "GEOMAG_UPLOAD_MAX_MB": str(UPLOAD_MAX_MB),
        # a history of its own: the same question asked by another test is not "asked before"
        "GEOMAG_DATABASE_URL": f"sqlite:///{tmp_path / 'browser.sqlite'}",
    }
    with _serve(env, sample_scene, tmp_path) as url:
        yield url


@pytest.fixture()
def nano_app_url(shared_data: Path, tmp_path: Path) -> Iterator[str]:
    """The app on the nano profile (shipped weights), opened on a real Airbus airport scene."""
    scene = shared_data / "airbus-aircraft" / "train" / AIRPORT
    if not scene.exists():
        pytest.skip(f"{scene} is not there (shared data)")
    env = {
        "GEOMAG_DATA_DIR": str(tmp_path / "nano-data"),
        "GEOMAG_MODEL_PROFILE": "nano",
        "GEOMAG_DATABASE_URL": f"sqlite:///{tmp_path / 'nano.sqlite'}",
        "HF_HUB_OFFLINE": "1",
    }
    with _serve(env, scene, tmp_path) as url:
        yield url


@pytest.fixture()
def browser(tmp_path: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium-profile'}", "--window-size=1400,1900",
        *OFFLINE_FLAGS,
    ):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_ask_in_the_browser_and_see_the_answer(app_url: str, browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(app_url)
    wait = WebDriverWait(browser, 240)
    box = wait.until(
        ec.element_to_be_clickable((By.CSS_SELECTOR, "[data-testid=stChatInput] textarea"))
    )
    banner = browser.find_element(By.CSS_SELECTOR, "[data-testid=stAlertContentWarning]")
    assert "tiny profile" in banner.text
    dropzone = browser.find_element(By.CSS_SELECTOR, "[data-testid=stFileUploaderDropzone]")
    assert f"{UPLOAD_MAX_MB}MB per file" in dropzone.text  # GEOMAG_UPLOAD_MAX_MB, not 200MB or 1GB
    box.send_keys(QUESTION)
    box.send_keys(Keys.ENTER)
    wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Stored as query #"))
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=stImage] img")))
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "Answer (pixel)" in body and "Traceback" not in body
    running = (By.CSS_SELECTOR, "[data-testid=stStatusWidget]")
    wait.until(ec.invisibility_of_element_located(running))  # the run is over
    browser.execute_script(
        "document.querySelectorAll('[data-testid=stMain], "
        "[data-testid=stAppScrollToBottomContainer]').forEach(e => e.scrollTo(0, 0));"
    )
    time.sleep(1)  # let the images paint before the picture
    shot = tmp_path / "app.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    if keep := os.environ.get("GEOMAG_SCREENSHOT"):
        shutil.copyfile(shot, keep)


def _ask(browser: Any, url: str, question: str) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(url)
    wait = WebDriverWait(browser, 240)
    box = wait.until(
        ec.element_to_be_clickable((By.CSS_SELECTOR, "[data-testid=stChatInput] textarea"))
    )
    box.send_keys(question)
    box.send_keys(Keys.ENTER)

    def answered(driver: Any) -> bool:  # stored now, or asked before and answered from storage
        body = str(driver.find_element(By.TAG_NAME, "body").text)
        return "Stored as query #" in body or "nothing was searched or stored" in body

    wait.until(answered)
    wait.until(
        ec.invisibility_of_element_located((By.CSS_SELECTOR, "[data-testid=stStatusWidget]"))
    )
    return wait


def _picture(browser: Any, shot: Path, testid: str, pick: str, keep_in: str) -> None:
    """Scroll an element to the top, take the picture, and keep it where ``keep_in`` says.

    The element is ``[data-testid=testid]`` picked by ``pick`` (``".pop()"``: the last one,
    ``"[0]"``: the first); ``keep_in`` names the environment variable holding where to copy
    the picture (unset: only ``shot``).
    """
    time.sleep(1)  # the last rerun's elements stop being replaced
    browser.execute_script(
        f"[...document.querySelectorAll('[data-testid={testid}]')]{pick}"
        ".scrollIntoView({block: 'start'});"
    )
    time.sleep(1.5)  # let the images paint before the picture
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    if keep := os.environ.get(keep_in):
        shutil.copyfile(shot, keep)


def _still(browser: Any, element: Any) -> None:
    """Wait until the app has stopped running and ``element`` stays where it is for a second."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    idle = (By.CSS_SELECTOR, "[data-testid=stStatusWidget]")
    WebDriverWait(browser, 120).until(ec.invisibility_of_element_located(idle))
    where = None
    for _ in range(60):
        now = browser.execute_script(
            "const r = arguments[0].getBoundingClientRect();"
            " return [r.left, r.top, r.width, r.height];",
            element,
        )
        if now == where:
            return
        where = now
        time.sleep(1)
    raise AssertionError(f"{element} never stood still: {where}")


def _then(browser: Any, wait: Any, question: str, said: str) -> str:
    """Ask the next question in the same chat; the page's text once ``said`` is on it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec

    box = wait.until(
        ec.element_to_be_clickable((By.CSS_SELECTOR, "[data-testid=stChatInput] textarea"))
    )
    box.send_keys(question)
    box.send_keys(Keys.ENTER)
    wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), said))
    wait.until(
        ec.invisibility_of_element_located((By.CSS_SELECTOR, "[data-testid=stStatusWidget]"))
    )
    return str(browser.find_element(By.TAG_NAME, "body").text)


def test_the_browser_really_is_offline(app_url: str, browser: Any) -> None:
    browser.get(app_url)
    outcome = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch('https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js', {mode: 'no-cors'})"
        ".then(() => done('reached'), e => done('blocked: ' + e));"
    )
    assert outcome.startswith("blocked"), outcome


def test_the_map_shows_the_scene_offline(app_url: str, browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    wait = _ask(browser, app_url, QUESTION)
    clicked = browser.execute_script(
        "const tab = [...document.querySelectorAll('[role=tab]')]"
        ".find(t => t.textContent.trim() === 'Map');"
        "if (!tab) return [...document.querySelectorAll('[role=tab]')].map(t => t.outerHTML);"
        "tab.scrollIntoView({block: 'center'}); tab.click(); return true;"
    )
    assert clicked is True, clicked
    frame = wait.until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=stIFrame], iframe"))
    )
    assert frame.size["height"] >= 300
    browser.switch_to.frame(frame)
    try:
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "img.leaflet-image-layer")))
        state = browser.execute_script(
            "const img = document.querySelector('img.leaflet-image-layer');"
            "const map = document.querySelector('.leaflet-container');"
            "return {complete: img.complete, natural: img.naturalWidth, shown: img.clientWidth,"
            " map: map.clientHeight, paths: document.querySelectorAll('path.leaflet-interactive')"
            ".length, text: document.body.innerText};"
        )
    finally:
        browser.switch_to.default_content()
    assert state["complete"] and state["natural"] > 100 and state["shown"] > 100, state
    assert state["map"] >= 300 and state["paths"] >= 2, state  # footprint, windows, masks
    assert "Base layer: the scene itself" in state["text"]
    time.sleep(1)
    shot = tmp_path / "map.png"
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", frame)
    time.sleep(0.5)
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    if keep := os.environ.get("GEOMAG_MAP_SCREENSHOT"):
        shutil.copyfile(shot, keep)


def test_nano_shows_its_heat_map_under_the_windows(
    nano_app_url: str, browser: Any, tmp_path: Path
) -> None:
    """Nano on a real airport: the answer, then the PSC heat map laid under the windows."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    def captions() -> list[str]:  # read in one script: reruns replace the elements
        texts: list[str] = browser.execute_script(
            "return [...document.querySelectorAll('[data-testid=stImageCaption]')]"
            ".map(c => c.textContent);"
        )
        return texts

    try:
        _ask(browser, nano_app_url, "where are the aircraft?")
        body = browser.find_element(By.TAG_NAME, "body").text
        assert "aircraft" in body and "Looked at " in body and "Traceback" not in body
        toggle = next(
            e
            for e in browser.find_elements(By.CSS_SELECTOR, "[data-testid=stCheckbox] label")
            if "PSC heat map" in e.text
        )
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", toggle)
        toggle.click()  # a real click: React ignores a scripted one here
        WebDriverWait(browser, 240).until(lambda b: any("PSC heat" in c for c in captions()))
    except TimeoutException:
        browser.save_screenshot(str(tmp_path / "timeout.png"))
        pytest.fail(f"timed out; the page is in {tmp_path / 'timeout.png'}")
    running = (By.CSS_SELECTOR, "[data-testid=stStatusWidget]")
    WebDriverWait(browser, 120).until(ec.invisibility_of_element_located(running))
    time.sleep(1)  # the rerun is over: elements stop being replaced
    shown = browser.execute_script(
        "const answer = [...document.querySelectorAll('[data-testid=stChatMessage]')].pop();"
        "answer.scrollIntoView({block: 'start'});"
        "return [...document.querySelectorAll('[data-testid=stImageCaption]')]"
        ".some(c => c.textContent.includes('PSC heat') && c.getBoundingClientRect().height > 0);"
    )
    assert shown
    time.sleep(1.5)  # let the heated image paint before the picture
    if keep := os.environ.get("GEOMAG_NANO_SCREENSHOT"):
        assert browser.save_screenshot(keep)


def test_a_follow_up_is_answered_from_the_stored_aircraft(
    nano_app_url: str, browser: Any, tmp_path: Path
) -> None:
    """The next question an analyst asks: a filter on the answer, from the stored rows."""

    wait = _ask(browser, nano_app_url, "how many aircraft are there?")
    body = _then(
        browser, wait, "how many of them are longer than 40 m?", "nothing was searched or stored"
    )
    assert "filter(previous, length > 40 m) → count" in body and "Traceback" not in body
    assert "0.5 m per pixel" in body  # the assumption on a JPEG is said
    shot = tmp_path / "followup.png"
    _picture(browser, shot, "stChatMessage", ".pop()", "GEOMAG_FOLLOWUP_SCREENSHOT")


def test_history_and_a_description_in_the_browser(
    nano_app_url: str, browser: Any, tmp_path: Path
) -> None:
    """Questions over everything stored render as a table; a description states measurements."""
    from selenium.webdriver.common.by import By

    wait = _ask(browser, nano_app_url, "how many aircraft are there?")
    body = _then(browser, wait, "which scene had the most aircraft?", "Most: ")
    assert AIRPORT in body and "Traceback" not in body
    tables = browser.find_elements(By.CSS_SELECTOR, "[data-testid=stChatMessage] table")
    assert tables and "aircraft" in tables[-1].text  # a real table, not pipes in a paragraph
    body = _then(browser, wait, "what is in this scene?", "This is what was measured and stored")
    assert "No CRS" in body and "Looked for: aircraft" in body
    time.sleep(1)
    browser.execute_script(
        "[...document.querySelectorAll('[data-testid=stChatMessage]')].slice(-3)[0]"
        ".scrollIntoView({block: 'start'});"
    )
    time.sleep(1)
    shot = tmp_path / "history.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    if keep := os.environ.get("GEOMAG_HISTORY_SCREENSHOT"):
        shutil.copyfile(shot, keep)


def test_a_corrected_and_an_added_aircraft_are_drawn_on_the_scene_tab(
    nano_app_url: str, browser: Any, tmp_path: Path
) -> None:
    """Issue 26: the analyst's verdicts are seen where the answer is, in a real browser."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    from shapely.geometry import box

    from db.engine import create_db_engine
    from db.enums import Verdict
    from db.feedback import save_feedback
    from db.history import HistoryFilter, find_all_results

    _ask(browser, nano_app_url, "how many aircraft are there?")
    engine = create_db_engine(f"sqlite:///{tmp_path / 'nano.sqlite'}")
    found = find_all_results(engine, HistoryFilter(labels=["aircraft"]))
    first = max(found, key=lambda r: r.confidence or 0.0)
    assert first.pixel_box is not None
    x0, y0, x1, y1 = first.pixel_box.as_tuple()
    save_feedback(
        engine, first.result_id, Verdict.CORRECT, pixels=box(x0 - 8, y0 - 8, x1 + 8, y1 + 8)
    )
    engine.dispose()

    def field(label: str) -> Any:
        return browser.find_element(By.CSS_SELECTOR, f'input[aria-label="{label}"]')

    field("Label").send_keys("aircraft")
    field("Box in scene pixels x0,y0,x1,y1").send_keys("60,60,140,130")
    button = next(b for b in browser.find_elements(By.TAG_NAME, "button") if "Add object" in b.text)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    button.click()

    def drawn(driver: Any) -> bool:
        texts: list[str] = driver.execute_script(
            "return [...document.querySelectorAll('[data-testid=stImageCaption]')]"
            ".map(c => c.textContent);"
        )
        return any(
            "your added objects in green" in t and "corrected outlines in white" in t for t in texts
        )

    WebDriverWait(browser, 120).until(drawn)
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "Added result #" in body and "Traceback" not in body
    _picture(browser, tmp_path / "verdicts.png", "stImage", "[0]", "GEOMAG_VERDICT_SCREENSHOT")


def test_a_box_dragged_on_the_scene_is_stored_as_an_added_object(
    nano_app_url: str, browser: Any, tmp_path: Path
) -> None:
    """Issue 26: the analyst drags the box of a missed object with the mouse, in a real browser."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from db.engine import create_db_engine
    from db.history import HistoryFilter, find_all_results

    _ask(browser, nano_app_url, "how many aircraft are there?")
    toggle = next(
        e
        for e in browser.find_elements(By.CSS_SELECTOR, "[data-testid=stCheckbox] label")
        if "Draw a missed object's box" in e.text
    )
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", toggle)
    toggle.click()
    picture = WebDriverWait(browser, 60).until(
        lambda d: next(
            iter(d.find_elements(By.CSS_SELECTOR, "[data-testid=stVegaLiteChart] svg image")),
            None,
        )
    )
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", picture)
    _still(browser, picture)  # a picture that moves under the mouse gets a box it did not draw
    width, height = picture.size["width"], picture.size["height"]
    # where the pointer went down and up, as fractions of the picture (whatever moved before;
    # vega stops the mouse events, not the pointer events)
    browser.execute_script(
        """const img = arguments[0]; window.geomagDrag = [];
        const at = e => { const r = img.getBoundingClientRect(); window.geomagDrag.push(
          [(e.clientX - r.left) / r.width, (e.clientY - r.top) / r.height]); };
        document.addEventListener('pointerdown', at, true);
        document.addEventListener('pointerup', at, true);""",
        picture,
    )
    # from 40 % to 60 % of the picture, both ways (offsets are from its centre)
    (
        ActionChains(browser)
        .move_to_element_with_offset(picture, -width // 10, -height // 10)
        .click_and_hold()
        .move_by_offset(width // 10, height // 10)
        .move_by_offset(width // 10, height // 10)
        .release()
        .perform()
    )

    def box_field(driver: Any) -> str:  # the page runs again after the drag: find it anew
        fields = driver.find_elements(
            By.CSS_SELECTOR, 'input[aria-label="Box in scene pixels x0,y0,x1,y1"]'
        )
        try:
            return str(fields[0].get_attribute("value") or "") if fields else ""
        except StaleElementReferenceException:
            return ""

    WebDriverWait(browser, 60).until(box_field)
    idle = (By.CSS_SELECTOR, "[data-testid=stStatusWidget]")
    WebDriverWait(browser, 60).until(ec.invisibility_of_element_located(idle))
    text = box_field(browser)  # the box of the whole drag, not one sent while it went on
    drawn = [int(v) for v in text.split(",")]
    _picture(browser, tmp_path / "drawn.png", "stVegaLiteChart", "[0]", "GEOMAG_DRAW_SCREENSHOT")
    x0, y0, x1, y1 = drawn
    side = 2560  # the airport scene
    assert 0 <= x0 < x1 <= side and 0 <= y0 < y1 <= side
    (fx0, fy0), (fx1, fy1) = browser.execute_script("return window.geomagDrag;")
    assert 0 < fx0 < fx1 < 1 and 0 < fy0 < fy1 < 1  # the drag stayed on the picture
    # the box is where the mouse went, in scene pixels (within 1 % of the scene)
    for got, fraction in zip((x0, y0, x1, y1), (fx0, fy0, fx1, fy1), strict=True):
        assert got == pytest.approx(fraction * side, abs=0.01 * side)
    label = browser.find_element(By.CSS_SELECTOR, 'input[aria-label="Label"]')
    label.send_keys("aircraft")
    button = next(b for b in browser.find_elements(By.TAG_NAME, "button") if "Add object" in b.text)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    button.click()
    WebDriverWait(browser, 120).until(
        lambda d: "Added result #" in d.find_element(By.TAG_NAME, "body").text
    )
    engine = create_db_engine(f"sqlite:///{tmp_path / 'nano.sqlite'}")
    added = [r for r in find_all_results(engine, HistoryFilter()) if r.added]
    engine.dispose()
    assert len(added) == 1 and added[0].pixel_box is not None
    assert added[0].pixel_box.as_tuple() == tuple(drawn)
