"""Exports of the selection and the accept/reject verdict on one result."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path

import streamlit as st
from sqlalchemy import Engine

from db.enums import Verdict
from db.export import ExportFormat
from db.history import ResultRecord
from geomag_core.errors import GeoMagError
from geomag_core.scene import Scene
from ui.services.errors import readable_error
from ui.services.history import EXPORT_MIME, correct, export_bytes, judge
from ui.services.overlays import draw_result_crop

__all__ = ["export_buttons", "verdict_form"]


def export_buttons(records: Sequence[ResultRecord]) -> None:
    """GeoJSON, GeoPackage and CSV downloads of ``records`` (written when clicked)."""
    columns = st.columns(len(ExportFormat))
    for column, fmt in zip(columns, ExportFormat, strict=True):
        column.download_button(
            f"Export {fmt.value.upper()}",
            data=functools.partial(export_bytes, records, fmt),
            file_name=f"geomag-results.{fmt.value}",
            mime=EXPORT_MIME[fmt],
            key=f"result_actions.export.{fmt.value}",
            icon=":material/download:",
            disabled=not records,
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
    WKT in WGS84 degrees, prefilled with the stored one (scenes with a CRS only: the database
    keeps corrected shapes in WGS84).
    """
    if not records:
        return
    by_id = {r.result_id: r for r in records}
    rid = st.selectbox("Result", list(by_id), key="result_actions.result")
    record = by_id[int(rid)]
    _preview(record, open_scene)
    with st.form("result_actions.verdict"):
        note = st.text_input("Note (optional)", key="result_actions.note")
        outline = ""
        if record.geometry is not None:
            outline = st.text_area(
                "Corrected outline (WKT, WGS84 lon lat): edit, then Correct",
                value=record.geometry.wkt,
                key=f"result_actions.outline.{record.result_id}",
                height=90,
            )
        accept, reject, fix, _ = st.columns([1, 1, 1, 3])
        accepted = accept.form_submit_button("Accept", icon=":material/check:")
        rejected = reject.form_submit_button("Reject", icon=":material/close:")
        corrected = fix.form_submit_button(
            "Correct", icon=":material/edit:", disabled=record.geometry is None
        )
    if not (accepted or rejected or corrected):
        return
    try:
        if corrected:
            fid, what = correct(engine, record.result_id, outline, note), "correction"
        else:
            verdict = Verdict.ACCEPT if accepted else Verdict.REJECT
            fid, what = judge(engine, record.result_id, verdict, note), verdict.value
    except GeoMagError as exc:
        st.error(readable_error(exc))
    else:
        st.success(f"Stored {what} of result #{record.result_id} (feedback #{fid}).")
