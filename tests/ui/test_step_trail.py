"""The live step trail keeps a nano search's many windows readable."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _trail_with_ten_windows() -> None:
    from ui.components.step_trail import StepTrail

    trail = StepTrail(None)
    for i in range(10):
        trail(
            {
                "event": "zoom",
                "depth": 1,
                "looked_at": [0, 0, 1000, 1000],
                "window": [100 * i, 0, 100 * i + 120, 120],
                "score": 2.0,
                "pixels": 0,
                "tokens": 0,
                "rank": i,
            }
        )
    trail({"event": "segmenting", "box": [0, 0, 1000, 1000]})


def test_the_trail_lists_four_windows_and_says_there_are_more() -> None:
    at = AppTest.from_function(_trail_with_ten_windows).run()
    assert not at.exception
    texts = [m.value for m in at.markdown]
    assert sum("Zoom 1" in t for t in texts) == 4
    assert sum("more windows" in t for t in texts) == 1
    assert any("Segmenting" in t for t in texts)


def test_window_captions_say_what_each_window_cost() -> None:
    from ui.components.step_trail import step_caption

    step = {"depth": 1, "window": [0, 0, 64, 64], "score": 1.5, "pixels": 4096, "tokens": 16}
    assert step_caption(step).endswith("heat map of 4,096 px, 16 tokens")
    later = step | {"pixels": 0, "tokens": 0}
    assert "0 px" not in step_caption(later) and "no extra pixels" in step_caption(later)
    stored = {k: v for k, v in step.items() if k not in ("pixels", "tokens")}
    assert step_caption(stored) == "depth 1 · [0, 0, 64, 64] · score 1.50"


def _trail_still_running() -> None:
    from ui.components.step_trail import StepTrail

    trail = StepTrail(None)
    trail({"event": "scene", "width": 100, "height": 80, "crs": None})
    trail(
        {"event": "zoom", "depth": 1, "looked_at": [0, 0, 100, 80], "window": [0, 0, 50, 40],
         "score": 2.0, "pixels": 100, "tokens": 4, "rank": 0, "planned": 3}
    )  # fmt: skip


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
    zoom = {"event": "zoom"}
    assert running_label([zoom, zoom], 2.25).endswith("2.2 s · 2 window(s) so far")
    stored = running_label([zoom, {"event": "stored"}], 5.0, planned_windows=4)
    assert stored == "Running: writing the answer… 5.0 s · windows 1/4"


def _trail_of_two_searches() -> None:
    from ui.components.step_trail import StepTrail

    trail = StepTrail(None)
    for label, planned in (("aircraft", 2), ("car", 3)):
        for number in range(1, planned + 1):
            trail(
                {"event": "zoom", "depth": 1, "looked_at": [0, 0, 100, 80],
                 "window": [0, 0, 50, 40], "score": 2.0, "pixels": 0, "tokens": 0,
                 "rank": number - 1, "label": label, "number": number, "planned": planned}
            )  # fmt: skip
            if (label, number) == ("aircraft", 2):
                trail({"event": "segmenting", "box": [0, 0, 100, 80], "label": label})


def test_windows_done_of_planned_add_up_over_searches() -> None:
    at = AppTest.from_function(_trail_of_two_searches).run()
    assert not at.exception
    (status,) = at.status
    assert status.label.endswith(" s · windows 5/5")
    lines = [m.value for m in at.markdown]
    assert any("Zoom 1 (window 1/2)" in t for t in lines)
    assert any("Zoom 1 (window 2/3)" in t for t in lines)
