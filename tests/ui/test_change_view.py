"""A change question in the app: the per-date chart and the gains/losses map."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geomag_core.findings import Finding
from tests.ui.conftest import APP, tiny_env
from tools.capabilities.change import ChangeFindings, DateRow
from ui.services.change import change_layers, change_table, measure_chart, measure_frame

ROWS = [
    DateRow("2009-08-18", "a.tif", "water", 150, 2.0e6, "r1", "ndwi"),
    DateRow("2020-08-31", "b.tif", "water", 130, 4.0e6, "r2", "ndwi"),
]


def test_the_measure_per_date_is_a_date_by_subject_frame() -> None:
    frame = measure_frame(ROWS)
    assert list(frame.columns) == ["water (ha)"]
    assert frame["water (ha)"].tolist() == [200.0, 400.0]
    findings = {"spectral": ChangeFindings("since 2009", table=tuple(reversed(ROWS)))}
    assert change_table(findings)[0].date == "2009-08-18"


def test_the_chart_names_each_date_with_its_year() -> None:
    spec = measure_chart(ROWS).to_dict()
    assert spec["encoding"]["x"]["axis"]["format"] == "%Y-%m-%d"
    assert spec["encoding"]["x"]["type"] == "temporal"
    values = next(iter(spec["datasets"].values()))
    assert [v["value"] for v in values] == [200.0, 400.0]


def test_gains_and_losses_become_two_coloured_layers() -> None:
    square = "POLYGON ((-99 47, -98.99 47, -98.99 47.01, -99 47.01, -99 47))"
    results = [
        Finding("mask", "water gained", wkt=square, area_m2=10.0),
        Finding("mask", "water lost", wkt=square, area_m2=5.0),
        Finding("mask", "water", wkt=square, area_m2=1.0),
    ]
    gained, lost = change_layers(results)
    assert (len(gained.shapes), len(lost.shapes)) == (1, 1)
    assert gained.colour != lost.colour


def test_a_change_question_shows_its_chart_and_map(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample_scene: Path
) -> None:
    for name, value in tiny_env(tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GEOMAG_APP_SCENE", str(sample_scene))
    at = AppTest.from_file(str(APP), default_timeout=300).run()
    at.chat_input[0].set_value("how has the water area changed since 2009?").run()
    assert not at.exception and [e.value for e in at.error] == []
    outcome = at.session_state["conversation.messages"][-1].outcome
    dates = [r.date[:4] for r in change_table(outcome.findings)]
    assert dates == ["2009", "2012", "2016", "2020"]
    assert any(e.label == "Change across dates" for e in at.expander)
    assert at.get("arrow_line_chart") or at.get("vega_lite_chart")
    assert any("gained in green" in c.value for c in at.caption)
