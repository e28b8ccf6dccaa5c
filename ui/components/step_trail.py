"""The live step trail: each agent step in an ``st.status``, zoom windows drawn on thumbnails."""

from __future__ import annotations

from typing import Any

import streamlit as st

from agent.events import describe
from geomag_core.scene import Scene
from ui.services.overlays import draw_zoom_step

__all__ = ["SHOWN_ZOOMS", "StepTrail", "step_caption", "zoom_drawer"]

#: Zoom windows shown with a thumbnail in the live trail (and per row in the drawer).
SHOWN_ZOOMS = 4


class StepTrail:
    """Receives step events while the agent works and shows them inside one ``st.status``."""

    def __init__(self, scene: Scene | None) -> None:
        self.scene = scene
        self.events: list[dict[str, Any]] = []
        self.status = st.status("Looking at the scene…", expanded=True)

    def __call__(self, event: dict[str, Any]) -> None:
        """Show one step event."""
        self.events.append(event)
        if event["event"] == "done":
            return
        zooms = sum(1 for e in self.events if e["event"] == "zoom")
        with self.status:
            if event["event"] == "zoom" and zooms > SHOWN_ZOOMS:
                if zooms == SHOWN_ZOOMS + 1:  # nano searches many small blocks: say so once
                    st.markdown("- … more windows: all are drawn on the answer's scene image")
                return
            st.markdown(f"- {describe(event)}")
            if event["event"] == "zoom" and self.scene is not None:
                st.image(draw_zoom_step(self.scene, event), width=180)

    def finish(self, ok: bool) -> None:
        """Close the status as complete or failed."""
        steps = sum(1 for e in self.events if e["event"] != "done")
        if ok:
            self.status.update(label=f"Answered in {steps} steps", state="complete", expanded=False)
        else:
            self.status.update(label="The question failed", state="error", expanded=False)


def step_caption(step: dict[str, Any]) -> str:
    """One zoom window's caption: depth, window, score and the heat-map view it cost.

    Nano reads one heat map for all its windows, so only the first window carries pixels; the
    others say so rather than "0 px". Windows rebuilt from the database carry no cost.
    """
    head = f"depth {step['depth']} · {step['window']} · score {step['score']:.2f}"
    if "pixels" not in step:
        return head
    if int(step["pixels"]) > 0:
        return f"{head} · heat map of {step['pixels']:,} px, {step['tokens']:,} tokens"
    return f"{head} · chosen on the heat map above (no extra pixels)"


def zoom_drawer(scene: Scene, zoom_steps: list[dict[str, Any]]) -> None:
    """Every zoom window of an answer on its own thumbnail, side by side."""
    if not zoom_steps:
        st.caption("No zoom: the question was answered from the whole scene.")
        return
    shown = zoom_steps[: 2 * SHOWN_ZOOMS]
    for start in range(0, len(shown), SHOWN_ZOOMS):
        row = shown[start : start + SHOWN_ZOOMS]
        for column, step in zip(st.columns(SHOWN_ZOOMS), row, strict=False):
            with column:
                st.image(draw_zoom_step(scene, step), width="stretch")
                st.caption(step_caption(step))
    if len(zoom_steps) > len(shown):
        st.caption(
            f"{len(zoom_steps) - len(shown)} more windows, not shown here: every window is "
            "drawn on the scene overlay."
        )
