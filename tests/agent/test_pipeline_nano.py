"""The pipeline on the nano profile: heat map → windows → native masks → stored instances."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import text

from agent.answers import NANO_LIMITS
from agent.session import Session
from geomag_core.config import Settings
from geomag_core.errors import ConfigError
from geomag_core.nano.classes import class_named
from tests.data.rasters import write_tiled_copy
from tools.events import StepEvent
from tools.looked_at import LookedAt
from tools.workbench import Workbench


def _workbench(tmp: Path, **overrides: Any) -> Workbench:
    settings = Settings(
        data_dir=tmp,
        model_profile="nano",
        database_url=f"sqlite:///{tmp / 'h.sqlite'}",
        **overrides,
    )
    return Workbench(settings)


@pytest.fixture(scope="module")
def workbench(tmp_path_factory: pytest.TempPathFactory) -> Workbench:
    return _workbench(tmp_path_factory.mktemp("nano"))


@pytest.fixture(scope="module")
def fine_workbench(tmp_path_factory: pytest.TempPathFactory) -> Workbench:
    """As if the sample's pixels were 0.5 m (``--gsd 0.5``): the aircraft search runs on it."""
    return _workbench(tmp_path_factory.mktemp("nano-fine"), gsd=0.5)


def _ask(wb: Workbench, scene: Path, question: str) -> tuple[dict[str, Any], list[Any]]:
    """Ask through the session API; the outcome and the events as the JSON edge gives them.

    Each event record also carries ``text``: the trail's line for it.
    """
    events: list[StepEvent] = []
    with Session(wb.settings, workbench=wb) as session:
        outcome = session.ask(scene, question, on_event=events.append)
    return outcome.as_dict(), [e.as_dict() | {"text": e.describe()} for e in events]


@pytest.fixture(scope="module")
def sample_mosaic(fine_workbench: Workbench, sample_scene: Path) -> Path:
    """The bundled sample tiled 2 × 2 (1,868 × 1,448 px), as if uploaded."""
    return write_tiled_copy(
        sample_scene, fine_workbench.settings.data_dir / "uploads" / "sample-2x2.tif"
    )


def test_a_scene_the_overview_cannot_save_pixels_on_is_read_whole(
    fine_workbench: Workbench, sample_scene: Path
) -> None:
    # 934 × 724 px: reading it all looks at 0.68 MP, less than the 1,024-px overview would.
    final, events = _ask(fine_workbench, sample_scene, "segment the aircraft")
    assert not [e for e in events if e["event"] == "zoom"]  # no window: one read of it all
    (search_event,) = [e for e in events if e["event"] == "search"]
    assert "0.7 MP, no more than the overview would: segmented whole" in search_event["decision"]
    assert final["budget"]["searched_fraction"] == 1.0
    aircraft, spread = class_named("aircraft"), fine_workbench.nano.outline_scale("aircraft").spread
    masks = [r for r in final["results"] if r["kind"] == "mask"]
    assert all(aircraft.plausible(tuple(r["pixel_box"]), 0.5, spread) for r in masks)


