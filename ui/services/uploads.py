"""Scenes uploaded in the app, stored once each under ``<data_dir>/uploads`` by content hash."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from geomag_core.errors import GeoMagError, SceneReadError
from geomag_core.scene import DEFAULT_MAX_PIXELS, Scene

__all__ = ["ALLOWED_SUFFIXES", "UploadStore", "safe_stem"]

#: File types the app accepts as scenes.
ALLOWED_SUFFIXES = (".tif", ".tiff", ".jpg", ".jpeg", ".png")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_stem(filename: str) -> str:
    """A file-name stem safe on any file system: ASCII letters, digits, ``._-``, ≤ 60 chars."""
    stem = Path(filename.replace("\\", "/")).stem
    cleaned = _UNSAFE.sub("_", stem).strip("._-")[:60]
    return cleaned or "scene"


class UploadStore:
    """Uploaded scene files, named ``<sha256[:16]>-<safe stem><suffix>``.

    Args:
        root: the folder (``<data_dir>/uploads``), created on first save.
        max_bytes: the largest upload accepted.
        max_pixels: the largest scene accepted, in pixels (``GEOMAG_MAX_SCENE_PIXELS``),
            checked from the file's header before any pixel is decoded.

    """

    def __init__(self, root: Path, max_bytes: int, max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels

    def save(self, filename: str, data: bytes) -> Path:
        """Store ``data`` (once per content) and check it opens as a scene; returns its path.

        Raises:
            SceneReadError: empty, too large (bytes or pixels), not a GeoTIFF/JPEG/PNG, or
                unreadable; nothing is kept then.

        """
        suffix = Path(filename).suffix.lower()
        if suffix not in ALLOWED_SUFFIXES:
            kinds = ", ".join(ALLOWED_SUFFIXES)
            raise SceneReadError(filename, f"only {kinds} files can be uploaded")
        if not data:
            raise SceneReadError(filename, "the file is empty")
        if len(data) > self.max_bytes:
            limit = self.max_bytes / 2**20
            raise SceneReadError(
                filename,
                f"it is {len(data) / 2**20:.1f} MB and uploads are limited to {limit:.0f} MB "
                "(GEOMAG_UPLOAD_MAX_MB), or put it in GEOMAG_SCENES_DIR",
            )
        digest = hashlib.sha256(data).hexdigest()
        path = self.root / f"{digest[:16]}-{safe_stem(filename)}{suffix}"
        if not path.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(path.name + ".part")
            partial.write_bytes(data)
            partial.replace(path)
        try:
            Scene(path, max_pixels=self.max_pixels).read_overview(64)
        except SceneReadError as exc:
            path.unlink(missing_ok=True)
            raise SceneReadError(filename, exc.reason) from exc
        except GeoMagError:
            path.unlink(missing_ok=True)
            raise
        except Exception as exc:  # GDAL/PIL errors on odd files: same message shape
            path.unlink(missing_ok=True)
            raise SceneReadError(filename, f"{type(exc).__name__}: {exc}") from exc
        return path

    def scenes(self) -> list[Path]:
        """Every stored upload, oldest first."""
        if not self.root.is_dir():
            return []
        found = [p for p in self.root.iterdir() if p.suffix.lower() in ALLOWED_SUFFIXES]
        return sorted(found, key=lambda p: (p.stat().st_mtime, p.name))
