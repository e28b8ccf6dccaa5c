"""The follow-up parser and the plan runner, without models or a database."""

from __future__ import annotations

import pytest
from shapely.geometry import box

from geomag_core.findings import Finding
from tools.investigation.evaluation import load_prompts, operations_of, score
from tools.investigation.executing import Measured, run_plan
from tools.investigation.plan import Aggregate, Condition, Filter, Plan, Rank
from tools.investigation.reading import read_plan


def test_every_dev_prompt_is_read_into_its_plan() -> None:
    scored = score(load_prompts())
    assert scored["dev"].total >= 100 and scored["dev"].misses == []


def test_the_held_out_prompts_stay_above_95_percent() -> None:
    """Never used for tuning: a guard against a change that reads unseen wordings worse."""
    heldout = score(load_prompts())["heldout"]
    assert heldout.total >= 50 and heldout.accuracy >= 0.95, heldout.misses


@pytest.mark.parametrize(
    ("question", "signature"),
    [
        ("how many of them are longer than 0.04 km?", "followup|length>40|count"),
        ("which of those exceed 2,500 m²?", "followup|area>2.5e+03|list"),
        ("keep the ones over 1.5 hectares", "followup|area>1.5e+04|list"),
        ("of those, count the ones with confidence below 75%", "followup|confidence<0.75|count"),
        ("the seven smallest, please", "followup|rank:area:asc:7|list"),
    ],
)
def test_units_and_numbers_are_read_whatever_the_wording(question: str, signature: str) -> None:
    plan = read_plan(question, has_previous=True)
    assert plan is not None and plan.signature() == signature


def test_a_new_search_is_not_a_follow_up() -> None:
    assert read_plan("how many aircraft are there?", has_previous=True) is None
    assert read_plan("how many of them are longer than 40 m?", has_previous=False) is None
    assert read_plan("count them again from scratch", has_previous=True) is None


def test_refusals_say_why_and_what_instead() -> None:
    plan = read_plan("please delete the small ones", has_previous=True)
    assert plan is not None and plan.kind == "not_understood" and "never delete" in plan.reason
    deep = read_plan("how deep is the pond?", has_previous=False)
    assert deep is not None and "depth" in deep.reason
    assert operations_of(deep.signature()) == ["not_understood"]


def test_the_plan_says_itself() -> None:
    plan = Plan(
        "followup",
        filter=Filter((Condition("length", ">", 40),)),
        aggregate=Aggregate("count"),
    )
    assert plan.describe() == "filter(previous, length > 40 m) → count"
    assert operations_of(plan.signature()) == ["filter", "count"]
    assert plan.as_dict()["operations"] == ["filter", "count"]


def _item(rid: int, length: float, area: float, confidence: float, lon: float) -> Measured:
    finding = Finding("mask", "aircraft", confidence, wkt=box(lon, 47, lon + 1e-4, 47.0001).wkt)
    return Measured(rid, 1, finding, length, area, (lon, 47.0), (0.0, 0.0))


ITEMS = [
    _item(1, 35.0, 900.0, 0.91, -99.0),
    _item(2, 62.0, 2600.0, 0.78, -99.3),
    _item(3, 48.0, 1500.0, 0.85, -99.1),
    _item(4, 20.0, 300.0, 0.60, -99.2),
]


def test_filter_rank_and_aggregate_compute_what_they_say() -> None:
    longer = Filter((Condition("length", ">", 40),))
    count = run_plan(
        Plan("followup", filter=longer, aggregate=Aggregate("count")),
        ITEMS, scene_area_m2=None, what="four results",
    )  # fmt: skip
    assert count.value == 2 and count.kept == (2, 3)
    assert count.plan.read_ids == (1, 2, 3, 4)
    top = run_plan(Plan("followup", rank=Rank("area", True, 2)), ITEMS, scene_area_m2=None,
                   what="x")  # fmt: skip
    assert top.kept == (2, 3)
    west = run_plan(Plan("followup", rank=Rank("west")), ITEMS, scene_area_m2=None, what="x")
    assert west.kept == (2, 4, 3, 1)
    mean = run_plan(Plan("followup", aggregate=Aggregate("mean", "length")), ITEMS,
                    scene_area_m2=None, what="x")  # fmt: skip
    assert mean.value == pytest.approx((35 + 62 + 48 + 20) / 4)
    share = run_plan(Plan("followup", aggregate=Aggregate("share", "area")), ITEMS,
                     scene_area_m2=53_000.0, what="x")  # fmt: skip
    assert share.value == pytest.approx(5300 / 53_000)
    confident = run_plan(
        Plan("followup", filter=Filter((Condition("confidence", ">", 0.8),)),
             aggregate=Aggregate("total", "area")),
        ITEMS, scene_area_m2=None, what="x",
    )  # fmt: skip
    assert confident.kept == (1, 3) and confident.value == pytest.approx(2400.0)
