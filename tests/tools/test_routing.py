"""The routing step: each subject to the first active capability that can answer it here."""

from __future__ import annotations

from pathlib import Path

import pytest

from geomag_core.config import Settings
from geomag_core.temporal import DateQuestion
from tests.data.rasters import land_cover_rgbn, write_geotiff
from tools.capabilities import Route, active_capabilities, read, route
from tools.workbench import Workbench


def _route(profile: str, scene: Path, question: str, granularity: str = "pixel") -> Route:
    wb = Workbench(Settings(model_profile=profile, scenes_dir=scene.parent))
    return route(read(question, granularity), wb.scene(scene), active_capabilities(wb))


@pytest.fixture(scope="module")
def rgb_scene(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data, _ = land_cover_rgbn()
    return write_geotiff(tmp_path_factory.mktemp("rgb") / "rgb.tif", data[:3])


def _parts(decided: Route) -> list[tuple[str, list[str]]]:
    return [(p.capability, list(p.subjects)) for p in decided.parts]


def test_nano_profile_routes_each_subject_and_refuses_the_rest(
    sample_scene: Path, rgb_scene: Path
) -> None:
    assert _parts(_route("nano", sample_scene, "outline the water")) == [("spectral", ["water"])]
    mixed = _route("nano", sample_scene, "count the aircraft, the ponds and the ships")
    assert _parts(mixed) == [("nano", ["aircraft"]), ("spectral", ["water"])]
    assert mixed.unknown == ("ships",)
    no_nir = _route("nano", rgb_scene, "outline the water")
    assert no_nir.parts == () and no_nir.unknown == ()
    assert "no near-infrared band" in no_nir.refused[0].why
    assert _route("nano", sample_scene, "describe this scene", "image").parts == ()


def test_change_questions_without_a_subject_measure_water_and_vegetation(
    sample_scene: Path, rgb_scene: Path
) -> None:
    decided = _route("nano", sample_scene, "what changed here since 2016?")
    assert _parts(decided) == [("spectral", ["water", "vegetation"])]
    assert decided.dates == DateQuestion(since=2016)
    on_rgb = _route("nano", rgb_scene, "what changed here since 2016?")
    assert on_rgb.parts == () and "no near-infrared band" in on_rgb.refused[0].why


def test_across_dates_only_capabilities_that_measure_take_part(sample_scene: Path) -> None:
    decided = _route("tiny", sample_scene, "how have the buildings changed since 2016?")
    assert decided.parts == ()
    assert "measures nothing comparable across dates" in decided.refused[0].why


def test_a_free_form_vlm_takes_what_no_specialist_can(sample_scene: Path, rgb_scene: Path) -> None:
    assert _parts(_route("tiny", sample_scene, "outline the fields")) == [("vlm", [])]
    assert _parts(_route("tiny", sample_scene, "outline the water")) == [("spectral", ["water"])]
    fallback = _route("tiny", rgb_scene, "outline the water")
    assert _parts(fallback) == [("vlm", [])] and "cannot here" in fallback.parts[0].why


def test_no_layer_outside_configuration_tests_the_profile_name() -> None:
    root = Path(__file__).resolve().parents[2]
    allowed = {"geomag_core/config.py", "geomag_core/profiles.py", "geomag_core/vlm/profiles.py"}
    offenders = []
    for package in ("agent", "tools", "ui", "geomag_core", "db"):
        for path in (root / package).rglob("*.py"):
            rel = path.relative_to(root).as_posix()
            text = path.read_text(encoding="utf-8")
            if rel not in allowed and ("profile ==" in text or "profile !=" in text):
                offenders.append(rel)
    assert offenders == []