def test_segment_question_runs_windows_and_stores_instances(
    fine_workbench: Workbench, sample_mosaic: Path
) -> None:
    final, events = _ask(fine_workbench, sample_mosaic, "segment the aircraft")
    assert final["granularity"] == "pixel"
    zooms = [e for e in events if e["event"] == "zoom"]
    assert zooms and all(z["source"] == "nano-attention" for z in zooms)
    assert all(z["label"] == "aircraft" for z in zooms)
    assert [(z["number"], z["planned"]) for z in zooms] == [
        (i, len(zooms)) for i in range(1, len(zooms) + 1)
    ]
    # Row-merged 117-px blocks (4 heat cells of 29 px: the 1,868-px mosaic seen at 1,024 px)
    # with 16 px of context, at most 16 % of the heat map's cell grid (the scene, rounded up
    # to whole cells) in all; overlapping neighbours are read as one window, no longer than
    # one look (1,024 px: aircraft are read as they are), for no more pixels.
    windows = [z["window"] for z in zooms]
    strip = 4 * 30 + 2 * 16
    assert all(y1 - y0 <= strip or max(x1 - x0, y1 - y0) <= 1024 for x0, y0, x1, y1 in windows)
    assert sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in windows) <= 0.16 * 1898 * 1478
    masks = [r for r in final["results"] if r["kind"] == "mask"]
    assert len(final["result_ids"]) == len(final["results"])
    assert all(r["label"] == "aircraft" and 0 <= r["confidence"] <= 1 for r in masks)
    (search,) = final["findings"]["nano"]["searches"]
    assert search["gsd_m"] == 0.5 and search["gsd_source"].startswith("GEOMAG_GSD")
    # Every reported instance has a possible aircraft size at 0.5 m (7–120 m = 14–240 px),
    # allowing the measured spread of the model's outlines.
    aircraft = class_named("aircraft")
    spread = fine_workbench.nano.outline_scale("aircraft").spread
    assert spread[0] < 1 < spread[1]
    for r in masks:
        assert aircraft.plausible(tuple(r["pixel_box"]), 0.5, spread)
    assert NANO_LIMITS not in final["answer"]  # a count is not followed by what nano cannot do
    assert "[tiny profile]" not in final["answer"]
    assert 0 < final["budget"]["searched_fraction"] <= 1
    # The trail says where native resolution was read and why (the auto search's decision).
    (search_event,) = [e for e in events if e["event"] == "search"]
    assert search_event["text"].startswith("Searching for aircraft: ")
    assert "native resolution" in search_event["decision"]
    assert search["decision"] == search_event["decision"]
    # Looked at: the overview (the views) plus each window's own native pixels, once each.
    views = final["budget"]["views"]["pixels"]
    assert views > 0 and all(z["read_pixels"] == _area(z["window"]) for z in zooms)
    assert all(z["heat_pixels"] == 0 for z in zooms)  # chosen on the one overview (the views)
    looked = LookedAt.from_dict(final["looked_at"])
    assert looked.pixels == views + sum(_area(w) for w in windows)
    # The trail names each window's own cost: what it read, not a heat map it never made.
    assert all("read " in z["text"] and "heat map of" not in z["text"] for z in zooms)


def _area(box: list[int]) -> int:
    return (box[2] - box[0]) * (box[3] - box[1])


def test_a_scene_coarser_than_training_is_read_magnified_and_the_answer_says_so(
    tmp_path: Path, sample_scene: Path
) -> None:
    final, events = _ask(_workbench(tmp_path, gsd=1.0), sample_scene, "segment the aircraft")
    (search,) = final["findings"]["nano"]["searches"]
    assert search["gsd_m"] == 1.0 and search["scale"] == pytest.approx(2.0)
    assert "Read magnified 2× so aircraft have the size GeoMag-nano learned" in final["answer"]
    assert "the scene is 1 m per pixel" in final["answer"]
    # the windows are still in scene pixels: magnifying is inside the look, not the trail
    zooms = [e for e in events if e["event"] == "zoom"]
    assert zooms and all(0 <= z["window"][0] < z["window"][2] <= 934 for z in zooms)


def test_aircraft_on_the_naip_sample_are_reported_as_unseeable(
    workbench: Workbench, sample_scene: Path
) -> None:
    final, events = _ask(workbench, sample_scene, "how many aircraft are there?")
    assert not [r for r in final["results"] if r["kind"] == "mask"]
    assert final["result_ids"] == [] or all(r["kind"] != "mask" for r in final["results"])
    # nothing searched or segmented at 5 m
    assert not [e for e in events if e["event"] in ("zoom", "segmenting")]
    assert "too small for GeoMag-nano to see" in final["answer"]
    assert "5 m per pixel" in final["answer"]
    # no stray lines after it: the count's "Understood" with nothing to pick from
    assert "Understood: how many" not in final["answer"]
    assert "No result to pick from" not in final["answer"]


