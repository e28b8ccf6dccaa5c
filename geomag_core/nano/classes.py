"""What nano can detect: its trained classes, their names, scales and physically possible sizes.

Each :class:`ObjectClass` is one thing the shipped weights were trained to segment, with the words
an analyst may use for it, the ground sampling distance (GSD) its training scenes were taken at,
and the range of sizes a real instance can have. The size rule is physical: an instance whose
bounding box's longer side, in metres, lies outside ``length_m`` is not reported. With a CRS the
scene's own GSD converts pixels to metres; without one the class's training GSD is assumed (or
the analyst's ``--gsd`` / ``GEOMAG_GSD``). Names and words come from the one label registry,
:mod:`geomag_core.labels`.

Size ranges (longer side of the axis-aligned box, so a rotated object's box is up to √2 × its
length): aircraft 7–120 m (a light aircraft is ~8 m long, an A380 73 m long with an 80 m span:
its box at 45° is ~108 m, and the boxes annotators draw around widebodies reach 115 m in the
training split); oil-storage tanks 4–130 m across (small day tanks to the largest
floating-roof tanks, ~120 m); cars 2.2–8 m (a city car is ~2.7 m, a long estate 5.2 m: its box
at 45° is ~5.1 m; vans up to ~7 m).

Resolution rule: each class has a coarsest GSD it is looked for at (aircraft 2 m, tanks 3 m,
cars 0.3 m: training saw them down to about 0.3–0.6 × their native scale). On a coarser scene
(NAIP's 5 m, say) nano says the class is too small to see there instead of searching.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from geomag_core.labels import subject
from geomag_core.scales import SceneScale

if TYPE_CHECKING:  # rasterio and pyproj load when a scene is measured, not with the classes
    from geomag_core.scene import Scene

__all__ = [
    "NANO_CLASSES",
    "SCALE_TOLERANCE",
    "ObjectClass",
    "class_named",
    "known_list",
    "scene_gsd",
]

#: A scene within this factor of a class's training GSD is read at its own scale: the training
#: GSDs are themselves approximate (SPOT "~1.2 m", KIT "~0.13 m"), and resampling by a few per
#: cent only blurs. Beyond it the search resamples (:meth:`ObjectClass.reading_scale`).
SCALE_TOLERANCE = 1.2

#: Resampling stops here either way: a look 4× magnified or shrunk is the most the windows
#: (and the memory bound of one look) are made for; the resolution rule (``max_gsd_m``) stops
#: coarser scenes before they need more.
MAX_RESCALE = 4.0


@dataclass(frozen=True)
class ObjectClass:
    """One class nano was trained on.

    Attributes:
        name: the label stored with results (singular; the subject's canonical label in
            :mod:`geomag_core.labels`).
        plural: how answers name several.
        words: words and phrases that name it in a question (lower case, singular and plural;
            the subject's words in :mod:`geomag_core.labels`).
        prompt: the text given to the model when a question asks for this class.
        gsd_m: metres per pixel of the training scenes.
        length_m: ``(min, max)`` physically possible longer box side, in metres.
        max_gsd_m: the coarsest GSD nano looks for this class at: coarser, a typical instance
            is smaller than anything it saw in training, and the answer says it cannot be seen.
        data: the training data set, for provenance.
        zoom: native-resolution windows are magnified by this factor before segmenting, for
            weights trained on such magnified crops (``geomag train nano --magnify``); weights
            trained with ``--zoom CLASS=FACTOR`` record their own factor, which wins
            (:meth:`~geomag_core.nano.predictor.NanoModel.zoom_for`).
        round: seen from above, every object of the class is a disc (tanks): its outlines get
            a shape rule (:mod:`geomag_core.nano.outlines`). Aircraft and cars are not: how
            elongated their outlines are depends on pose and on how much of the object the
            model outlined (the rule refused 6 true aircraft for 13 false ones in validation).

    """

    name: str
    plural: str
    words: tuple[str, ...]
    prompt: str
    gsd_m: float
    length_m: tuple[float, float]
    max_gsd_m: float
    data: str
    zoom: float = 1.0
    round: bool = False

    @property
    def assumed_scale(self) -> SceneScale:
        """The class's training GSD, for a scene nothing gives a scale for (said as assumed)."""
        return SceneScale(self.gsd_m, f"assumed: {self.name} training GSD (no CRS)")

    def length_px(self, gsd_m: float) -> tuple[float, float]:
        """The size range in pixels at ``gsd_m`` metres per pixel."""
        return self.length_m[0] / gsd_m, self.length_m[1] / gsd_m

    def reading_scale(self, gsd_m: float) -> float:
        """How much to magnify (> 1) or shrink (< 1) a scene at ``gsd_m`` before segmenting it.

        Objects then have the pixel size the model learned: a 0.27 m car park is read at
        0.27 / 0.13 ≈ 2.1× for cars, a 0.3 m airport at 0.6× for aircraft. 1.0 within
        :data:`SCALE_TOLERANCE` of the training GSD (and whenever the GSD is the assumed one).
        """
        ratio = gsd_m / self.gsd_m
        if 1 / SCALE_TOLERANCE <= ratio <= SCALE_TOLERANCE:
            return 1.0
        return min(MAX_RESCALE, max(1 / MAX_RESCALE, ratio))

    def plausible(
        self,
        box: tuple[float, float, float, float],
        gsd_m: float,
        spread: tuple[float, float] = (1.0, 1.0),
    ) -> bool:
        """Whether an XYXY pixel box's longer side is a possible size for this class.

        ``spread`` is how much shorter or longer than the box the object may really be (the
        measured uncertainty of the model's outlines, :class:`~geomag_core.nano.outlines.
        OutlineScale`): the box is refused only when no length inside it is possible.
        """
        longer = max(box[2] - box[0], box[3] - box[1]) * gsd_m
        return longer * spread[0] <= self.length_m[1] and longer * spread[1] >= self.length_m[0]


_AIRCRAFT, _TANK, _CAR = (subject(label) for label in ("aircraft", "oil-storage tank", "car"))

NANO_CLASSES: tuple[ObjectClass, ...] = (
    ObjectClass(
        name=_AIRCRAFT.label,
        plural=_AIRCRAFT.plural,
        words=_AIRCRAFT.words,
        prompt="segment the aircraft",
        gsd_m=0.5,
        length_m=(7.0, 120.0),
        max_gsd_m=2.0,
        data="airbus-aircraft (Pléiades, 0.5 m)",
    ),
    ObjectClass(
        name=_TANK.label,
        plural=_TANK.plural,
        words=_TANK.words,
        prompt="segment the oil storage tanks",
        gsd_m=1.2,
        length_m=(4.0, 130.0),
        max_gsd_m=3.0,
        data="airbus-oil-storage (SPOT, ~1.2 m)",
        zoom=2.0,
        round=True,
    ),
    ObjectClass(
        name=_CAR.label,
        plural=_CAR.plural,
        words=_CAR.words,
        prompt="segment the cars",
        gsd_m=0.13,
        length_m=(2.2, 8.0),
        max_gsd_m=0.3,
        data="kit-aerial-cars (airborne, ~0.13 m)",
    ),
)


def class_named(name: str) -> ObjectClass:
    """The class whose ``name`` is ``name``."""
    for c in NANO_CLASSES:
        if c.name == name:
            return c
    raise KeyError(name)


def known_list() -> str:
    """``"aircraft, oil-storage tanks and cars"``: the classes as an answer names them."""
    names = [c.plural for c in NANO_CLASSES]
    return ", ".join(names[:-1]) + " and " + names[-1]


def scene_gsd(scene: Scene) -> float | None:
    """Metres per pixel at the scene's centre (mean of x and y), or ``None`` without a CRS."""
    from pyproj import Geod

    if not scene.is_georeferenced:
        return None
    cx, cy = scene.width / 2, scene.height / 2
    (lon0, lat0), (lon1, lat1), (lon2, lat2) = scene.pixel_to_wgs84(
        [(cx, cy), (cx + 1, cy), (cx, cy + 1)]
    )
    geod = Geod(ellps="WGS84")
    dx = geod.inv(lon0, lat0, lon1, lat1)[2]
    dy = geod.inv(lon0, lat0, lon2, lat2)[2]
    gsd = (abs(dx) + abs(dy)) / 2
    return gsd if math.isfinite(gsd) and gsd > 0 else None
