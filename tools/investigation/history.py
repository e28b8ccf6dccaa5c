"""History and comparison plans: questions over everything stored, and scenes side by side.

Both read through :mod:`db.history` and count **distinct objects**: the same aircraft found by
three questions is one aircraft (:func:`db.history.distinct_objects`), and each answer says how
many stored results that was. Only what was stored is known: a scene never asked about, or
never searched for a class, is said to be unsearched, never "none found".
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace

from db.enums import ResultKind, Verdict
from db.evidence import load_results, scene_queries
from db.history import DistinctObject, HistoryFilter, Near, distinct_objects, find_all_results
from geomag_core.labels import counted, labels_in
from tools.investigation.executing import LISTED, Worked
from tools.investigation.plan import Condition, Filter, Plan
from tools.workbench import Workbench

__all__ = ["compare_scenes", "search_history"]

_SUMMARY: dict[str, Callable[[list[float]], float]] = {
    "total": lambda v: float(sum(v)),
    "mean": statistics.fmean,
    "median": lambda v: float(statistics.median(v)),
}


def _utc(day: dt.date | None) -> dt.datetime | None:
    return None if day is None else dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _where(wb: Workbench, f: Filter, scene: str) -> tuple[HistoryFilter, list[str]]:
    """The database filter of a plan's filter; and what could not be applied, in words."""
    unmet: list[str] = []
    period = f.period
    stored = period is not None and period.of == "stored"
    acquired = period is not None and period.of == "acquired"
    last_day = period.until - dt.timedelta(days=1) if period and period.until else None
    footprint = None
    if f.footprint:
        s = wb.scene(scene)
        if s.is_georeferenced:
            footprint = s.footprint_wgs84
        else:
            unmet.append(
                f"{s.path.name} has no CRS, so it has no footprint on the ground: every stored "
                "result is counted, not only those inside it"
            )
    return (
        HistoryFilter(
            labels=list(f.labels),
            since=_utc(period.since) if stored and period else None,
            until=_utc(period.until) if stored and period else None,
            acquired_since=period.since if acquired and period else None,
            acquired_until=last_day if acquired else None,
            near=(
                Near(f.near.lon, f.near.lat, f.near.radius_m)
                if f.near is not None and f.near.lat is not None and f.near.lon is not None
                else None
            ),
            bbox=f.bbox,
            intersects=footprint,
            verdicts=[Verdict(f.verdict)] if f.verdict else [],
        ),
        unmet,
    )


def _meets(value: float | None, c: Condition) -> bool:
    return value is not None and (value > c.value if c.op == ">" else value < c.value)


def _objects(wb: Workbench, plan: Plan, scene: str) -> tuple[list[DistinctObject], list[str]]:
    """The distinct objects a history plan reads, after its conditions; notes in words."""
    f = plan.filter or Filter()
    where, notes = _where(wb, f, scene)
    records = [
        r for r in find_all_results(wb.engine, where) if r.kind != ResultKind.ANSWER
    ]  # shapes only: a text answer is not an object
    objects = distinct_objects(records)
    if f.conditions:
        best = [o.best.result_id for o in objects]
        findings = {s.result_id: s.finding for s in load_results(wb.engine, best)}
        kept, unmeasured = [], 0
        for o in objects:
            finding = findings.get(o.best.result_id)
            values = {
                "length": finding.length_m if finding else None,
                "area": o.best.area_m2,
                "confidence": o.best.confidence,
            }
            if any(values[c.measure] is None for c in f.conditions):
                unmeasured += 1
            elif all(_meets(values[c.measure], c) for c in f.conditions):
                kept.append(o)
        if unmeasured:
            notes.append(
                f"{unmeasured} object(s) have no metric size (a scene without a CRS) and were "
                "left out"
            )
        objects = kept
    return objects, notes


def _name(o: DistinctObject) -> str:
    return o.best.scene_uri.rsplit("/", 1)[-1]


