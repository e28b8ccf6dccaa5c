"""The closed vocabularies stored in the history (as short strings with CHECK constraints)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["HistoryOrder", "QueryStatus", "ResultKind", "Verdict"]


class ResultKind(StrEnum):
    """What a result is: a text answer, a box, or a mask (a polygon from a segmentation)."""

    ANSWER = "answer"
    BOX = "box"
    MASK = "mask"


class QueryStatus(StrEnum):
    """How a question ended: answered, or failed with an error kept beside it."""

    OK = "ok"
    FAILED = "failed"


class Verdict(StrEnum):
    """An analyst's judgement of a result: accept it, reject it, or correct its geometry."""

    ACCEPT = "accept"
    REJECT = "reject"
    CORRECT = "correct"


class HistoryOrder(StrEnum):
    """Result order; ties break on the result id, so pages never overlap."""

    NEWEST = "newest"
    OLDEST = "oldest"
    CONFIDENCE = "confidence"
