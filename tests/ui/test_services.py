"""The UI's service layer without Streamlit: uploads, filters, step lines, errors, overlays."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from geomag_core.boxes import PixelBox
from geomag_core.config import Settings
from geomag_core.errors import ConfigError, DatabaseError, SceneReadError
from geomag_core.findings import Finding
from geomag_core.psc.zoom import ZoomStep
from geomag_core.scene import Scene
from tools.events import Classified, Zoomed
from ui.services.errors import readable_error
from ui.services.history import HistoryForm, parse_bbox
from ui.services.overlays import draw_evidence, draw_zoom_step
from ui.services.uploads import UploadStore, safe_stem


def _png(seed: int = 0) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 255, (40, 60, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("field 1.tif", "field_1"),
        ("../../etc/passwd.png", "passwd"),
        ("C:\\scenes\\été.tif", "t"),
        ("....png", "scene"),
        ("a" * 200 + ".jpg", "a" * 60),
    ],
)
def test_safe_stem(name: str, stem: str) -> None:
    assert safe_stem(name) == stem


def test_uploads_are_stored_once_by_content_hash(tmp_path: Path) -> None:
    store = UploadStore(tmp_path / "uploads", max_bytes=1 << 20)
    data = _png()
    first = store.save("../my scene.png", data)
    again = store.save("renamed.png", data)
    assert first.parent == tmp_path / "uploads" and first.name.endswith("-my_scene.png")
    assert first.name[:16] == again.name[:16] and store.scenes() == sorted([first, again])
    assert Scene(first).size == (60, 40)


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("big.png", b"x" * 2048, "limited to"),
        ("empty.tif", b"", "empty"),
        ("notes.txt", b"hello", "only"),
        ("broken.png", b"\x89PNG\r\n\x1a\nbroken", "broken.png"),
    ],
)
def test_bad_uploads_are_refused(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    store = UploadStore(tmp_path, max_bytes=1024)
    with pytest.raises(SceneReadError, match=reason):
        store.save(name, data)
    assert store.scenes() == []


def test_history_form_to_filter() -> None:
    form = HistoryForm(
        label="Field, aircraft ",
        since=dt.date(2026, 1, 1),
        until=dt.date(2026, 1, 31),
        min_confidence=0.5,
        bbox="-99.3, 46.9, -99.1, 47.1",
    )
    where = form.to_filter()
    assert list(where.labels) == ["Field", "aircraft"]
    assert where.until == dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    assert where.bbox == (-99.3, 46.9, -99.1, 47.1) and where.min_confidence == 0.5
    assert HistoryForm().to_filter().min_confidence is None
    assert parse_bbox(" ") is None
    with pytest.raises(DatabaseError, match="west,south,east,north"):
        parse_bbox("1,2,3")


def _step(**costs: int) -> ZoomStep:
    return ZoomStep(1, PixelBox(0, 0, 8, 8), PixelBox(0, 0, 4, 4), 1.5, 0.5, source="x", **costs)


def test_step_lines() -> None:
    line = Classified("pixel", {"pixel": 0.9}).describe()
    assert line == "Granularity **pixel** (pixel 90%)"
    heat = Zoomed(_step(heat_pixels=1234, heat_tokens=12)).describe()
    assert "heat map of 1,234 px" in heat and "12 tokens" in heat
    read = Zoomed(_step(heat_pixels=0, heat_tokens=0, read_pixels=16, read_tokens=1)).describe()
    assert "read 16 px at native resolution" in read and "heat map" not in read


def test_readable_errors() -> None:
    nano = Settings(model_profile="nano")
    assert "GEOMAG_MODEL_PROFILE=tiny" in readable_error(ConfigError("no nano model"), nano)
    assert readable_error(ConfigError("x")).startswith("X")
    assert "RuntimeError: boom" in readable_error(RuntimeError("boom"))


def test_overlays_draw_on_the_overview(sample_scene: Path) -> None:
    scene = Scene(sample_scene)
    step = ZoomStep(1, PixelBox(0, 0, 934, 723), PixelBox(100, 100, 400, 400), 1.0, 0.5, 0, 0, "x")
    wkt_scene = scene.pixel_to_crs(
        np.array([[100, 100], [300, 100], [300, 300], [100, 100]], dtype=float)
    )
    ring = ", ".join(f"{x} {y}" for x, y in wkt_scene)
    result = Finding("mask", wkt_scene=f"POLYGON (({ring}))")
    image = np.asarray(draw_evidence(scene, [result], [step]))
    plain = np.asarray(draw_evidence(scene, [], []))
    assert image.shape == plain.shape == (723, 934, 3)
    assert image[250, 280, 0] > plain[250, 280, 0]  # inside the mask: reddened
    assert np.asarray(draw_zoom_step(scene, step)).shape[1] == 256


def test_nano_quality_is_read_from_the_evaluation_record(tmp_path: Path) -> None:
    import json

    from ui.services.profile import nano_quality, profile_notice

    weights = tmp_path / "mine.safetensors"
    settings = Settings(model_profile="nano", nano_weights=weights, data_dir=tmp_path)
    absent = nano_quality(settings)
    assert "not evaluated" in absent and "%" not in absent
    scores = {"recall": 0.714, "precision": 0.8, "f1": 0.76, "tp": 5, "predicted": 6, "truth": 7}
    record = {"classes": {"aircraft": {"dataset": "aircraft", "split": "val", "iou50": scores}}}
    (tmp_path / "mine.eval.json").write_text(json.dumps(record))
    said = nano_quality(settings)
    assert said == (
        "Measured on the `val` split (`geomag eval nano`, box IoU ≥ 0.5): "
        "aircraft recall 71%, precision 80%."
    )
    notice = profile_notice(settings)
    assert notice is not None and said in notice[1]
    (tmp_path / "mine.eval.json").write_text("{}")
    broken = nano_quality(settings)
    assert "not evaluated" in broken and "geomag eval nano --json >" in broken


def test_a_sidebar_entry_names_its_scene_and_how_many_others() -> None:
    import datetime as dt

    from agent.session import ThreadSummary
    from ui.components.conversation import _entry_label

    when = dt.datetime(2026, 12, 5, 7, 30, tzinfo=dt.UTC)
    one = ThreadSummary("t", "how many aircraft are there?", when, "/d/airport.tif", 2, 1)
    five = ThreadSummary("t", "how many aircraft are there?", when, "/d/airport.tif", 9, 5)
    assert _entry_label(one) == "airport.tif · 12-05 07:30 · how many aircraft are there?"
    assert _entry_label(five).startswith("airport.tif (+4 scenes) · 12-05 07:30 · ")


def test_an_answer_table_is_closed_so_the_summary_after_it_is_not_a_row() -> None:
    from markdown_it import MarkdownIt

    from ui.components.conversation import answer_markdown

    answer = "\n".join(
        [
            "Across dates (since 2009):",
            "| date | area (ha) |",
            "|---|---:|",
            "| 2009-08-18 | 200.00 |",
            "| 2020-08-31 | 400.00 |",
            "Water 2009-08-18 → 2020-08-31: net +200.00 ha",
            "Stored as query #3.",
        ]
    )
    html = MarkdownIt("commonmark").enable("table").render(answer_markdown(answer))
    table = html[html.index("<table>") : html.index("</table>")]
    assert table.count("<tr>") == 3  # the header and two dates, nothing else
    assert "net +200.00 ha" in html.split("</table>")[1]
    assert "Across dates" in html.split("<table>")[0]