def _line(o: DistinctObject) -> str:
    r = o.best
    conf = f" {r.confidence:.2f}" if r.confidence is not None else ""
    area = f", {r.area_m2:,.0f} m²" if r.area_m2 is not None else ""
    again = f", found by {o.queries} questions" if o.queries > 1 else ""
    return (
        f"- #{r.result_id} {r.label or r.kind}{conf}{area} — {_name(o)}, "
        f"{r.created_at:%Y-%m-%d %H:%M}, query #{r.query_id} “{r.query_text}”{again}"
    )


def _scope(plan: Plan) -> str:
    return (
        "Searched the history (everything stored in this database)"
        + (f" for {plan.filter.describe()}" if plan.filter else "")
        + "."
    )


def _said_per_scene(plan: Plan, objects: list[DistinctObject]) -> tuple[list[str], float | None]:
    per: dict[str, Counter[str]] = defaultdict(Counter)
    for o in objects:
        per[_name(o)][o.best.label or "?"] += 1
    totals = {name: sum(c.values()) for name, c in per.items()}
    descending = plan.rank.descending if plan.rank else True
    order = sorted(totals, key=lambda n: (-totals[n] if descending else totals[n], n))
    labels = sorted({label for c in per.values() for label in c})
    lines = [
        "| scene | " + " | ".join(labels) + " |",
        "|---|" + "---|" * len(labels),
        *(f"| {n} | " + " | ".join(str(per[n][lb]) for lb in labels) + " |" for n in order),
        "",  # a table ends at a blank line
    ]
    if plan.rank is not None and order:
        best = totals[order[0]]
        tied = [n for n in order if totals[n] == best]
        word = "Most" if descending else "Fewest"
        tie = ", a tie" if len(tied) > 1 else ""
        head = f"{word}: {' and '.join(tied)} ({best} object(s){tie})."
        if not descending:
            head += " Scenes with none are not listed: only scenes with stored results are known."
        return [head, *lines], float(best)
    return [f"{len(order)} scene(s):", *lines], float(len(order))


def search_history(wb: Workbench, plan: Plan, scene: str) -> Worked:
    """Run a ``history`` plan over everything stored (reads only)."""
    objects, notes = _objects(wb, plan, scene)
    results = sum(len(o.result_ids) for o in objects)
    read = tuple(i for o in objects for i in o.result_ids)
    lines = [_scope(plan)]
    if not objects:
        verdict = plan.filter.verdict if plan.filter else None
        lines.append(
            f"No stored result has the verdict “{verdict}” (verdicts are given on the History "
            "page: accept, reject, correct)."
            if verdict
            else "Nothing stored matches. Only what was asked about and stored is known: this "
            "does not mean there is nothing there."
        )
        return Worked(replace(plan, read_ids=read), (), tuple(lines + notes), 0.0)
    lines.append(
        f"{len(objects)} distinct object(s) in {len({o.best.scene_id for o in objects})} scene(s) "
        f"({results} stored result(s): an object found by several questions counts once)."
    )
    value: float | None
    agg = plan.aggregate
    if plan.group == "scene":
        said, value = _said_per_scene(plan, objects)
        lines += said
    else:
        if plan.rank is not None and plan.rank.key == "area":
            objects.sort(key=lambda o: o.best.area_m2 or 0.0, reverse=plan.rank.descending)
        elif plan.rank is not None and plan.rank.key == "confidence":
            objects.sort(key=lambda o: o.best.confidence or 0.0, reverse=plan.rank.descending)
        if plan.rank is not None and plan.rank.n:
            objects = objects[: plan.rank.n]
        labels = Counter(o.best.label or "?" for o in objects)
        if agg.kind == "count":
            value = float(len(objects))
            lines.append(
                f"Count: {len(objects)} ("
                + ", ".join(counted(n, label) for label, n in labels.most_common())
                + ")."
            )
        elif agg.kind in ("total", "mean", "median") and agg.measure == "area":
            areas = [o.best.area_m2 for o in objects if o.best.area_m2 is not None]
            value = _SUMMARY[agg.kind](areas) if areas else None
            lines.append(
                f"{agg.kind.capitalize()} area: {value:,.0f} m² over {len(areas)} object(s) with "
                "a metric area."
                if value is not None
                else "No object has a metric area."
            )
        else:
            value = None
            lines.append(
                "Stored: " + ", ".join(counted(n, label) for label, n in labels.most_common()) + "."
            )
            lines += [_line(o) for o in objects[:LISTED]]
            if len(objects) > LISTED:
                lines.append(f"… and {len(objects) - LISTED} more (the History page lists all).")
    kept = tuple(o.best.result_id for o in objects)
    here = wb.scene(scene).content_hash
    drawn = tuple(o.best.result_id for o in objects if o.best.scene_hash == here)
    if len(drawn) < len(kept):
        notes.append(
            f"{len(drawn)} of the {len(kept)} kept result(s) are on this scene and drawn; the "
            "others are on other scenes (a follow-up works on all of them)."
        )
    return Worked(replace(plan, read_ids=read), kept, tuple(lines + notes), value, drawn)