@pytest.mark.parametrize("question", ["segment all ships", "Outline the helipads, please"])
def test_classes_nano_does_not_know_are_said_first_and_nothing_is_stored(
    workbench: Workbench, sample_scene: Path, question: str
) -> None:
    final, _ = _ask(workbench, sample_scene, question)
    first = final["answer"].splitlines()[0]
    assert first.startswith("GeoMag-nano cannot detect ")
    assert first.endswith(
        "it knows aircraft, oil-storage tanks and cars. Nothing was searched "
        "or stored for this question."
    )
    assert not [r for r in final["results"] if r["kind"] == "mask"]
    assert "nothing found" not in final["answer"].lower()
    with workbench.engine.connect() as conn:
        stored = conn.execute(
            text("SELECT COUNT(*) FROM results WHERE query_id = :q"),
            {"q": final["query_id"]},
        ).scalar_one()
    assert stored == 0


def test_image_questions_say_they_need_a_vlm(workbench: Workbench, sample_scene: Path) -> None:
    final, _ = _ask(workbench, sample_scene, "is this area mostly rural or urban?")
    assert final["granularity"] == "image"
    assert "needs a full VLM" in final["answer"]
    # asked to describe the scene, nano says what it can measure instead of a caption
    described, _ = _ask(workbench, sample_scene, "describe this scene in a sentence")
    assert described["plan"]["operations"] == ["describe"]
    assert "Measured now (not stored): water " in described["answer"]
    assert "not a caption" in described["answer"]
    with pytest.raises(ConfigError, match="no VLM"):
        _ = workbench.vlm


def test_a_spent_time_budget_is_said_in_the_answer(tmp_path: Path, sample_scene: Path) -> None:
    wb = _workbench(tmp_path, gsd=0.5, question_budget_s=1e-6)
    final, _ = _ask(wb, sample_scene, "segment the aircraft")
    (search,) = final["findings"]["nano"]["searches"]
    assert search["out_of_time"] is True
    # the steps are the windows read, each numbered of those the search chose
    steps = final["zoom_steps"]
    assert all(step["number"] <= step["planned"] for step in steps)
    assert "time budget (GEOMAG_QUESTION_BUDGET_S) ran out" in final["answer"]


def test_a_jpeg_with_a_world_file_is_searched_at_its_scale_and_the_answer_says_so(
    tmp_path: Path,
) -> None:
    from PIL import Image

    jpeg = tmp_path / "scenes" / "apron.jpg"
    jpeg.parent.mkdir()
    Image.fromarray(np.full((300, 400, 3), 120, dtype=np.uint8)).save(jpeg)
    jpeg.with_suffix(".jgw").write_text("0.45\n0\n0\n-0.45\n0.225\n134.775\n")
    wb = _workbench(tmp_path, scene_files=(jpeg,))
    final, _ = _ask(wb, jpeg, "how many aircraft are there?")
    (search,) = final["findings"]["nano"]["searches"]
    assert search["gsd_m"] == pytest.approx(0.45)
    assert search["gsd_source"].startswith("the scene's world file")
    assert "Scale: 0.45 m per pixel (the scene's world file" in final["answer"]


#: Training airport 074737f4: the shipped weights outline 5 elongated "tanks" there (looked at:
#: curved road ramps, the edge of a round terminal, a domed structure).
AIRPORT_WITH_ELONGATED_TANKS = 4


def test_elongated_tanks_on_an_airport_are_refused_for_their_shape_and_the_answer_says_so(
    tmp_path: Path, shared_data: Path
) -> None:
    """A training airport (no CRS: read at the tanks' 1.2 m), asked for tanks.

    The candidates more elongated than a tank are counted in the answer, never stored.
    """
    from geomag_core.nano.datasets import load_scenes

    airport = load_scenes(shared_data, "aircraft", "train")[AIRPORT_WITH_ELONGATED_TANKS].path
    wb = _workbench(tmp_path, scene_files=(airport,))
    final, _ = _ask(wb, airport, "how many oil storage tanks are there?")
    (search,) = final["findings"]["nano"]["searches"]
    assert search["label"] == "oil-storage tank"
    limit = wb.nano.outline_scale("oil-storage tank").elongation
    assert limit is not None and search["elongation"] == pytest.approx(limit)
    assert search["misshapen"] > 0
    said = f"{search['misshapen']} more candidate(s) of a possible size were not reported"
    assert said in final["answer"]
    assert f"at most {limit:.2g}× as long as wide" in final["answer"]
    masks = [r for r in final["results"] if r["kind"] == "mask"]
    assert len(masks) == search["count"]  # what was refused is not stored
