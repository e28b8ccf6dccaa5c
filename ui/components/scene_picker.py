"""The sidebar scene picker: catalogue choice or an upload. Owns ``scene_picker.*`` keys."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from geomag_core.config import Settings
from geomag_core.errors import GeoMagError
from geomag_core.scales import ScaleBook
from geomag_core.scene import Scene
from ui.services.catalogue import list_scenes
from ui.services.errors import readable_error
from ui.services.uploads import ALLOWED_SUFFIXES, UploadStore

__all__ = ["CHOICE_KEY", "UPLOAD_KEY", "pick_scene", "select_scene"]

CHOICE_KEY = "scene_picker.choice"
UPLOAD_KEY = "scene_picker.upload"
_SEEN_KEY = "scene_picker.seen"  # (file id, stored path or None, error or None)
_SCALE_ERROR = "scene_picker.scale_error"


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
            _scale_input(settings, Path(choice))
    if error:
        st.error(f"Upload refused. {error}")
    return Path(choice) if choice else None


def _scale_input(settings: Settings, path: Path) -> None:
    """For a scene without a CRS: the metres per pixel the analyst knows, kept with the scene."""
    try:
        scene = Scene(path, rgb_bands=settings.rgb_bands, max_pixels=settings.max_scene_pixels)
    except GeoMagError:
        return  # the question's own error says why the scene cannot be read
    if scene.is_georeferenced:
        return
    book = ScaleBook(settings.data_dir)
    try:
        given = book.get(scene.content_hash)
    except GeoMagError as exc:  # a corrupt scales file: said, and the page goes on
        st.error(readable_error(exc))
        return
    key = f"scene_picker.scale.{scene.content_hash[:16]}"

    def keep() -> None:
        value = st.session_state.get(key)
        try:
            book.give(scene.content_hash, float(value) if value else None)
        except GeoMagError as exc:
            st.session_state[_SCALE_ERROR] = readable_error(exc)

    st.number_input(
        "Metres per pixel (no CRS)",
        min_value=0.0,
        max_value=1000.0,
        value=given,
        step=0.05,
        format="%.3f",
        key=key,
        on_change=keep,
        placeholder=_scale_hint(scene),
        help="This scene has no place on the ground. Give its scale if you know it: nano's "
        "size rule and magnification use it, and each answer says so. Blank: "
        + _scale_hint(scene)
        + ".",
    )
    if problem := st.session_state.pop(_SCALE_ERROR, None):
        st.error(problem)


def _scale_hint(scene: Scene) -> str:
    """What is used without a given scale."""
    if scene.world_file_gsd is not None:
        return f"the world file's {scene.world_file_gsd:.3g} m"
    return "each class's training scale is assumed"


def select_scene(path: str) -> None:
    """Make ``path`` the picked scene on the next run (call from a callback)."""
    st.session_state[CHOICE_KEY] = path
