"""Reading change questions and picking their dates."""

from __future__ import annotations

import datetime as dt

import pytest

from geomag_core.temporal import DateQuestion, pick_dates, read_dates

DATES = [dt.date(y, 8, 1) for y in (2009, 2012, 2016, 2020)]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How has the water area changed since 2009?", DateQuestion(since=2009)),
        ("what changed here since 2016?", DateQuestion(since=2016)),
        ("compare vegetation in 2012 and 2020", DateQuestion(years=(2012, 2020))),
        ("water from 2012 to 2020: did it grow?", DateQuestion(since=2012, until=2020)),
        ("water over time", DateQuestion()),
        ("outline the water", None),
        ("how many aircraft were there in 2019?", None),
    ],
)
def test_change_questions_are_read(question: str, expected: DateQuestion | None) -> None:
    assert read_dates(question) == expected


def test_dates_are_picked_and_gaps_said() -> None:
    chosen, notes = pick_dates(DateQuestion(since=2010), DATES)
    assert chosen == DATES[1:] and "earliest after it is 2012-08-01" in notes[0]
    chosen, notes = pick_dates(DateQuestion(years=(2012, 2015, 2020)), DATES)
    assert chosen == [DATES[1], DATES[3]] and "2015" in notes[0]
    assert pick_dates(DateQuestion(), DATES) == (DATES, [])
