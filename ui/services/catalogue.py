"""The scene catalogue: bundled samples, the configured folder, uploads and a launch scene."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from shapely.geometry import Polygon
from sqlalchemy import Engine

from db.history import HistoryFilter, count_results
from geomag_core.config import REPO_ROOT, Settings
from geomag_core.errors import GeoMagError, SceneReadError
from geomag_core.scene import DEFAULT_MAX_PIXELS, Scene, confine_scene
from ui.services.uploads import ALLOWED_SUFFIXES, UploadStore

__all__ = ["LAUNCH_SCENE_ENV", "SceneEntry", "SceneSummary", "list_scenes", "summarize"]

#: Set by ``geomag app --scene PATH``: the scene the chat page opens on.
LAUNCH_SCENE_ENV = "GEOMAG_APP_SCENE"
SAMPLES_DIR = REPO_ROOT / "samples"


@dataclass(frozen=True)
class SceneEntry:
    """A scene the analyst can pick: its path and where it came from."""

    path: Path
    source: str
    """``launch``, ``sample``, ``folder`` or ``upload``."""
    refused: str | None = None
    """Why the scene may not be opened (a link loop, a link out of the scene folders): such
    an entry is shown on the Scenes page with the reason, never offered or read."""

    @property
    def label(self) -> str:
        """What the picker shows."""
        return f"{self.path.name}  ({self.source})"


@dataclass(frozen=True)
class SceneSummary:
    """One catalogue row: size, CRS, WGS84 footprint and stored result count, or the error."""

    entry: SceneEntry
    width: int | None = None
    height: int | None = None
    crs: str | None = None
    footprint: Polygon | None = None
    sha256: str | None = None
    results: int = 0
    error: str | None = None


def _scene_files(folder: Path | None) -> list[Path]:
    if folder is None or not folder.is_dir():
        return []
    try:
        return sorted(p for p in folder.iterdir() if p.suffix.lower() in ALLOWED_SUFFIXES)
    except OSError:  # unreadable now: nothing from it is on offer
        return []


def list_scenes(settings: Settings, uploads: UploadStore) -> list[SceneEntry]:
    """Every scene on offer, the launch scene first; a file reachable twice is listed once."""
    launch = os.environ.get(LAUNCH_SCENE_ENV)
    candidates = [
        *([SceneEntry(Path(launch), "launch")] if launch else []),
        *(SceneEntry(p, "sample") for p in _scene_files(SAMPLES_DIR)),
        *(SceneEntry(p, "folder") for p in _scene_files(settings.scenes_dir)),
        *(SceneEntry(p, "upload") for p in uploads.scenes()),
    ]
    files = (*settings.scene_files, *([Path(launch)] if launch else []))
    seen: set[Path] = set()
    out = []
    for entry in candidates:
        try:  # the same confinement as the graph and the tools: resolved, inside the folders
            key = confine_scene(entry.path, settings.scene_folders, files)
        except SceneReadError as exc:
            out.append(SceneEntry(entry.path, entry.source, refused=exc.reason))
            continue
        if key not in seen:
            seen.add(key)
            out.append(SceneEntry(key, entry.source))
    return out


def summarize(
    entry: SceneEntry, engine: Engine, max_pixels: int = DEFAULT_MAX_PIXELS
) -> SceneSummary:
    """Open ``entry`` and count its stored results (by content hash, wherever it was read)."""
    if entry.refused:
        return SceneSummary(entry, error=f"not opened: {entry.refused}")
    try:
        scene = Scene(entry.path, max_pixels=max_pixels)
        footprint = scene.footprint_wgs84 if scene.is_georeferenced else None
        sha = scene.content_hash
        results = count_results(engine, HistoryFilter(scene=sha))
    except GeoMagError as exc:
        return SceneSummary(entry, error=str(exc))
    return SceneSummary(
        entry,
        width=scene.width,
        height=scene.height,
        crs=scene.crs.to_string() if scene.crs else None,
        footprint=footprint,
        sha256=sha,
        results=results,
    )
