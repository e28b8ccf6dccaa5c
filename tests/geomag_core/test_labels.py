"""The one label registry: names → canonical labels, filter spellings, the label of a question."""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict

import pytest

from geomag_core.labels import (
    SUBJECTS,
    UNNAMED,
    SubjectKind,
    canonical_label,
    counted,
    find_subject,
    label_in,
    names_pattern,
    stored_labels,
    subject,
)
from geomag_core.nano.classes import NANO_CLASSES
from geomag_core.spectral import INDICES


@pytest.mark.parametrize(
    ("text", "label"),
    [
        # canonical labels, any case and surrounding space
        ("car", "car"),
        ("  Aircraft ", "aircraft"),
        ("oil-storage tank", "oil-storage tank"),
        ("water", "water"),
        ("vegetation", "vegetation"),
        # plurals
        ("cars", "car"),
        ("Oil-Storage Tanks", "oil-storage tank"),
        ("ships", "ship"),
        ("buses", "bus"),
        ("people", "person"),
        ("swimming pools", "swimming pool"),
        # synonyms (a space and a hyphen are the same)
        ("automobiles", "car"),
        ("oil storage tank", "oil-storage tank"),
        ("fuel-tanks", "oil-storage tank"),
        ("jets", "aircraft"),
        ("boat", "ship"),
        ("lakes", "water"),
        ("NDVI", "vegetation"),
        ("hangar", "building"),
        ("apron", "airport"),
        # partial words and legacy labels
        ("vehicle", "car"),
        ("vehicles", "car"),
        ("storage tank", "oil-storage tank"),
        ("forest", "tree"),
        ("court", "sports field"),
        ("pool", "swimming pool"),
        ("runway", "airport"),
    ],
)
def test_names_resolve_to_the_canonical_label(text: str, label: str) -> None:
    assert canonical_label(text) == label
    found = find_subject(text)
    assert found is not None and found.label == label


@pytest.mark.parametrize("text", ["zeppelin", "", "   ", "object", "car-park-ish", "tanks of oil"])
def test_unknown_names_have_no_label(text: str) -> None:
    assert canonical_label(text) is None
    assert find_subject(text) is None


def test_nano_classes_and_spectral_subjects_are_registry_subjects() -> None:
    for cls in NANO_CLASSES:
        s = subject(cls.name)
        assert (cls.plural, cls.words) == (s.plural, s.words)
    for name in INDICES:
        assert subject(name).kind is SubjectKind.AREA and subject(name).plural == name
    with pytest.raises(KeyError):
        subject("cars")  # only canonical labels


def test_every_name_names_one_subject() -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for s in SUBJECTS:
        for name in (s.label, s.plural, *s.names, *s.legacy):
            owners[" ".join(name.replace("-", " ").split())].add(s.label)
    assert {n: o for n, o in owners.items() if len(o) > 1} == {}


def test_the_registry_is_well_formed() -> None:
    labels = [s.label for s in SUBJECTS]
    assert len(labels) == len(set(labels))
    for s in SUBJECTS:
        assert s.label == s.label.strip().lower()  # as db.records stores labels
        assert all(w == w.lower() for w in (*s.words, *s.partial, *s.legacy))
        assert canonical_label(s.label) == s.label
        assert all(canonical_label(w) == s.label for w in (s.plural, *s.names, *s.legacy))
        # every legacy spelling is its own thing nowhere else
        assert all(w not in labels for w in s.legacy)


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        ("car", ["car", "vehicle"]),
        ("cars", ["car", "vehicle", "cars"]),
        ("Vehicle", ["car", "vehicle"]),
        ("oil-storage tank", ["oil-storage tank", "storage tank"]),
        ("storage tank", ["oil-storage tank", "storage tank"]),
        ("Storage Tanks", ["oil-storage tank", "storage tank", "storage tanks"]),
        ("aircraft", ["aircraft"]),
        ("water", ["water"]),
        ("river", ["water", "river"]),
        ("zeppelin", ["zeppelin"]),
        (" Zeppelin ", ["zeppelin"]),
        ("", []),
    ],
)
def test_stored_labels_list_every_spelling(text: str, labels: list[str]) -> None:
    assert stored_labels(text) == labels


@pytest.mark.parametrize(
    ("question", "label"),
    [
        ("count the cars", "car"),
        ("how many vehicles are on the road?", "car"),  # a partial word; the road is context
        ("Count the storage tanks in this refinery", "oil-storage tank"),
        ("segment every oil-storage tank", "oil-storage tank"),
        ("how many jets are on the apron?", "aircraft"),
        ("outline the water", "water"),
        ("map the vegetation", "vegetation"),
        ("segment the lakes", "water"),
        ("segment all ships", "ship"),
        # the first subject by position
        ("Segment the river and any aircraft", "water"),
        ("count the aircraft and the boats", "aircraft"),
        ("the boats, then the aircraft", "ship"),
        ("houses near the river", "building"),
        # overlapping names: the longest wins
        ("segment the car park", "road"),
        ("count the military vehicles", "military vehicle"),
        ("outline the soccer fields", "sports field"),
        # places only when nothing else is named
        ("on the road, count the cars", "car"),
        ("segment the runway", "airport"),
        ("segment the tank farm", "refinery"),
        # nothing known
        ("what kind of area is this?", UNNAMED),
        ("locate all the zeppelins", "object"),
        ("", "object"),
        ("scarface", "object"),  # whole words only
    ],
)
def test_label_in_names_the_first_subject(question: str, label: str) -> None:
    assert label_in(question) == label


def test_names_pattern_prefers_the_longest_name() -> None:
    rx = names_pattern(["tank", "oil storage tank"])
    m = rx.search("the Oil-Storage  Tank")
    assert m is not None and m.group() == "Oil-Storage  Tank"
    assert rx.search("tanker") is None


def test_the_registry_imports_no_torch() -> None:
    code = "import sys, geomag_core.labels; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_count_names_several_by_their_plural_and_one_by_its_label() -> None:
    assert counted(7, "oil-storage tank") == "7 oil-storage tanks"
    assert counted(1, "car") == "1 car"
    assert counted(0, "aircraft") == "0 aircraft"
    assert counted(3, "water") == "3 water"  # an area's plural is itself
    assert counted(2, "gazebo") == "2 gazebo"  # a word no subject knows is said as it is
