"""Metres per pixel the analyst gave for a scene without a CRS, kept by the scene's content hash.

A JPEG or PNG has no place on the ground and often no world file, but the analyst may know its
scale (a 0.27 m marina from a data set's documentation). Given once (the app's scene picker, or
:meth:`ScaleBook.give`), it is kept in ``<data_dir>/scales.json`` and used wherever the scene is
read at that scale: nano's size rule and magnification say "given for this scene".
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from geomag_core.errors import ConfigError

__all__ = ["SCALES_FILE", "ScaleBook", "SceneScale"]

SCALES_FILE = "scales.json"
#: The range a given scale must fall in: 1 cm to 1 km per pixel.
_RANGE = (0.01, 1000.0)


@dataclass(frozen=True, slots=True)
class SceneScale:
    """Metres per pixel of a scene and where that number came from, in words.

    ``source`` is what answers, history and exports print beside a size measured with it:
    ``scene CRS``, ``GEOMAG_GSD / --gsd``, ``given for this scene in the app``, ``the scene's
    world file (no CRS: metres assumed)`` or ``assumed: <class> training GSD (no CRS)``.
    """

    metres: float
    source: str

    @property
    def from_crs(self) -> bool:
        """The scene's own CRS gave it (sizes are then measured on the ground, not scaled)."""
        return self.source == CRS_SOURCE


#: :attr:`SceneScale.source` of a scale read from the scene's CRS.
CRS_SOURCE = "scene CRS"


class ScaleBook:
    """The scales given per scene (content hash → metres per pixel), in one JSON file."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / SCALES_FILE

    def _read(self) -> dict[str, float]:
        if not self.path.is_file():
            return {}
        try:
            data = json.loads(self.path.read_text())
            return {str(k): float(v) for k, v in dict(data).items()}
        except (OSError, ValueError, TypeError) as exc:
            raise ConfigError(
                f"the scene scales file {self.path} is unreadable ({exc}): fix or delete it"
            ) from exc

    def get(self, content_hash: str) -> float | None:
        """Metres per pixel given for the scene, or ``None``."""
        return self._read().get(content_hash)

    def give(self, content_hash: str, metres_per_pixel: float | None) -> None:
        """Keep ``metres_per_pixel`` for the scene (``None`` forgets it).

        Raises:
            ConfigError: the value is not a scale between 1 cm and 1 km per pixel.

        """
        scales = self._read()
        if metres_per_pixel is None:
            scales.pop(content_hash, None)
        else:
            lo, hi = _RANGE
            if not (math.isfinite(metres_per_pixel) and lo <= metres_per_pixel <= hi):
                raise ConfigError(
                    f"{metres_per_pixel} m per pixel is not a scale: give {lo:g}–{hi:g} "
                    "(e.g. 0.5 for Airbus Pléiades, 0.13 for the KIT car frames)"
                )
            scales[content_hash] = float(metres_per_pixel)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".scales.")
        with os.fdopen(fd, "w") as fh:
            json.dump(scales, fh, indent=1, sort_keys=True)
        os.replace(tmp, self.path)
