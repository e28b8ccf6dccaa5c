"""Settings page: the profile, model paths, VLM server and database, as the app sees them."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui.components.configuration import settings_or_stop
from ui.services.profile import SWITCH_TO_TINY, settings_rows, vlm_server_status

st.title("Settings")
settings = settings_or_stop()
rows = {r["setting"]: r["value"] for r in settings_rows(settings)}
a, b, c = st.columns(3)
a.metric("Model profile", settings.model_profile)
b.metric("Agent mode", settings.agent_mode)
c.metric("Generation backend", settings.vlm_backend)
st.markdown(
    f"""
**Models** — VLM: `{rows["vlm_path"]}` · SAM2: `{rows["sam2_config"]}` (checkpoint
`{rows["sam2_checkpoint"]}`) · nano weights: `{rows["nano_weights"]}` · classifier head:
`{rows["classifier_head"]}`

**VLM server** — `{rows["vllm_url"]}` (model `{rows["vllm_model"]}`, timeout
{rows["vllm_timeout_s"]} s)

**Database** — `{rows["database_url"]}` · data dir `{rows["data_dir"]}`
"""
)
if st.button("Check the VLM server", key="settings.check_vlm"):
    st.write(vlm_server_status(settings))
st.caption(f"Settings come from GEOMAG_* variables or `.env`. {SWITCH_TO_TINY}")
st.dataframe(pd.DataFrame(settings_rows(settings)), hide_index=True)
