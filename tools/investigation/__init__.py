"""Investigations: follow-up questions answered from what is stored, with no language model.

:func:`understand` reads a question (with the thread's last answer, if any) into a
:class:`~tools.investigation.plan.Plan`, or says it is a new search (``None``); a new search that
was asked before about the same scene bytes with the same models is answered from its stored
results. :func:`follow_up` runs a plan over stored results and writes the answer. Neither
searches the scene nor writes to the database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from db.evidence import StoredQuery, load_results, scene_queries
from geomag_core.labels import counted
from tools.capabilities import active_capabilities
from tools.capabilities.vlm import TINY_WARNING
from tools.investigation.describing import describe_scene
from tools.investigation.executing import Worked, measure_results, run_plan
from tools.investigation.history import compare_scenes, search_history
from tools.investigation.plan import Aggregate, Plan
from tools.investigation.reading import CAN_DO, asks_again, read_plan
from tools.workbench import Workbench

__all__ = ["Earlier", "Plan", "Worked", "follow_up", "investigate", "understand"]


@dataclass(frozen=True)
class Earlier:
    """The results a follow-up works on: the ids, and where they came from in words."""

    result_ids: tuple[int, ...]
    source: str
    """``query #5 (how many aircraft are there?)``."""


def _normal(question: str) -> str:
    return " ".join(question.lower().replace("?", " ").replace(".", " ").split())


def _asked_before(
    wb: Workbench, scene: str, question: str, request_id: str | None
) -> StoredQuery | None:
    """The latest stored answer to the same question on the same bytes with the same models.

    Only an answer that found shapes is reused: a text answer or "none found" (which may mean
    "too small to see here") is asked again, so it is said as it was. A stored answer of this
    very request (a run resumed after a crash) is not "asked before" either.
    """
    sha = wb.scene(scene).content_hash
    versions = wb.model_versions()
    same = [
        q
        for q in scene_queries(wb.engine, sha)
        if _normal(q.question) == _normal(question)
        and all(q.model_versions.get(k) == v for k, v in versions.items())
        and not q.question.startswith("measure ")
        and q.found > 0
        and (request_id is None or q.request_id != request_id)
    ]
    return same[-1] if same else None


def _free_form(wb: Workbench) -> bool:
    """Whether an active capability answers any question (a VLM), so can describe a scene."""
    return any(c.subjects is None for c in active_capabilities(wb))


def understand(
    wb: Workbench,
    scene: str,
    question: str,
    earlier: Earlier | None,
    request_id: str | None = None,
) -> tuple[Plan | None, StoredQuery | None]:
    """The plan for ``question`` (``None``: a new search), and the stored answer it reuses."""
    plan = read_plan(question, has_previous=earlier is not None and bool(earlier.result_ids))
    if plan is not None and plan.kind == "describe" and _free_form(wb):
        return None, None  # a VLM can caption the scene: the search answers it
    if plan is not None or asks_again(question):
        return plan, None
    before = _asked_before(wb, scene, question, request_id)
    if before is None:
        return None, None
    return Plan("recall", source="asked before", aggregate=Aggregate("count")), before


def _scene_area_m2(wb: Workbench, scene: str) -> float | None:
    s = wb.scene(scene)
    if not s.is_georeferenced:
        return None
    from pyproj import CRS

    from geomag_core.polygons.grounded import equal_area_m2

    return equal_area_m2(s.footprint_wgs84, CRS.from_epsg(4326))


def _beyond_previous(wb: Workbench, plan: Plan, scene: str, scenes: Sequence[str]) -> Worked:
    """History, compare and describe plans: they read more than the thread's last answer."""
    if plan.kind == "history":
        worked = search_history(wb, plan, scene)
    elif plan.kind == "compare":
        worked = compare_scenes(wb, plan, [*scenes, scene])
    else:
        worked = describe_scene(wb, plan, scene)
    lines = [f"Understood: {worked.plan.describe()}.", *worked.lines]
    if not wb.meaningful:  # stored results of random-weight test models
        lines.insert(0, TINY_WARNING)
    lines.append(
        f"Read {len(worked.plan.read_ids)} stored result(s); nothing was searched or stored."
    )
    return Worked(worked.plan, worked.kept, tuple(lines), worked.value, worked.drawn)


