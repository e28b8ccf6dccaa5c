"""A label filter finds a subject under every name and every stored spelling (one registry).

Runs on SpatiaLite and PostGIS (``engine`` fixture).
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from db.history import (
    HistoryFilter,
    count_results,
    find_all_results,
    find_distinct_objects,
    find_results,
)
from db.writes import save_question
from tests.data.history import LABEL_SEED

CARS = {"car", "legacy-vehicle"}
TANKS = {"tank", "legacy-tank"}


@pytest.fixture
def labelled(engine: Engine) -> Engine:
    for record in LABEL_SEED:
        save_question(engine, record)
    return engine


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["car"], CARS),
        (["cars"], CARS),
        (["Automobiles"], CARS),
        (["vehicle"], CARS),
        (["oil-storage tank"], TANKS),
        (["storage tank"], TANKS),
        (["oil storage tanks"], TANKS),
        (["tanks"], TANKS),
        (["cars", "storage tank"], CARS | TANKS),
        (["aircraft"], {"plane"}),
        (["zeppelin"], set()),
    ],
)
def test_a_label_finds_every_spelling(
    labelled: Engine, labels: list[str], expected: set[str]
) -> None:
    where = HistoryFilter(labels=labels)
    assert {r.text for r in find_all_results(labelled, where)} == expected
    assert {r.text for r in find_results(labelled, where).items} == expected
    assert count_results(labelled, where) == len(expected)


def test_legacy_spellings_are_one_distinct_object_with_the_canonical_ones(
    labelled: Engine,
) -> None:
    for label, best in (("car", "car"), ("storage tank", "tank")):
        (one,) = find_distinct_objects(labelled, HistoryFilter(labels=[label]))
        assert one.queries == 2 and len(one.result_ids) == 2
        assert one.best.text == best  # the more confident, stored under the canonical label
    labels = {o.best.label for o in find_distinct_objects(labelled)}
    assert labels == {"car", "oil-storage tank", "aircraft"}
