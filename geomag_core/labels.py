"""One registry of the subjects an analyst asks about, and the labels results are stored under.

Every part of GeoMag that names a subject takes its words from here: nano's classes
(:mod:`geomag_core.nano.classes`), its reading of questions (:mod:`geomag_core.nano.vocabulary`),
the label a segmented result is stored under (:func:`label_in`) and the history's label filter
(:func:`stored_labels`, used by :mod:`db.history`). So ``geomag history --label cars`` finds the
cars whichever capability stored them.

Each :class:`Subject` has a canonical label, the one results are stored under (singular for
objects: ``car``, ``oil-storage tank``; the mass noun for areas: ``water``, ``vegetation``), the
name answers use for several (``cars``), the words and phrases that name it in a question, and
the spellings older versions stored it under.

Legacy spellings. Before this registry, segmented results were labelled from a smaller table of
their own; the rows it wrote keep their labels, and a label filter finds them with the subject
they now belong to:

- ``vehicle`` → ``car``. Those questions named vehicles, cars, trucks or buses; nano detects
  cars, and "vehicle" in a question is searched as cars with a caveat (it names cars only in
  part, see :attr:`Subject.partial`). So ``--label car`` also finds old ``vehicle`` rows, some of
  which may be trucks or buses; ``--label truck`` finds only rows stored as ``truck``.
- ``storage tank`` → ``oil-storage tank`` (nano's class; the old table's words were the same).
- ``forest`` → ``tree`` (its words were trees, forests and woodland; it also took "vegetation",
  which is now a subject of its own: old ``forest`` rows are not found by ``--label vegetation``).
- ``court`` → ``sports field``, ``pool`` → ``swimming pool``, ``runway`` → ``airport``.

Labels stored with their canonical spelling before (``aircraft``, ``ship``, ``building``,
``road``, ``bridge``, ``field``, ``water``) need no mapping.

Labels are never rewritten in the database: a filter lists every spelling to match instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "SUBJECTS",
    "UNNAMED",
    "Subject",
    "SubjectKind",
    "canonical_label",
    "counted",
    "find_subject",
    "label_in",
    "labels_in",
    "names_pattern",
    "stored_labels",
    "subject",
]

#: The label of a result whose question names no known subject.
UNNAMED = "object"


class SubjectKind(StrEnum):
    """What sort of thing a subject is."""

    OBJECT = "object"
    """Countable things (aircraft, cars, buildings): the label is singular."""
    AREA = "area"
    """Land cover and extents (water, vegetation, damage): the label is the mass noun."""
    PLACE = "place"
    """Places where objects stand (airports, refineries, roads): named beside an object ("the
    aircraft at the airport") they are context, not what is asked for."""


@dataclass(frozen=True)
class Subject:
    """One thing an analyst can ask about.

    Attributes:
        label: the canonical label results are stored under (lower case; singular for objects).
        plural: how answers name it, and several of it (``cars``; ``water`` for an area).
        words: words and phrases that name it in a question (lower case, singular and plural,
            synonyms). A space in a phrase also matches a hyphen (``oil storage tank`` matches
            ``oil-storage tank``).
        kind: object, area or place (see :class:`SubjectKind`).
        partial: words that name it only in part (``vehicle`` for cars): a question using them
            is read as asking for this subject, and an answer should say what it leaves out.
        legacy: labels older versions stored it under; label filters match them too.

    """

    label: str
    plural: str
    words: tuple[str, ...]
    kind: SubjectKind = SubjectKind.OBJECT
    partial: tuple[str, ...] = ()
    legacy: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """Every word that names it in a question: :attr:`words`, then :attr:`partial`."""
        return self.words + self.partial


_OBJECT, _AREA, _PLACE = SubjectKind.OBJECT, SubjectKind.AREA, SubjectKind.PLACE

#: Every subject. Order matters where words overlap: nano's classes first, then other objects and
#: areas, then places; GeoMag-nano's vocabulary reads questions in this order.
SUBJECTS: tuple[Subject, ...] = (
    # GeoMag-nano's trained classes (geomag_core.nano.classes).
    Subject(
        "aircraft",
        "aircraft",
        (
            "aircraft",
            "aircrafts",
            "airplane",
            "airplanes",
            "aeroplane",
            "aeroplanes",
            "plane",
            "planes",
            "jet",
            "jets",
            "airliner",
            "airliners",
            "jetliner",
            "jetliners",
        ),
    ),
    Subject(
        "oil-storage tank",
        "oil-storage tanks",
        (
            "oil-storage tank",
            "oil-storage tanks",
            "oil storage tank",
            "oil storage tanks",
            "storage tank",
            "storage tanks",
            "oil tank",
            "oil tanks",
            "fuel tank",
            "fuel tanks",
            "petroleum tank",
            "petroleum tanks",
            "tank",
            "tanks",
        ),
        legacy=("storage tank",),
    ),
    Subject(
        "car",
        "cars",
        ("car", "cars", "automobile", "automobiles", "passenger car", "passenger cars"),
        partial=("vehicle", "vehicles"),
        legacy=("vehicle",),
    ),
    # Other objects and areas analysts ask about in overhead imagery.
    Subject(
        "ship", "ships", ("ship", "ships", "boat", "boats", "vessel", "vessels", "yacht", "yachts")
    ),
    Subject("helicopter", "helicopters", ("helicopter", "helicopters", "helipad", "helipads")),
    Subject("truck", "trucks", ("truck", "trucks", "lorry", "lorries", "trailer", "trailers")),
    Subject("bus", "buses", ("bus", "buses", "minibus", "minibuses")),
    Subject(
        "train",
        "trains",
        ("train", "trains", "railway", "railways", "railroad", "rail", "wagon", "wagons"),
    ),
    Subject(
        "building",
        "buildings",
        (
            "building",
            "buildings",
            "house",
            "houses",
            "roof",
            "roofs",
            "rooftop",
            "rooftops",
            "warehouse",
            "warehouses",
            "hangar",
            "hangars",
            "shed",
            "sheds",
        ),
    ),
    Subject("bridge", "bridges", ("bridge", "bridges")),
    Subject(
        "water",
        "water",
        (
            "water",
            "lake",
            "lakes",
            "pond",
            "ponds",
            "river",
            "rivers",
            "reservoir",
            "reservoirs",
            "wetland",
            "wetlands",
            "flood",
            "flooding",
            "sea",
            "coastline",
            "shoreline",
            "ndwi",
            "potholes",
        ),
        _AREA,
    ),
    Subject(
        "vegetation",
        "vegetation",
        (
            "vegetation",
            "vegetated",
            "greenery",
            "green cover",
            "plants",
            "biomass",
            "crop",
            "crops",
            "cropland",
            "croplands",
            "ndvi",
        ),
        _AREA,
    ),
    Subject(
        "tree",
        "trees",
        ("tree", "trees", "forest", "forests", "woodland", "woodlands", "orchard", "orchards"),
        legacy=("forest",),
    ),
    Subject(
        "grass",
        "grass",
        ("grass", "grassland", "grasslands", "shrubs", "meadow", "meadows", "pasture"),
        _AREA,
    ),
    Subject(
        "field",
        "fields",
        ("field", "fields", "farmland", "parcel", "parcels", "paddock", "paddocks"),
    ),
    Subject(
        "swimming pool",
        "swimming pools",
        ("pool", "pools", "swimming pool", "swimming pools"),
        legacy=("pool",),
    ),
    Subject(
        "sports field",
        "sports fields",
        (
            "tennis court",
            "tennis courts",
            "basketball court",
            "basketball courts",
            "court",
            "courts",
            "soccer field",
            "soccer fields",
            "football field",
            "football pitch",
            "baseball diamond",
            "baseball diamonds",
            "stadium",
            "stadiums",
            "track",
            "golf course",
            "sports field",
            "sports fields",
        ),
        legacy=("court",),
    ),
    Subject(
        "wind turbine",
        "wind turbines",
        ("wind turbine", "wind turbines", "windmill", "windmills", "turbine", "turbines"),
    ),
    Subject(
        "solar panel",
        "solar panels",
        ("solar panel", "solar panels", "solar farm", "solar farms", "photovoltaic"),
    ),
    Subject(
        "container",
        "containers",
        ("container", "containers", "shipping container", "shipping containers"),
    ),
    Subject("crane", "cranes", ("crane", "cranes")),
    Subject(
        "chimney",
        "chimneys",
        ("chimney", "chimneys", "smokestack", "smokestacks", "silo", "silos"),
    ),
    Subject("greenhouse", "greenhouses", ("greenhouse", "greenhouses")),
    Subject(
        "person", "people", ("person", "people", "pedestrian", "pedestrians", "crowd", "crowds")
    ),
    Subject(
        "animal", "animals", ("animal", "animals", "cattle", "cow", "cows", "sheep", "livestock")
    ),
    Subject("cloud", "clouds", ("cloud", "clouds", "cloud shadow", "snow", "ice")),
    Subject(
        "military vehicle",
        "military vehicles",
        (
            "military vehicle",
            "military vehicles",
            "armored vehicle",
            "armoured vehicles",
            "artillery",
        ),
    ),
    Subject("tent", "tents", ("tent", "tents", "shelter", "shelters")),
    Subject(
        "bicycle",
        "bicycles",
        (
            "bicycle",
            "bicycles",
            "bike",
            "bikes",
            "cyclist",
            "cyclists",
            "motorcycle",
            "motorcycles",
        ),
    ),
    Subject(
        "damage",
        "damage",
        ("damage", "damaged", "destroyed", "debris", "crater", "craters", "burn scar"),
        _AREA,
    ),
    # Places where the objects above stand.
    Subject(
        "airport",
        "airports",
        (
            "airport",
            "airports",
            "airfield",
            "airfields",
            "apron",
            "aprons",
            "runway",
            "runways",
            "taxiway",
            "taxiways",
            "tarmac",
            "terminal",
            "terminals",
        ),
        _PLACE,
        legacy=("runway",),
    ),
    Subject(
        "refinery",
        "refineries",
        (
            "refinery",
            "refineries",
            "tank farm",
            "tank farms",
            "depot",
            "depots",
            "industrial area",
            "port",
            "ports",
            "harbor",
            "harbors",
            "harbour",
            "harbours",
            "dock",
            "docks",
            "marina",
            "marinas",
            "pier",
            "piers",
        ),
        _PLACE,
    ),
    Subject(
        "road",
        "roads",
        (
            "road",
            "roads",
            "street",
            "streets",
            "highway",
            "highways",
            "parking lot",
            "parking lots",
            "car park",
            "car parks",
            "parking",
            "intersection",
            "roundabout",
        ),
        _PLACE,
    ),
)


def _key(text: str) -> str:
    """``text`` as looked up: case-folded, hyphens as spaces, whitespace collapsed."""
    return " ".join(text.casefold().replace("-", " ").split())


def _lookup() -> dict[str, Subject]:
    table: dict[str, Subject] = {}
    for s in SUBJECTS:
        for name in (s.label, s.plural, *s.names, *s.legacy):
            table.setdefault(_key(name), s)
    return table


_BY_LABEL = {s.label: s for s in SUBJECTS}
_BY_NAME = _lookup()


def names_pattern(words: Iterable[str]) -> re.Pattern[str]:
    """A case-insensitive pattern matching any of ``words`` as whole words, longest first.

    A space inside a phrase matches any run of spaces and hyphens, so ``oil storage tank`` also
    matches ``oil-storage  tank``.
    """
    alternatives = sorted({re.escape(w).replace(r"\ ", r"[\s\-]+") for w in words}, key=len)
    return re.compile(r"\b(?:" + "|".join(reversed(alternatives)) + r")\b", re.IGNORECASE)


_PATTERNS = [(s, names_pattern(s.names)) for s in SUBJECTS]


def subject(label: str) -> Subject:
    """The subject whose canonical label is ``label`` (exactly); ``KeyError`` if none."""
    return _BY_LABEL[label]


def find_subject(text: str) -> Subject | None:
    """The subject ``text`` names: its label, plural, a word, synonym or legacy label, or ``None``.

    Case, surrounding whitespace and hyphens do not matter (``Oil Storage Tanks`` names the
    oil-storage tank). ``text`` is a name, not a question: see :func:`label_in` for those.
    """
    return _BY_NAME.get(_key(text))


def counted(n: int, label: str) -> str:
    """``7 oil-storage tanks``, ``1 car``: ``n`` of what ``label`` names, as an answer says it.

    A label no subject knows (a VLM's own word) is said as it is.
    """
    known = find_subject(label)
    return f"{n} {known.plural if known is not None and n != 1 else label}"


def canonical_label(text: str) -> str | None:
    """The canonical label of what ``text`` names (``cars`` → ``car``), or ``None`` if unknown."""
    found = find_subject(text)
    return found.label if found else None


def stored_labels(text: str) -> list[str]:
    """Every label to match in the database for the label filter ``text``.

    A known name gives the canonical label, then its legacy spellings, then ``text`` itself as
    stored (stripped, lower case) if that is another spelling: ``cars`` → ``["car", "vehicle",
    "cars"]``. An unknown name is matched as it is: ``["zeppelin"]``. A blank one matches
    nothing: ``[]``.
    """
    typed = text.strip().lower()
    if not typed:
        return []
    found = find_subject(typed)
    if found is None:
        return [typed]
    labels = [found.label, *found.legacy]
    return labels if typed in labels else [*labels, typed]


def labels_in(question: str) -> list[str]:
    """Every subject ``question`` names, by position, places last (longest names win overlaps)."""
    matches = sorted(
        (m.start(), m.start() - m.end(), rank)
        for rank, (_, rx) in enumerate(_PATTERNS)
        for m in rx.finditer(question)
    )
    taken: list[tuple[int, int, Subject]] = []
    for start, minus_length, rank in matches:
        end = start - minus_length
        if all(end <= a or start >= b for a, b, _ in taken):
            taken.append((start, end, _PATTERNS[rank][0]))
    found = [s for _, _, s in taken]
    ordered = [s for s in found if s.kind is not SubjectKind.PLACE] + [
        s for s in found if s.kind is SubjectKind.PLACE
    ]
    return list(dict.fromkeys(s.label for s in ordered))


def label_in(question: str) -> str:
    """The label to store results of ``question`` under: the first subject it names, by position.

    Where names overlap the longest wins (``car park`` is a road, not a car; ``military
    vehicles`` are not cars). Places (airports, roads…) count only when the question names
    nothing else: in "the aircraft on the apron" the aircraft are asked for. A question naming
    no subject gives :data:`UNNAMED` (``object``).
    """
    named = labels_in(question)
    return named[0] if named else UNNAMED
