"""Exports of the selection and the accept/reject verdict on one result."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import streamlit as st
from sqlalchemy import Engine

from db.enums import Verdict
from db.export import ExportFormat
from db.history import ResultRecord
from geomag_core.errors import GeoMagError
from ui.services.errors import readable_error
from ui.services.history import EXPORT_MIME, export_bytes, judge

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


def verdict_form(engine: Engine, records: Sequence[ResultRecord]) -> None:
    """Accept or reject one of ``records``; the verdict is stored as feedback."""
    if not records:
        return
    with st.form("result_actions.verdict"):
        left, right = st.columns([2, 3])
        rid = left.selectbox("Result", [r.result_id for r in records], key="result_actions.result")
        note = right.text_input("Note (optional)", key="result_actions.note")
        accept, reject, _ = st.columns([1, 1, 4])
        accepted = accept.form_submit_button("Accept", icon=":material/check:")
        rejected = reject.form_submit_button("Reject", icon=":material/close:")
    if accepted or rejected:
        verdict = Verdict.ACCEPT if accepted else Verdict.REJECT
        try:
            fid = judge(engine, int(rid), verdict, note)
        except GeoMagError as exc:
            st.error(readable_error(exc))
        else:
            st.success(f"Stored {verdict.value} of result #{rid} (feedback #{fid}).")
