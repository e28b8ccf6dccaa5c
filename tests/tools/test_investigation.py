"""The follow-up parser and the plan runner, without models or a database."""

from __future__ import annotations

import datetime as dt

import pytest
from shapely.geometry import box

from geomag_core.findings import Finding
from tools.investigation.evaluation import load_prompts, operations_of, score
from tools.investigation.executing import Measured, run_plan
from tools.investigation.plan import Aggregate, Condition, Filter, Period, Plan, Rank
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


def test_how_big_are_they_gives_the_sizes_not_a_new_search() -> None:
    plan = read_plan("how big are they?", has_previous=True)
    assert plan is not None and plan.kind == "followup" and plan.aggregate.kind == "sizes"
    assert read_plan("how big are they?", has_previous=False) is None  # nothing to size: search
    sizes = run_plan(plan, ITEMS, scene_area_m2=None, what="four results")
    assert sizes.value == pytest.approx(41.5)  # the median length
    assert "Length: median 41.5 m, from 20.0 to 62.0 m, over 4 result(s)." in sizes.lines
    assert "Area: median 1,200.0 m², from 300.0 to 2,600.0 m², over 4 result(s)." in sizes.lines
    # a single figure asked for is that figure, and a ranking stays a ranking
    assert read_plan("what is the average size of them?", has_previous=True).aggregate.kind == (  # type: ignore[union-attr]
        "mean"
    )
    assert read_plan("how big is the largest one?", has_previous=True).rank is not None  # type: ignore[union-attr]


TODAY = dt.date(2026, 1, 7)  # early in a year: "in December" is last year's


@pytest.mark.parametrize(
    ("question", "since", "until"),
    [
        ("what did we find since yesterday?", dt.date(2026, 1, 6), None),
        ("what was found yesterday?", dt.date(2026, 1, 6), dt.date(2026, 1, 7)),
        ("aircraft found in December", dt.date(2025, 12, 1), dt.date(2026, 1, 1)),
        ("tanks found last month", dt.date(2025, 12, 1), dt.date(2026, 1, 1)),
        ("results of the past 2 weeks", dt.date(2025, 12, 24), None),
        ("what did we store since Dec 30?", dt.date(2025, 12, 30), None),
        ("results between 2025-12-20 and 2025-12-22", dt.date(2025, 12, 20), dt.date(2025, 12, 23)),
    ],
)
def test_periods_count_from_today(question: str, since: dt.date, until: dt.date | None) -> None:
    plan = read_plan(question, has_previous=False, today=TODAY)
    assert plan is not None and plan.kind == "history" and plan.filter is not None
    assert plan.filter.period == Period(since, until)


def test_history_scope_box_footprint_verdict_and_scene_groups() -> None:
    box = read_plan("what is stored in the box 1.4, 43.7, 1.3, 43.6?", has_previous=False)
    assert box is not None and box.filter is not None
    assert box.filter.bbox == (1.3, 43.6, 1.4, 43.7)  # corners sorted, longitude first
    off_globe = read_plan("what is stored in the box 200, 43, 210, 44?", has_previous=False)
    assert off_globe is not None and off_globe.kind == "not_understood"
    assert "not four corners on the globe" in off_globe.reason
    short = read_plan("what did we find in the box 1, 2, 3?", has_previous=False)
    assert short is not None and short.kind == "not_understood"  # not a search for "box 1"
    rejected = read_plan("the aircraft I rejected", has_previous=True)
    assert (
        rejected is not None
        and rejected.signature() == "history|label=aircraft|verdict=reject|list"
    )
    most = read_plan("in which tile were the fewest cars found?", has_previous=False)
    assert (
        most is not None
        and most.signature() == "history|label=car|group:scene|rank:count:asc:1|count"
    )
    # a follow-up on "them" within a radius of a point stays a follow-up
    near = read_plan("how many of them are within 300 m of 47.1, -99.2?", has_previous=True)
    assert near is not None and near.kind == "followup"


def test_compare_scenes_is_not_compare_dates_and_describe_is_no_caption() -> None:
    assert read_plan("compare the water between the two dates", has_previous=True) is None
    compare = read_plan("compare the aircraft with the other airport", has_previous=True)
    assert compare is not None and compare.signature() == "compare|label=aircraft|count"
    assert read_plan("what is in this scene?", has_previous=False) == Plan(
        "describe", source="scene"
    )
    assert read_plan("what aircraft are in this scene?", has_previous=False) is None  # a search


@pytest.mark.parametrize(
    ("question", "call"),
    [
        ("how many of them are longer than 40 m?",
         {"operation": "followup", "min_length_m": 40, "aggregate": "count"}),
        ("the three largest tanks",
         {"operation": "followup", "labels": ["oil-storage tank"], "rank_by": "area",
          "top_n": 3}),
        ("which scene had the most aircraft?",
         {"operation": "history", "labels": ["aircraft"], "per_scene": True, "rank_by": "count",
          "top_n": 1, "aggregate": "count"}),
        ("what is the total area of them?",
         {"operation": "followup", "aggregate": "total", "measure": "area"}),
        ("how many cars did I reject?",
         {"operation": "history", "labels": ["car"], "verdict": "reject", "aggregate": "count"}),
    ],
)  # fmt: skip
def test_the_llm_tool_and_the_parser_build_the_same_plan(
    question: str, call: dict[str, object]
) -> None:
    """One implementation, two planners: a tool call and the parser meet in one Plan type."""
    from tools.registry import StoredArgs, plan_of

    read = read_plan(question, has_previous=True)
    assert read is not None
    assert plan_of(StoredArgs(scene="x.tif", **call)).signature() == read.signature()  # type: ignore[arg-type]
