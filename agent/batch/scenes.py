"""Which scenes a batch covers, and the request id that makes each scene's answer exactly once.

Scenes come as paths typed on the command line and/or one ``--scenes-from`` source: a text file
of paths (one per line, ``#`` comments; relative paths are relative to the file), a folder
(its GeoTIFF, JPEG and PNG files, not recursive) or a glob pattern (``**`` recurses). Duplicate
paths are kept once, in first-seen order. A path typed on the command line that does not exist
stops the batch before it starts (a typo); an entry of a list, folder or glob that cannot be read
(missing, a FIFO, a device, a symbolic link loop) is kept, and fails alone with its reason when
the batch is planned, while the rest run.
"""

from __future__ import annotations

import glob
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from geomag_core.errors import GeoMagError, SceneReadError

__all__ = ["SCENE_SUFFIXES", "SceneTask", "batch_request_id", "collect_scenes", "file_sha256"]

#: File name endings taken from a folder or a glob.
SCENE_SUFFIXES = (".tif", ".tiff", ".jpg", ".jpeg", ".png")


@dataclass(frozen=True)
class SceneTask:
    """One scene of a batch, as the driver hands it to a worker."""

    path: str
    """Absolute path of the scene file."""
    sha256: str
    """SHA-256 of the file's bytes (the scene's content hash in the history)."""
    request_id: str
    """Idempotency key of this scene's answer (see :func:`batch_request_id`)."""


def batch_request_id(
    question: str, scene_sha256: str, versions: Mapping[str, str], redo: str | None = None
) -> str:
    """The request id of ``question`` about the scene with content hash ``scene_sha256``.

    A SHA-256 over the question (trimmed), the scene hash and the model versions: the same
    question about the same bytes with the same models is the same request, whichever worker,
    retry or rerun answers it, so the history stores it once. ``redo`` (a token per ``--redo``
    run) makes a new request on purpose. No thread is involved, unlike ``geomag ask``'s ids.
    """
    key: dict[str, object] = {
        "kind": "batch",
        "question": question.strip(),
        "scene_sha256": scene_sha256,
        "versions": dict(versions),
    }
    if redo:
        key["redo"] = redo
    text = json.dumps(key, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 (hex) of ``path``'s bytes, read in chunks; the same as ``Scene.content_hash``."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(4 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def collect_scenes(paths: list[Path], scenes_from: str | None = None) -> list[Path]:
    """The batch's scene files, absolute, each once, in the order given.

    Raises :class:`SceneReadError` for a path or source that does not exist or holds no
    scene, and :class:`GeoMagError` when no scene is given at all.
    """
    listed = _from_source(scenes_from) if scenes_from else []
    if not paths and not listed:
        raise GeoMagError("no scenes given: name scene files, or use --scenes-from FILE|DIR|GLOB")
    unique: dict[Path, None] = {}
    for path in paths:
        full = _absolute(path)
        if not full.exists() and not full.is_symlink():
            raise SceneReadError(path, "no such file")
        if full.is_dir():
            raise SceneReadError(path, f"it is a folder: pass it as --scenes-from {path}")
        unique.setdefault(full, None)
    for path in listed:
        unique.setdefault(_absolute(path), None)
    return list(unique)


def _absolute(path: Path) -> Path:
    """``path`` resolved; a symbolic link loop stays as given (absolute), to fail when planned."""
    try:
        return path.expanduser().resolve()
    except (OSError, RuntimeError):  # Python 3.11 raises RuntimeError on a loop
        return path.expanduser().absolute()


def _from_source(source: str) -> list[Path]:
    where = Path(source).expanduser()
    if where.is_dir():
        scenes = sorted(p for p in where.iterdir() if p.suffix.lower() in SCENE_SUFFIXES)
        if not scenes:
            raise SceneReadError(source, f"the folder holds no {'/'.join(SCENE_SUFFIXES)} file")
        return scenes
    if where.is_file():
        lines = [ln.strip() for ln in where.read_text(errors="replace").splitlines()]
        listed = [ln for ln in lines if ln and not ln.startswith("#")]
        if not listed:
            raise SceneReadError(source, "the list holds no scene path")
        return [p if p.is_absolute() else where.parent / p for p in map(Path, listed)]
    if glob.has_magic(source):
        matched = sorted(Path(p) for p in glob.glob(str(where), recursive=True))
        scenes = [p for p in matched if p.is_file() and p.suffix.lower() in SCENE_SUFFIXES]
        if not scenes:
            raise SceneReadError(source, "the pattern matches no scene file")
        return scenes
    raise SceneReadError(source, "no such file, folder or glob pattern (--scenes-from)")
