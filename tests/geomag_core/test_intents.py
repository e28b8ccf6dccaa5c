"""Reading what the analyst wants done with the objects found (no language model)."""

from __future__ import annotations

import pytest

from geomag_core.intents import Intent, read_intent


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("show me the largest aircraft", Intent("largest")),
        ("the 3 biggest ponds", Intent("largest", n=3)),
        ("the five smallest tanks", Intent("smallest", n=5)),
        ("the two most confident cars", Intent("most_confident", n=2)),
        ("list the tanks with confidence above 0.8", Intent("above", threshold=0.8)),
        ("cars with a score over 75%", Intent("above", threshold=0.75)),
        ("where are the planes parked?", Intent("where")),
        ("how many aircraft are there?", Intent("count")),
        ("segment the aircraft", None),
    ],
)
def test_intents_are_read(question: str, expected: Intent | None) -> None:
    assert read_intent(question) == expected
