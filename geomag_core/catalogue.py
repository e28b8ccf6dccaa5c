"""The scenes on offer (bundled samples, ``GEOMAG_SCENES_DIR``, uploads) and which show one place.

Scenes of the same place are found by footprint: a catalogued, georeferenced scene whose WGS84
footprint covers at least half of the asked scene's footprint (or it half of the other's) and that
has an acquisition date. Scenes with the same content are listed once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from geomag_core.config import REPO_ROOT, Settings
from geomag_core.errors import GeoMagError, SceneReadError
from geomag_core.scene import DEFAULT_MAX_PIXELS, Scene, confine_scene

__all__ = ["SAMPLES_DIR", "PlaceMatch", "Skipped", "dated_scenes", "same_place", "scene_folders"]

SAMPLES_DIR = REPO_ROOT / "samples"
#: Files looked at as georeferenced scenes.
GEOTIFF_SUFFIXES = {".tif", ".tiff"}
#: At most this many files are opened per folder (a huge archive is not scanned whole).
MAX_FILES_PER_FOLDER = 2000
#: Least share of footprint overlap for two scenes to show the same place.
MIN_OVERLAP = 0.5


@dataclass(frozen=True)
class PlaceMatch:
    """A catalogued scene of the same place.

    Attributes:
        scene: the scene.
        acquired: its acquisition date.
        overlap: intersection area over the smaller footprint's area, in ``[0, 1]``.

    """

    scene: Scene
    acquired: dt.date
    overlap: float


def scene_folders(settings: Settings) -> list[Path]:
    """The catalogue's folders that exist: samples, ``GEOMAG_SCENES_DIR``, the upload store."""
    folders = [SAMPLES_DIR, settings.scenes_dir, settings.data_dir / "uploads"]
    return [f for f in folders if f is not None and f.is_dir()]


@dataclass(frozen=True)
class Skipped:
    """A file of the scene folders that could not be used, and why (said in the answer)."""

    path: Path
    why: str

    def describe(self) -> str:
        """``name (why)``."""
        return f"{self.path.name} ({self.why})"


def dated_scenes(
    folders: list[Path],
    *,
    rgb_bands: tuple[int, int, int],
    max_pixels: int = DEFAULT_MAX_PIXELS,
    allowed: tuple[Path, ...] = (),
    today: dt.date | None = None,
) -> tuple[list[Scene], list[Skipped]]:
    """Georeferenced, dated GeoTIFFs under ``folders``; and the files skipped, each with why.

    A file is skipped when it cannot be opened (corrupt, over ``max_pixels``), is a symbolic
    link loop, leads outside the ``allowed`` folders (default: ``folders``), or says it was
    acquired after ``today`` (a wrong date tag would pass for the newest date of the place).
    Files without a CRS or a date are not dated scenes and are left out without a word.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    out: list[Scene] = []
    skipped: list[Skipped] = []
    seen: set[Path] = set()
    for folder in folders:
        try:
            files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in GEOTIFF_SUFFIXES)
        except OSError as exc:  # a loop of folders, a folder that vanished
            skipped.append(Skipped(folder, exc.strerror or str(exc)))
            continue
        for path in files[:MAX_FILES_PER_FOLDER]:
            try:
                key = confine_scene(path, allowed or folders)
                if key in seen:
                    continue
                seen.add(key)
                scene = Scene(key, rgb_bands=rgb_bands, max_pixels=max_pixels)
            except GeoMagError as exc:
                skipped.append(Skipped(path, _why(exc)))
                continue
            if not scene.is_georeferenced or scene.acquired is None:
                continue
            if scene.acquired > today:
                skipped.append(
                    Skipped(path, f"dated {scene.acquired.isoformat()}, after today: a wrong date")
                )
                continue
            out.append(scene)
    return out, skipped


def _why(exc: GeoMagError) -> str:
    """The reason of a scene error, without the path the skipped file already names."""
    return exc.reason if isinstance(exc, SceneReadError) else str(exc)


def same_place(
    scene: Scene, candidates: list[Scene], *, min_overlap: float = MIN_OVERLAP
) -> list[PlaceMatch]:
    """``scene`` and the ``candidates`` of the same place, oldest first, one per content hash.

    ``scene`` itself is included when it has an acquisition date.
    """
    if not scene.is_georeferenced:
        return []
    here = scene.footprint_wgs84
    matches: dict[str, PlaceMatch] = {}
    for other in [scene, *candidates]:
        if other.acquired is None or not other.is_georeferenced:
            continue
        there = other.footprint_wgs84
        smaller = min(here.area, there.area)
        overlap = here.intersection(there).area / smaller if smaller > 0 else 0.0
        if overlap < min_overlap:
            continue
        key = other.content_hash
        if key not in matches:
            matches[key] = PlaceMatch(other, other.acquired, round(overlap, 4))
    return sorted(matches.values(), key=lambda m: (m.acquired, str(m.scene.path)))
