"""The history filter form. Owns ``history_filters.*`` keys."""

from __future__ import annotations

import streamlit as st

from ui.services.history import HistoryForm

__all__ = ["history_filters"]

_K = "history_filters."


def history_filters() -> HistoryForm:
    """The filters as typed (applied when the form is submitted; blank matches everything)."""
    with st.form(_K + "form"):
        a, b, c = st.columns(3)
        label = a.text_input("Label(s)", key=_K + "label", placeholder="field, aircraft")
        scene = b.text_input(
            "Scene (file name or its start, path, or SHA-256 prefix)", key=_K + "scene"
        )
        bbox = c.text_input(
            "Bounding box (W,S,E,N degrees)", key=_K + "bbox", placeholder="-99.3,46.9,-99.1,47.1"
        )
        d, e, f = st.columns(3)
        since = d.date_input("Asked on or after", value=None, key=_K + "since")
        until = e.date_input("Asked on or before", value=None, key=_K + "until")
        confidence = f.slider("Minimum confidence", 0.0, 1.0, 0.0, 0.05, key=_K + "confidence")
        distinct = st.toggle(
            "Distinct objects",
            key=_K + "distinct",
            help="Results of one scene and label that overlap (IoU ≥ 0.5) are one object: "
            "shown once, with how many queries found it and its best confidence.",
        )
        include_rejected = st.toggle(
            "Include rejected results",
            key=_K + "rejected",
            help="Results you rejected are left out of the table, the map and the exports.",
        )
        st.form_submit_button("Apply filters", icon=":material/search:")
    return HistoryForm(
        label=label,
        scene=scene,
        since=since,
        until=until,
        min_confidence=confidence,
        bbox=bbox,
        distinct=distinct,
        include_rejected=include_rejected,
    )
