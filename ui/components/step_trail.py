"""The live step trail: each agent step in an ``st.status``, zoom windows drawn on thumbnails."""

from __future__ import annotations

import time
from collections.abc import Sequence

import streamlit as st

from geomag_core.psc.heatmap import HeatMap
from geomag_core.psc.zoom import ZoomStep
from geomag_core.scene import Scene
from tools.events import Done, StepEvent, Zoomed
from ui.services.overlays import draw_zoom_step

__all__ = ["NEXT_STEP", "SHOWN_ZOOMS", "StepTrail", "running_label", "step_caption", "zoom_drawer"]

#: Zoom windows shown with a thumbnail in the live trail (and per row in the drawer).
SHOWN_ZOOMS = 4


#: What the agent does after each step event, shown as the running step until the next one.
NEXT_STEP = {
    "scene": "reading the question",
    "plan": "reading the stored results",
    "classified": "choosing how to answer",
    "vocabulary": "choosing how to answer",
    "route": "looking at the scene: heat map and windows",
    "search": "reading the chosen windows at native resolution",
    "zoom": "looking at the scene: heat map and windows",
    "views": "asking the model about the views",
    "answer": "decoding masks",
    "segmenting": "segmenting and vectorising",
    "spectral": "measuring",
    "dates": "measuring each date",
    "date": "measuring each date",
    "stored": "writing the answer",
}


def running_label(
    events: Sequence[StepEvent], elapsed_s: float, planned_windows: int | None = None
) -> str:
    """The status label while the agent works: the running step, time so far, windows."""
    now = NEXT_STEP.get(events[-1].kind, "working") if events else "opening the scene"
    label = f"Running: {now}… {elapsed_s:.1f} s"
    windows = sum(1 for e in events if isinstance(e, Zoomed))
    if planned_windows:
        label += f" · windows {windows}/{planned_windows}"
    elif windows:
        label += f" · {windows} window(s) so far"
    return label


class StepTrail:
    """Receives step events while the agent works and shows them inside one ``st.status``.

    Every finished step is a ✓ line with the seconds it took; the status label names the step
    running now, the time so far and the zoom windows done (of those planned, when the zoom
    events say how many with ``planned``: one count per search, so a question about aircraft
    and cars plans the windows of both).
    """

    def __init__(self, scene: Scene | None) -> None:
        self.scene = scene
        self.events: list[StepEvent] = []
        self.started = time.monotonic()
        self._last = self.started
        self._planned: dict[str, int | None] = {}
        self.status = st.status(running_label([], 0.0), expanded=True, state="running")

    @property
    def planned(self) -> int | None:
        """Windows planned over every search so far; ``None`` when any search did not say."""
        counts = list(self._planned.values())
        if not counts or any(c is None for c in counts):
            return None
        return sum(c for c in counts if c is not None)

    def __call__(self, event: StepEvent) -> None:
        """Show one step event."""
        now = time.monotonic()
        took, self._last = now - self._last, now
        self.events.append(event)
        if isinstance(event, Done):
            return
        if isinstance(event, Zoomed):
            planned = event.step.planned
            self._planned[str(event.step.label or "")] = planned or None
        zooms = sum(1 for e in self.events if isinstance(e, Zoomed))
        self.status.update(label=running_label(self.events, now - self.started, self.planned))
        # Write through the container, never ``with self.status:``: leaving that block marks
        # a running status complete (✓) while the agent is still working.
        box = self.status
        if isinstance(event, Zoomed) and zooms > SHOWN_ZOOMS:
            if zooms == SHOWN_ZOOMS + 1:  # nano searches many small blocks: say so once
                box.markdown("- … more windows: all are drawn on the answer's scene image")
            return
        box.markdown(f"- ✓ {event.describe()} · {took:.1f} s")
        if isinstance(event, Zoomed) and self.scene is not None:
            box.image(draw_zoom_step(self.scene, event.step), width=180)

    def finish(self, ok: bool) -> None:
        """Close the status as complete or failed, with the total time."""
        steps = sum(1 for e in self.events if not isinstance(e, Done))
        elapsed = time.monotonic() - self.started
        if ok:
            self.status.update(
                label=f"Answered in {steps} steps, {elapsed:.1f} s",
                state="complete",
                expanded=False,
            )
        else:
            self.status.update(
                label=f"The question failed after {elapsed:.1f} s", state="error", expanded=False
            )


def step_caption(step: ZoomStep) -> str:
    """One zoom window's caption: depth, window, score and what it cost.

    A heat-map step says the view it cost; a window nano read says its native pixels (it was
    chosen on the one overview heat map, counted with the views). Windows rebuilt from the
    database carry no cost.
    """
    head = f"depth {step.depth} · {list(step.window.as_tuple())} · score {step.score:.2f}"
    if step.source == "stored":
        return head
    if step.heat_pixels > 0:
        return f"{head} · heat map of {step.heat_pixels:,} px, {step.heat_tokens:,} tokens"
    if step.read_pixels > 0:
        return f"{head} · read {step.read_pixels:,} px at native resolution"
    return f"{head} · chosen on the heat map above (no extra pixels)"


def zoom_drawer(
    scene: Scene,
    zoom_steps: Sequence[ZoomStep],
    heat: dict[tuple[int, ...], HeatMap] | None = None,
    opacity: float = 0.5,
) -> None:
    """Every zoom window of an answer on its own thumbnail, side by side.

    ``heat`` (by looked-at box) lays each step's PSC heat map under its window.
    """
    if not zoom_steps:
        st.caption("No zoom: the question was answered from the whole scene.")
        return
    shown = zoom_steps[: 2 * SHOWN_ZOOMS]
    for start in range(0, len(shown), SHOWN_ZOOMS):
        row = shown[start : start + SHOWN_ZOOMS]
        for column, step in zip(st.columns(SHOWN_ZOOMS), row, strict=False):
            with column:
                h = (heat or {}).get(step.looked_at.as_tuple())
                st.image(draw_zoom_step(scene, step, heat=h, opacity=opacity), width="stretch")
                st.caption(step_caption(step))
    if len(zoom_steps) > len(shown):
        st.caption(
            f"{len(zoom_steps) - len(shown)} more windows, not shown here: every window is "
            "drawn on the scene overlay."
        )
