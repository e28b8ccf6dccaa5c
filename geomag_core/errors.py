"""The project's error hierarchy: every error a user can cause says what to do about it."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ConfigError",
    "GeoMagError",
    "InvalidBoxError",
    "NotGeoreferencedError",
    "SceneReadError",
]


class GeoMagError(Exception):
    """Base class of every error the project raises on purpose."""


class ConfigError(GeoMagError):
    """A setting is missing or has a value that cannot be used."""


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
