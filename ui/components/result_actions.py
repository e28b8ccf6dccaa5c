"""Exports of the selection, the verdict on one result, and adding an object the tool missed."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path

import streamlit as st
from PIL import Image
from sqlalchemy import Engine

from db.enums import Verdict
from db.export import ExportFormat, in_pixel_frame
from db.history import ResultRecord
from geomag_core.errors import GeoMagError
from geomag_core.scene import Scene
from ui.services.box_drawing import BRUSH, box_chart, box_text, selected_box
from ui.services.errors import readable_error
from ui.services.history import (
    EXPORT_MIME,
    add_missed,
    correct,
    correction_text,
    export_bytes,
    judge,
)
from ui.services.overlays import draw_result_crop

__all__ = ["add_object_form", "draw_box", "export_buttons", "verdict_form"]


def export_buttons(records: Sequence[ResultRecord]) -> None:
    """GeoJSON, GeoPackage and CSV downloads of ``records`` (written when clicked).

    Results of scenes without a CRS have no place on the map: they get a GeoJSON of their own
    in the pixel frame, a GeoPackage whose ``results_pixels`` layer has no CRS (the full
    GeoPackage export has that layer too).
    """
    unmapped = sum(in_pixel_frame(r) for r in records)
    columns = st.columns(len(ExportFormat) + (1 if unmapped else 0))
    for column, fmt in zip(columns, ExportFormat, strict=False):
        column.download_button(
            f"Export {fmt.value.upper()}",
            data=functools.partial(export_bytes, records, fmt),
            file_name=f"geomag-results.{fmt.value}",
            mime=EXPORT_MIME[fmt],
            key=f"result_actions.export.{fmt.value}",
            icon=":material/download:",
            disabled=not records,
        )
    if unmapped:
        columns[-1].download_button(
            "Export pixel frame",
            data=functools.partial(export_bytes, records, ExportFormat.GEOJSON, pixel_frame=True),
            file_name="geomag-results.pixels.gpkg",
            mime=EXPORT_MIME[ExportFormat.GPKG],
            key="result_actions.export.pixels",
            icon=":material/download:",
            help=f"{unmapped} result(s) of scenes without a CRS, placed on their image as QGIS "
            "places a raster without a CRS (x = column, y = −row), as a GeoPackage; they are "
            "not in the GeoJSON or CSV, which are in WGS84",
        )


def _preview(record: ResultRecord, open_scene: Callable[[str], Scene] | None) -> None:
    """The result being judged: its crop at native resolution with the outline, and its facts."""
    facts = f"#{record.result_id} {record.label or record.kind} · confidence " + (
        f"{record.confidence:.2f}" if record.confidence is not None else "–"
    )
    image = None
    if open_scene is not None:
        try:
            image = draw_result_crop(
                open_scene(record.scene_uri),
                record.outline_px,
                record.pixel_box.as_tuple() if record.pixel_box else None,
            )
        except GeoMagError as exc:
            st.caption(f"The scene cannot be shown: {readable_error(exc)}")
    if image is not None:
        st.image(image, caption=f"{facts} · {Path(record.scene_uri).name}", width=320)
    else:
        st.caption(f"{facts} (no shape to show: a text answer)")


def verdict_form(
    engine: Engine,
    records: Sequence[ResultRecord],
    open_scene: Callable[[str], Scene] | None = None,
) -> None:
    """Accept, reject or correct one of ``records``, seen first; the verdict is stored as feedback.

    ``open_scene`` opens a record's scene for the preview crop. A correction is the outline as
    WKT, prefilled with the stored one: in WGS84 lon/lat on a scene with a CRS, in the scene's
    pixels (x = column, y = row) on one without. Each result has a form of its own that starts
    empty and is cleared once stored, so a note never carries over to the next result.
    """
    if not records:
        return
    by_id = {r.result_id: r for r in records}
    rid = st.selectbox("Result", list(by_id), key="result_actions.result")
    record = by_id[int(rid)]
    _preview(record, open_scene)
    if record.verdict is not None or record.added:
        st.caption(f"Latest verdict: {'added by the analyst' if record.added else record.verdict}")
    with st.form(f"result_actions.verdict.{record.result_id}", clear_on_submit=True):
        note = st.text_input("Note (optional)", key=f"result_actions.note.{record.result_id}")
        outline = ""
        if record.outline_px is not None:
            label, start = correction_text(record)
            outline = st.text_area(
                f"{label}: edit, then Correct",
                value=start,
                key=f"result_actions.outline.{record.result_id}",
                height=90,
            )
        accept, reject, fix, _ = st.columns([1, 1, 1, 3])
        accepted = accept.form_submit_button("Accept", icon=":material/check:")
        rejected = reject.form_submit_button("Reject", icon=":material/close:")
        corrected = fix.form_submit_button(
            "Correct", icon=":material/edit:", disabled=record.outline_px is None
        )
    if not (accepted or rejected or corrected):
        return
    try:
        if corrected:
            fid, what = correct(engine, record, outline, note), "correction"
        else:
            verdict = Verdict.ACCEPT if accepted else Verdict.REJECT
            fid, what = judge(engine, record.result_id, verdict, note), verdict.value
    except GeoMagError as exc:
        st.error(readable_error(exc))
    else:
        left = " It is left out of history, exports and follow-ups from now on." if rejected else ""
        st.success(f"Stored {what} of result #{record.result_id} (feedback #{fid}).{left}")


def draw_box(picture: Image.Image, size: tuple[int, int], key: str) -> None:
    """The scene as a chart the analyst drags a box on; a new box fills the add form's field.

    ``key`` is the :func:`add_object_form`'s key whose *Box in scene pixels* it fills.
    """
    st.caption(
        "Drag a box around an object GeoMag missed: it fills *Box in scene pixels* below "
        "(double-click clears it)."
    )
    event = st.altair_chart(
        box_chart(picture, size),
        on_select="rerun",
        selection_mode=BRUSH,
        key=f"{key}.draw",
        width="content",  # the picture is drawn at the chart's size: never stretch the axes
    )
    drawn = selected_box(event.get("selection") if event else None, size)
    if drawn is not None and st.session_state.get(f"{key}.drawn") != drawn:
        st.session_state[f"{key}.drawn"] = drawn  # once per drag: the form may clear it after
        st.session_state[f"{key}.box"] = box_text(drawn)


def add_object_form(engine: Engine, scenes: dict[str, str], key: str) -> None:
    """Add an object the tool missed on one of ``scenes`` (content hash → name): a pixel box.

    The box is typed, or dragged with the mouse on the scene (:func:`draw_box`, same ``key``).
    Stored as analyst-added (``origin`` analyst) with an accept and the note as provenance.
    """
    if not scenes:
        return
    if done := st.session_state.pop(f"{key}.done", None):  # said after the rerun that draws it
        st.success(done)
    with st.form(f"{key}.add", clear_on_submit=True):
        st.markdown("**Add an object GeoMag missed**")
        a, b, c = st.columns([2, 1, 2])
        sha = a.selectbox("Scene", list(scenes), format_func=scenes.__getitem__, key=f"{key}.scene")
        label = b.text_input("Label", key=f"{key}.label", placeholder="aircraft")
        box_text = c.text_input(
            "Box in scene pixels x0,y0,x1,y1", key=f"{key}.box", placeholder="120,40,180,96"
        )
        note = st.text_input("Note (optional)", key=f"{key}.note")
        added = st.form_submit_button("Add object", icon=":material/add_box:")
    if not added:
        return
    try:
        rid = add_missed(engine, str(sha), label, box_text, note)
    except GeoMagError as exc:
        st.error(readable_error(exc))
    else:  # run again, so what is drawn above the form (the scene, the table) shows it
        name = scenes[str(sha)]
        st.session_state[f"{key}.done"] = (
            f"Added result #{rid}: {label.strip()} on {name} (by the analyst)."
        )
        st.rerun()
