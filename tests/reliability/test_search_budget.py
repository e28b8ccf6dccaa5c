"""Issue 15 case 2: nano's native search stops when its time budget is spent, and says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from geomag_core.config import Settings
from geomag_core.nano.classes import NANO_CLASSES
from geomag_core.nano.predictor import NanoModel
from geomag_core.nano.search import BlockSearch, search_scene
from geomag_core.scene import Scene
from tests.data.rasters import write_tiled_copy


@pytest.fixture(scope="module")
def model() -> NanoModel:
    return NanoModel.load(None, device="cpu")  # the shipped weights: real heat, real windows


def test_a_spent_budget_reads_fewer_windows_and_reports_only_those(
    model: NanoModel, sample_scene: Path, tmp_path: Path
) -> None:
    # The sample tiled 2 × 2: the 934-px sample alone is read whole, in one window.
    scene = Scene(write_tiled_copy(sample_scene, tmp_path / "sample-2x2.tif"))
    aircraft = next(c for c in NANO_CLASSES if c.name == "aircraft")
    # max_fraction 0.4: many windows, so the budget is what stops the search
    full = search_scene(model, scene, aircraft, gsd_m=0.5, search=BlockSearch(max_fraction=0.4))
    short = search_scene(
        model, scene, aircraft, gsd_m=0.5, search=BlockSearch(max_fraction=0.4, time_budget_s=1e-3)
    )
    assert len(full.windows) > 1 and not full.out_of_time
    assert short.out_of_time and len(short.windows) == 1  # the hottest window, then stop
    assert short.windows[0] == full.windows[0]
    assert short.native_pixels == short.windows[0][1].area
    assert short.searched_fraction < full.searched_fraction  # the share stays truthful


def test_the_budget_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().question_budget_s == 120.0
    monkeypatch.setenv("GEOMAG_QUESTION_BUDGET_S", "7.5")
    assert Settings().question_budget_s == 7.5
