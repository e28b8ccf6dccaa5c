"""History page: filter stored results, see them in a table and on a map, export, judge."""

from __future__ import annotations

import streamlit as st

from ui.components.configuration import settings_or_stop
from ui.components.history_filters import history_filters
from ui.components.map_view import show_map
from ui.components.result_actions import export_buttons, verdict_form
from ui.resources import agent_runner
from ui.services.errors import readable_error
from ui.services.history import distinct_table, search, search_distinct, table
from ui.services.maps import MapLayer, evidence_map

st.title("History")
settings = settings_or_stop()
form = history_filters()
try:
    workbench = agent_runner(settings).workbench
    engine = workbench.engine
    objects = search_distinct(engine, form) if form.distinct else None
    records = [o.best for o in objects] if objects is not None else search(engine, form)
except Exception as exc:
    st.error(readable_error(exc, settings))
    st.stop()
newest = " (newest 500)" if len(records) == 500 else ""
if objects is not None:
    found = sum(len(o.result_ids) for o in objects)
    st.caption(f"{len(objects)} distinct object(s){newest} from {found} stored result(s)")
else:
    st.caption(f"{len(records)} result(s){newest}")
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
