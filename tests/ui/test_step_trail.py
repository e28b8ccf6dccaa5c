"""The live step trail keeps a nano search's many windows readable."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from geomag_core.boxes import PixelBox
from geomag_core.psc.zoom import ZoomStep
from tools.events import Stored, Zoomed


def _trail_with_ten_windows() -> None:
    from geomag_core.boxes import PixelBox
    from geomag_core.psc.zoom import ZoomStep
    from tools.events import Segmenting, Zoomed
    from ui.components.step_trail import StepTrail

    trail = StepTrail(None)
    for i in range(10):
        step = ZoomStep(
            depth=1,
            looked_at=PixelBox(0, 0, 1000, 1000),
            window=PixelBox(100 * i, 0, 100 * i + 120, 120),
            score=2.0,
            heat_coverage=0.1,
            heat_pixels=0,
            heat_tokens=0,
            source="nano-attention",
            read_pixels=120 * 120,
            rank=i,
        )
        trail(Zoomed(step))
    trail(Segmenting(box=(0, 0, 1000, 1000)))


def test_the_trail_lists_four_windows_and_says_there_are_more() -> None:
    at = AppTest.from_function(_trail_with_ten_windows).run()
    assert not at.exception
    texts = [m.value for m in at.markdown]
    assert sum("Zoom 1" in t for t in texts) == 4
    assert sum("more windows" in t for t in texts) == 1
    assert any("Segmenting" in t for t in texts)


def _step(**fields: object) -> ZoomStep:
    base: dict[str, object] = {
        "depth": 1,
        "looked_at": PixelBox(0, 0, 100, 80),
        "window": PixelBox(0, 0, 64, 64),
        "score": 1.5,
        "heat_coverage": 0.2,
        "heat_pixels": 0,
        "heat_tokens": 0,
        "source": "vlm-attention",
    }
    return ZoomStep(**(base | fields))  # type: ignore[arg-type]


def test_window_captions_say_what_each_window_cost() -> None:
    from ui.components.step_trail import step_caption

    heat = _step(heat_pixels=4096, heat_tokens=16)
    assert step_caption(heat).endswith("heat map of 4,096 px, 16 tokens")
    read = _step(read_pixels=4096, read_tokens=16)
    assert step_caption(read).endswith("read 4,096 px at native resolution")
    shared = _step()
    assert "0 px" not in step_caption(shared) and "no extra pixels" in step_caption(shared)
    stored = _step(source="stored")
    assert step_caption(stored) == "depth 1 · [0, 0, 64, 64] · score 1.50"


def _trail_still_running() -> None:
    from geomag_core.boxes import PixelBox
    from geomag_core.psc.zoom import ZoomStep
    from tools.events import SceneOpened, Zoomed
    from ui.components.step_trail import StepTrail

    trail = StepTrail(None)
    trail(SceneOpened(path="x.tif", width=100, height=80, crs=None))
    step = ZoomStep(1, PixelBox(0, 0, 100, 80), PixelBox(0, 0, 50, 40), 2.0, 0.3, 100, 4, "x")
    trail(Zoomed(step.__class__(**{**vars(step), "planned": 3, "number": 1})))


def test_a_running_step_is_shown_as_running_with_time_and_windows() -> None:
    at = AppTest.from_function(_trail_still_running).run()
    assert not at.exception
    (status,) = at.status
    assert status.proto.state != status.proto.COMPLETE  # not ✓ while work goes on
    assert status.label.startswith("Running: looking at the scene: heat map and windows… ")
    assert status.label.endswith(" s · windows 1/3")
    done = [m.value for m in at.markdown if m.value.startswith("- ✓")]
    assert len(done) == 2 and done[0].startswith("- ✓ Opened the scene")


def test_running_label_without_a_plan_counts_windows() -> None:
    from ui.components.step_trail import running_label

    assert running_label([], 0.0) == "Running: opening the scene… 0.0 s"
    zoom = Zoomed(_step())
    assert running_label([zoom, zoom], 2.25).endswith("2.2 s · 2 window(s) so far")
    stored = running_label([zoom, Stored(query_id=1, results=0)], 5.0, planned_windows=4)
    assert stored == "Running: writing the answer… 5.0 s · windows 1/4"


def _trail_of_two_searches() -> None:
    from geomag_core.boxes import PixelBox
    from geomag_core.psc.zoom import ZoomStep
    from tools.events import Segmenting, Zoomed
    from ui.components.step_trail import StepTrail

    trail = StepTrail(None)
    for label, planned in (("aircraft", 2), ("car", 3)):
        for number in range(1, planned + 1):
            step = ZoomStep(
                1, PixelBox(0, 0, 100, 80), PixelBox(0, 0, 50, 40), 2.0, 0.3, 0, 0, "x",
                read_pixels=2000, rank=number - 1, label=label, number=number, planned=planned,
            )  # fmt: skip
            trail(Zoomed(step))
            if (label, number) == ("aircraft", 2):
                trail(Segmenting(box=(0, 0, 100, 80), label=label))


def test_windows_done_of_planned_add_up_over_searches() -> None:
    at = AppTest.from_function(_trail_of_two_searches).run()
    assert not at.exception
    (status,) = at.status
    assert status.label.endswith(" s · windows 5/5")
    lines = [m.value for m in at.markdown]
    assert any("Zoom 1 (window 1/2)" in t for t in lines)
    assert any("Zoom 1 (window 2/3)" in t for t in lines)