def follow_up(
    wb: Workbench,
    plan: Plan,
    scene: str,
    earlier: Earlier | None,
    before: StoredQuery | None = None,
    scenes: Sequence[str] = (),
) -> Worked:
    """Run ``plan`` on the stored results it reads and write the answer (reads only).

    ``scenes``: the scenes asked about earlier in this investigation (for ``compare``).
    """
    if plan.kind == "not_understood":
        refusal = (
            f"Not understood: {plan.reason}.",
            f"What I can do: {CAN_DO}.",
            "Nothing was searched, stored, changed or deleted.",
        )
        return Worked(plan, (), refusal)
    if plan.kind in ("history", "compare", "describe"):
        return _beyond_previous(wb, plan, scene, scenes)
    s = wb.scene(scene)
    intro: list[str] = []
    if plan.source == "asked before" and before is not None:
        ids: Sequence[int] = before.result_ids
        what = f"the {len(ids)} stored result(s) of query #{before.query_id}"
        intro.append(
            f"Asked before about these scene bytes with the same models: query #{before.query_id}"
            f" ({before.created_at:%Y-%m-%d %H:%M} UTC). Its stored results are reused: nothing "
            "was searched or stored again (ask “from scratch” to search anew)."
        )
    elif plan.source == "scene":
        queries = [q for q in scene_queries(wb.engine, s.content_hash)]
        ids = [i for q in queries for i in q.result_ids]
        if not queries:
            nothing = (
                f"Understood: {plan.describe()}.",
                f"Nothing is stored about {s.path.name}: it has not been asked about before "
                "(with this database). Ask a question about it to search it.",
            )
            return Worked(plan, (), nothing)
        intro.append(
            f"{s.path.name} was asked about {len(queries)} time(s) before: "
            + "; ".join(
                f"#{q.query_id} “{q.question}” ({q.created_at:%Y-%m-%d %H:%M}, "
                f"{len(q.result_ids)} result(s))"
                for q in queries[-5:]
            )
            + ("." if len(queries) <= 5 else f"; and {len(queries) - 5} earlier.")
        )
        what = f"the {len(ids)} stored result(s) of this scene"
    else:
        assert earlier is not None
        ids = earlier.result_ids
        what = f"the {len(ids)} result(s) of {earlier.source}"
    stored = [(r.result_id, r.query_id, r.finding) for r in load_results(wb.engine, ids)]
    items, notes = measure_results(stored, s, wb.scale_of(s))
    worked = run_plan(plan, items, scene_area_m2=_scene_area_m2(wb, scene), what=what)
    labels = Counter(str(m.finding.label) for m in items)
    if plan.source != "previous" and labels:
        intro.append(
            "Stored: " + ", ".join(counted(n, label) for label, n in labels.most_common()) + "."
        )
    lines = [*intro, *worked.lines, *notes]
    if not wb.meaningful:  # the stored results came from random-weight test models
        lines.insert(0, TINY_WARNING)
    lines.append(
        f"Read {len(worked.plan.read_ids)} stored result(s); nothing was searched or stored."
    )
    return Worked(worked.plan, worked.kept, tuple(lines), worked.value)


def investigate(
    wb: Workbench,
    scene: str,
    question: str,
    earlier: Earlier | None,
    request_id: str | None = None,
    scenes: Sequence[str] = (),
) -> Worked | None:
    """Answer ``question`` from stored results, or ``None`` when the scene must be searched.

    ``scenes``: the scenes asked about earlier in this investigation (for ``compare``).
    """
    plan, before = understand(wb, scene, question, earlier, request_id)
    return None if plan is None else follow_up(wb, plan, scene, earlier, before, scenes)
