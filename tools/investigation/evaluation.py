"""Plan accuracy of the follow-up parser on the prompts in ``followups.tsv``.

A prompt is right when its plan's signature (:meth:`~tools.investigation.plan.Plan.signature`:
the operations and their parameters) equals the expected one; ``search`` stands for "not a
follow-up: search the scene". Accuracy is given per split (``dev``: used while building the
parser; ``heldout``: never used for tuning) and per operation (the prompts whose expected plan
has it).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from tools.investigation.reading import read_plan

__all__ = ["PROMPTS", "TODAY", "Prompt", "Scored", "load_prompts", "operations_of", "score"]

#: The project's follow-up prompts with their expected plans.
PROMPTS = Path(__file__).with_name("followups.tsv")
#: The day the prompts' "yesterday" and "last week" are read from (a Wednesday).
TODAY = dt.date(2026, 3, 18)


@dataclass(frozen=True)
class Prompt:
    """One prompt: its split, whether a previous answer exists, the words, the expected plan."""

    split: str
    previous: bool
    question: str
    expected: str


@dataclass
class Scored:
    """Accuracy of one split: overall, per operation, and the misses."""

    split: str
    right: int = 0
    total: int = 0
    by_operation: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    misses: list[tuple[str, str, str]] = field(default_factory=list)
    """(question, expected, got)."""

    @property
    def accuracy(self) -> float:
        """Share of prompts read into exactly the expected plan."""
        return self.right / max(self.total, 1)


def load_prompts(path: Path = PROMPTS) -> list[Prompt]:
    """The prompts of a ``split previous question plan`` TSV (``#`` lines are comments)."""
    with path.open(encoding="utf-8") as handle:
        lines = [line for line in handle if line.strip() and not line.startswith("#")]
    rows = list(csv.DictReader(lines, delimiter="\t"))
    return [Prompt(r["split"], r["previous"] == "yes", r["question"], r["plan"]) for r in rows]


def operations_of(signature: str) -> list[str]:
    """The operations a plan signature names: ``followup|length>40|count`` → filter, count."""
    if signature in ("search", "not_understood", "describe"):
        return [signature]
    kind, *parts = signature.split("|")
    ops = [kind] if kind in ("recall", "history", "compare") else []
    if any(not p.startswith(("rank:", "group:")) for p in parts[:-1]):
        ops.append("filter")
    if any(p.startswith("group:") for p in parts):
        ops.append("group")
    if any(p.startswith("rank:") for p in parts):
        ops.append("rank")
    ops.append(parts[-1].split(":")[0])
    return ops


def score(prompts: list[Prompt]) -> dict[str, Scored]:
    """Read every prompt and score it, per split."""
    out: dict[str, Scored] = {}
    for p in prompts:
        plan = read_plan(p.question, has_previous=p.previous, today=TODAY)
        got = "search" if plan is None else plan.signature()
        s = out.setdefault(p.split, Scored(p.split))
        s.total += 1
        ok = got == p.expected
        s.right += ok
        for op in operations_of(p.expected):
            s.by_operation[op][0] += ok
            s.by_operation[op][1] += 1
        if not ok:
            s.misses.append((p.question, p.expected, got))
    return out