def _searched_for(wb: Workbench, sha: str) -> set[str]:
    """The labels any stored question about the scene asked for."""
    return {label for q in scene_queries(wb.engine, sha) for label in labels_in(q.question)}


def compare_scenes(wb: Workbench, plan: Plan, scenes: Sequence[str]) -> Worked:
    """Run a ``compare`` plan over the scenes asked about in this investigation (reads only)."""
    unique = list(dict.fromkeys(scenes))
    if len(unique) < 2:
        only = wb.scene(unique[0]).path.name if unique else "no scene"
        return Worked(
            plan,
            (),
            (
                f"Only {only} has been asked about in this investigation, so there is nothing to "
                "compare it with. Ask a question about the other scene in this same "
                "investigation (the same chat, or --thread in the CLI), then ask to compare.",
            ),
        )
    wanted = list(plan.filter.labels) if plan.filter else []
    rows: list[tuple[str, dict[str, list[DistinctObject]], set[str]]] = []
    read: list[int] = []
    for path in unique:
        s = wb.scene(path)
        records = [
            r
            for r in find_all_results(wb.engine, HistoryFilter(scene=s.content_hash, labels=wanted))
            if r.kind != ResultKind.ANSWER
        ]
        groups: dict[str, list[DistinctObject]] = defaultdict(list)
        for o in distinct_objects(records):
            groups[o.best.label or "?"].append(o)
            read.extend(o.result_ids)
        rows.append((s.path.name, groups, _searched_for(wb, s.content_hash)))
    labels = wanted or sorted({lb for _, g, _ in rows for lb in g})
    area = plan.aggregate.kind in ("total", "mean", "median")
    head = " | ".join(f"{lb} ({plan.aggregate.kind} m²)" if area else lb for lb in labels)
    lines = [
        f"Compared {len(unique)} scenes of this investigation by their stored results "
        "(distinct objects):",
        f"| scene | {head} |",
        "|---|" + "---|" * len(labels),
    ]
    values: dict[str, list[float | None]] = defaultdict(list)
    for name, groups, searched in rows:
        cells = []
        for lb in labels:
            objects = groups.get(lb, [])
            if not objects and lb not in searched:
                cells.append("not searched")
                values[lb].append(None)
                continue
            if area:
                areas = [o.best.area_m2 for o in objects if o.best.area_m2 is not None]
                v = _SUMMARY[plan.aggregate.kind](areas) if areas else 0.0
                cells.append(f"{v:,.0f}")
            else:
                v = float(len(objects))
                cells.append(str(len(objects)))
            values[lb].append(v)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("")  # a table ends at a blank line
    names = [name for name, _, _ in rows]
    for lb in labels:
        known = [(v, n) for v, n in zip(values[lb], names, strict=True) if v is not None]
        if len(known) >= 2:
            top = max(known)
            low = min(known)
            if top[0] == low[0]:
                lines.append(f"{lb}: the same in every scene searched for it ({top[0]:g}).")
            else:
                lines.append(
                    f"{lb}: most in {top[1]} ({top[0]:,.0f}), fewest in {low[1]} ({low[0]:,.0f})."
                )
        missing = [n for v, n in zip(values[lb], names, strict=True) if v is None]
        if missing:
            lines.append(
                f"{', '.join(missing)} was never searched for {lb}: ask it there to compare."
            )
    if not labels:
        lines.append("Nothing is stored for these scenes yet.")
    return Worked(replace(plan, read_ids=tuple(read)), (), tuple(lines))
