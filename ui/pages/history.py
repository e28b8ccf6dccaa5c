"""History page: filter stored results, see them in a table and on a map, export, judge."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui.components.configuration import settings_or_stop
from ui.components.history_filters import history_filters
from ui.components.map_view import show_map
from ui.components.result_actions import add_object_form, export_buttons, verdict_form
from ui.resources import agent_runner
from ui.services.errors import readable_error
from ui.services.history import counts, distinct_table, search, search_distinct, table
from ui.services.maps import MapLayer, evidence_map

st.title("History")
settings = settings_or_stop()
form = history_filters()
try:
    workbench = agent_runner(settings).workbench
    engine = workbench.engine
    objects = search_distinct(engine, form) if form.distinct else None
    records = [o.best for o in objects] if objects is not None else search(engine, form)
    matching, rejected = counts(engine, form)
except Exception as exc:
    st.error(readable_error(exc, settings))
    st.stop()
hidden = f"; {rejected} rejected result(s) left out (Include rejected results)" if rejected else ""
if objects is not None:
    found = sum(len(o.result_ids) for o in objects)
    st.caption(f"{len(objects)} distinct object(s) from {found} stored result(s){hidden}")
elif matching > len(records):
    st.caption(
        f"The newest {len(records)} of {matching} result(s){hidden}: the other "
        f"{matching - len(records)} are not shown nor exported here; narrow the filters, or "
        "export everything with `geomag history -f gpkg --out all.gpkg`."
    )
else:
    st.caption(f"{len(records)} result(s){hidden}")
if records:
    st.dataframe(distinct_table(objects) if objects else table(records), hide_index=True)
    shapes = [
        (r.geometry, f"#{r.result_id} {r.label or r.kind} · {r.query_text[:60]}")
        for r in records
        if r.geometry is not None
    ]
    if shapes:
        show_map(evidence_map([MapLayer("results", "#ff2828", shapes)]))
    else:
        st.info("None of these results has a map geometry (text answers, or pixel-only scenes).")
else:
    st.info("No stored results match. Ask a question on the Chat page, or widen the filters.")
export_buttons(records)
st.subheader("Judge a result")
verdict_form(engine, records, workbench.scene)
add_object_form(engine, {r.scene_hash: Path(r.scene_uri).name for r in records}, key="history.add")
