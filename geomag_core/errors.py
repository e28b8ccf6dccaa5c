"""The project's error hierarchy: every error a user can cause says what to do about it."""

from __future__ import annotations

import unicodedata
from pathlib import Path

__all__ = [
    "CheckpointError",
    "ConfigError",
    "CorpusError",
    "DatabaseError",
    "DatasetError",
    "EmptyQueryError",
    "ExportError",
    "GeoMagError",
    "InvalidBoxError",
    "MissingBandError",
    "NotGeoreferencedError",
    "SceneReadError",
    "VLMRequestError",
    "VLMUnavailableError",
    "is_blank",
]


class GeoMagError(Exception):
    """Base class of every error the project raises on purpose."""


class ConfigError(GeoMagError):
    """A setting is missing or has a value that cannot be used."""


class DatabaseError(GeoMagError):
    """The history database cannot be opened, migrated, written or queried.

    The message says which database (its URL without a password) and what to do about it.
    """


class SceneReadError(GeoMagError):
    """A scene file cannot be opened or read.

    The message always names the file and says what was wrong with it.
    """

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"cannot read scene {self.path!r}: {reason}")


class NotGeoreferencedError(GeoMagError):
    """A map-coordinate operation was asked of a scene that has no CRS."""

    def __init__(self, path: str | Path, operation: str) -> None:
        self.path = str(path)
        super().__init__(
            f"scene {self.path!r} has no CRS, so {operation} is not possible; "
            "it is a pixel-space scene (plain JPEG/PNG or a raster without georeferencing). "
            "Use pixel coordinates, or give it a CRS (e.g. a GeoTIFF or a world file)."
        )


class InvalidBoxError(GeoMagError):
    """A pixel box is malformed or falls outside the scene."""


def is_blank(text: str) -> bool:
    """Whether ``text`` has nothing visible: only spaces, zero-width or format characters.

    U+200B, U+FEFF, bidi marks and control characters: a question made of them means nothing.
    """
    return all(ch.isspace() or unicodedata.category(ch) in ("Cf", "Cc", "Zs") for ch in text)


class EmptyQueryError(GeoMagError):
    """A query to classify is empty or only whitespace."""

    def __init__(self, position: int | None = None) -> None:
        where = "" if position is None else f" (query #{position + 1})"
        super().__init__(
            f"empty query{where}: give the question as text, e.g. 'where are the aircraft?'"
        )


class CorpusError(GeoMagError):
    """A labelled corpus file (``label<TAB>prompt``) is missing or malformed."""


class DatasetError(GeoMagError):
    """A training dataset (image crops, texts, masks) is missing or malformed.

    The message names the file and the record, and says what a valid record looks like.
    """


class ExportError(GeoMagError):
    """An export file cannot be written where asked (the message names the path and why)."""


class CheckpointError(GeoMagError):
    """A weights file is missing, unreadable, or does not fit the model it is loaded into."""


class VLMUnavailableError(GeoMagError):
    """The VLM server cannot be reached, or did not answer in time."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        super().__init__(
            f"the VLM server at {url} is not answering ({reason}). Start one with "
            "`geomag serve-vlm --model PATH`, or point GEOMAG_VLLM_URL at a running server."
        )


class VLMRequestError(GeoMagError):
    """The VLM server answered, but refused the request."""


class MissingBandError(GeoMagError):
    """A scene lacks a band a method needs (e.g. near-infrared for NDWI/NDVI)."""
