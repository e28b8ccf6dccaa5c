"""The sidebar scene picker: catalogue choice or an upload. Owns ``scene_picker.*`` keys."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from geomag_core.config import Settings
from geomag_core.errors import GeoMagError
from ui.services.catalogue import list_scenes
from ui.services.errors import readable_error
from ui.services.uploads import ALLOWED_SUFFIXES, UploadStore

__all__ = ["CHOICE_KEY", "UPLOAD_KEY", "pick_scene", "select_scene"]

CHOICE_KEY = "scene_picker.choice"
UPLOAD_KEY = "scene_picker.upload"
_SEEN_KEY = "scene_picker.seen"  # (file id, stored path or None, error or None)


def _take_upload(store: UploadStore) -> str | None:
    """Store a new upload and select it; returns an error message if it was refused."""
    upload = st.session_state.get(UPLOAD_KEY)
    if upload is None:
        return None
    seen = st.session_state.get(_SEEN_KEY)
    if seen is None or seen[0] != upload.file_id:
        try:
            path = store.save(upload.name, upload.getvalue())
            seen = (upload.file_id, str(path), None)
            st.session_state[CHOICE_KEY] = str(path)
        except GeoMagError as exc:
            seen = (upload.file_id, None, readable_error(exc))
        st.session_state[_SEEN_KEY] = seen
    return str(seen[2]) if seen[2] else None


def pick_scene(settings: Settings, store: UploadStore) -> Path | None:
    """The scene the analyst chose (sidebar), or ``None`` when there is none to choose."""
    with st.sidebar:
        st.subheader("Scene")
        st.file_uploader(
            "Upload a GeoTIFF, JPEG or PNG",
            type=[s.lstrip(".") for s in ALLOWED_SUFFIXES],
            key=UPLOAD_KEY,
            max_upload_size=settings.upload_max_mb,
            help=f"Stored by content hash in {store.root} (up to {settings.upload_max_mb} MB).",
        )
        error = _take_upload(store)
        entries = [e for e in list_scenes(settings, store) if not e.refused]
        labels = {str(e.path): e.label for e in entries}
        if st.session_state.get(CHOICE_KEY) not in labels:
            st.session_state.pop(CHOICE_KEY, None)
        choice = st.selectbox("Scene", list(labels), format_func=labels.__getitem__, key=CHOICE_KEY)
        if choice:  # the box cuts long names off: the whole name, wrapped, under it
            st.caption(f"`{Path(choice).name}`")
    if error:
        st.error(f"Upload refused. {error}")
    return Path(choice) if choice else None


def select_scene(path: str) -> None:
    """Make ``path`` the picked scene on the next run (call from a callback)."""
    st.session_state[CHOICE_KEY] = path
