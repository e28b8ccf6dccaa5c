"""The GeoMag pipeline graph: classify, zoom where the question points, look, ground, store.

``start → classify → {image | region | pixel} → store → respond``. It needs no tool-calling model:
the granularity classifier routes. Every node streams step events (:mod:`agent.events`).
"""

from __future__ import annotations

import functools
import time
from typing import Any, Literal

from langgraph.config import get_config
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import RetryPolicy

from agent.answers import compose_answer
from agent.context import AgentContext
from agent.events import emit
from agent.state import QuestionState
from geomag_core.config import Settings
from geomag_core.errors import DatabaseError, EmptyQueryError
from geomag_core.nano.vocabulary import read_question
from tools.looking import ask_vlm, classify_question, tmra_views, zoom_into
from tools.segmenting import SEG_ANSWER, find_objects, segment_crop
from tools.storing import store_question
from tools.workbench import Workbench

__all__ = ["build_pipeline"]

Update = dict[str, Any]


@functools.cache
def _default_workbench() -> Workbench:
    return Workbench(Settings())


def _workbench(runtime: Runtime[AgentContext]) -> Workbench:
    """The run's workbench; a default one when the runner passes no context (LangGraph server)."""
    return runtime.context.workbench if runtime.context else _default_workbench()


def _max_depth(runtime: Runtime[AgentContext]) -> int:
    return runtime.context.max_depth if runtime.context else 3


def _timed(name: str, state: QuestionState, started: float) -> dict[str, float]:
    return {**state.timings_ms, name: round((time.perf_counter() - started) * 1000, 1)}


def start(state: QuestionState, runtime: Runtime[AgentContext]) -> Update:
    """Open the scene and clear what the previous question of this thread left behind."""
    t = time.perf_counter()
    if not state.question.strip():
        raise EmptyQueryError()
    info = _workbench(runtime).scene(state.scene).info()
    emit("scene", path=state.scene, width=info["width"], height=info["height"], crs=info["crs"])
    fresh = QuestionState(scene=state.scene, question=state.question, request_id=state.request_id)
    update = {k: v for k, v in vars(fresh).items() if k != "history"}
    return {**update, "timings_ms": _timed("start", fresh, t)}


def classify(state: QuestionState, runtime: Runtime[AgentContext]) -> Update:
    """Granularity and probabilities of the question."""
    t = time.perf_counter()
    out = classify_question(_workbench(runtime), state.question)
    emit("classified", granularity=out["granularity"], probabilities=out["probs"])
    return {
        "granularity": out["granularity"],
        "probabilities": out["probs"],
        "timings_ms": _timed("classify", state, t),
    }


def route(state: QuestionState) -> Literal["look_image", "look_region", "look_pixel"]:
    """Pick the branch for the granularity."""
    return {"image": "look_image", "region": "look_region", "pixel": "look_pixel"}[
        state.granularity
    ]  # type: ignore[return-value]


def look_image(state: QuestionState, runtime: Runtime[AgentContext]) -> Update:
    """A small square of the whole scene is enough: ask the VLM about it."""
    t = time.perf_counter()
    wb = _workbench(runtime)
    if wb.profile == "nano":
        return _look_nano(state, runtime, t)
    views = tmra_views(wb, state.scene, "image")
    return _answer_from_views(state, runtime, views, [], [], t)


def look_region(state: QuestionState, runtime: Runtime[AgentContext]) -> Update:
    """Zoom to where the question points, then ask about C1 ⊕ D(I)."""
    t = time.perf_counter()
    wb = _workbench(runtime)
    if wb.profile == "nano":
        return _look_nano(state, runtime, t)
    trail = zoom_into(wb, state.scene, state.question, max_depth=_max_depth(runtime))
    steps = _emit_zoom(trail.steps)
    s = wb.scene(state.scene)
    bbox1 = list(trail.final.as_tuple()) if trail.steps else [0, 0, s.width, s.height]
    views = tmra_views(wb, state.scene, "region", [bbox1])
    return _answer_from_views(state, runtime, views, steps, [bbox1], t)


def look_pixel(state: QuestionState, runtime: Runtime[AgentContext]) -> Update:
    """Zoom twice (bbox1, then bbox2 inside it), ask about C2 ⊕ D(C1) ⊕ D(D(I)), segment C2."""
    t = time.perf_counter()
    wb = _workbench(runtime)
    if wb.profile == "nano":
        return _look_nano(state, runtime, t)
    trail = zoom_into(wb, state.scene, state.question, max_depth=max(2, _max_depth(runtime)))
    steps = _emit_zoom(trail.steps)
    s = wb.scene(state.scene)
    whole = [0, 0, s.width, s.height]
    bbox1 = list(trail.steps[0].window.as_tuple()) if trail.steps else whole
    bbox2 = list(trail.final.as_tuple()) if len(trail.steps) > 1 else bbox1
    views = tmra_views(wb, state.scene, "pixel", [bbox1, bbox2])
    update = _answer_from_views(state, runtime, views, steps, [bbox1, bbox2], t)
    emit("segmenting", box=bbox2)
    # A model fine-tuned for GeoMag emits one [SEG] per referred object; when the answer holds
    # none (e.g. a model without the token), one [SEG] asks for a single mask of the referent.
    answer = update["vlm_text"] if SEG_ANSWER in update["vlm_text"] else SEG_ANSWER
    masks = segment_crop(wb, state.scene, bbox2, state.question, views, answer)
    update["results"] = update["results"] + masks
    update["timings_ms"] = _timed("look", state, t)
    return update


def store(state: QuestionState, runtime: Runtime[AgentContext]) -> Update:
    """Save query, zoom steps and results in one transaction (idempotent on ``request_id``)."""
    t = time.perf_counter()
    thread_id = get_config().get("configurable", {}).get("thread_id")
    saved = store_question(_workbench(runtime), state, thread_id=thread_id)
    emit("stored", query_id=saved.query_id, results=len(saved.result_ids))
    return {
        "query_id": saved.query_id,
        "result_ids": saved.result_ids,
        "timings_ms": _timed("store", state, t),
    }


def respond(state: QuestionState, runtime: Runtime[AgentContext]) -> Update:
    """Write the analyst's answer from the evidence, and remember the question in the thread."""
    wb = _workbench(runtime)
    answer = compose_answer(state, meaningful=wb.meaningful, profile=wb.profile)
    emit("done", answer=answer, query_id=state.query_id, result_ids=state.result_ids)
    entry = {
        "question": state.question,
        "scene": state.scene,
        "granularity": state.granularity,
        "query_id": state.query_id,
        "answer": answer,
    }
    return {"answer": answer, "history": [entry]}


def _answer_from_views(
    state: QuestionState,
    runtime: Runtime[AgentContext],
    views: Any,
    steps: list[dict[str, Any]],
    boxes: list[list[int]],
    started: float,
) -> Update:
    wb = _workbench(runtime)
    report = views.report()
    emit("views", views=report["views"], budget=report["budget"])
    if wb.profile == "nano":  # no language model: the answer is composed from results
        reply = {"text": "", "meaningful": True}
    else:
        reply = ask_vlm(wb, state.question, views)
    emit("answer", text=reply["text"], meaningful=reply["meaningful"])
    return {
        "zoom_steps": steps,
        "boxes": boxes,
        "budget": report["budget"],
        "vlm_text": reply["text"],
        "results": [{"kind": "answer", "text": reply["text"], "label": None}],
        "timings_ms": _timed("look", state, started),
    }


def _look_nano(state: QuestionState, runtime: Runtime[AgentContext], started: float) -> Update:
    """Nano: search the scene for each of its classes the question names; refuse the rest.

    Whatever the granularity, a question that names a class nano knows is answered by searching
    for it; things nano was not trained on are named in the answer and never searched.
    """
    wb = _workbench(runtime)
    asked = read_question(state.question)
    emit(
        "vocabulary",
        known=[c.name for c in asked.known],
        unknown=asked.unknown,
        caveats=asked.caveats,
    )
    results: list[dict[str, Any]] = []
    steps: list[dict[str, Any]] = []
    searches: list[dict[str, Any]] = []
    budget: dict[str, Any] = {}
    for target in asked.known:
        found = find_objects(wb, state.scene, target)
        for record in found["steps"]:
            emit("zoom", **record)
        if not found["too_coarse"]:
            emit("segmenting", box=[0, 0, *wb.scene(state.scene).size], label=target.name)
        results += found["results"]
        steps += found["steps"]
        budget = _add_budgets(budget, found["budget"])
        searches.append(
            {k: found[k] for k in ("label", "gsd_m", "gsd_source", "implausible", "too_coarse")}
            | {"count": len(found["results"]), "searched_fraction": found["searched_fraction"]}
        )
    findings = {
        "known": [c.name for c in asked.known],
        "unknown": asked.unknown,
        "caveats": asked.caveats,
        "searches": searches,
    }
    return {
        "zoom_steps": steps,
        "boxes": [s["window"] for s in steps],
        "budget": budget,
        "findings": findings,
        "vlm_text": "",
        "results": results,
        "timings_ms": _timed("look", state, started),
    }


def _add_budgets(total: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    """Two searches' budgets as one (pixels and tokens add up; the searched share is the max)."""
    if not total:
        return more
    views = {k: total["views"][k] + more["views"][k] for k in ("pixels", "tokens")}
    return total | {
        "views": views,
        "ratio_to_native": {k: views[k] / total["native"][k] for k in ("pixels", "tokens")},
        "ratio_to_tiling": {k: views[k] / total["tiling"][k] for k in ("pixels", "tokens")},
        "searched_fraction": max(total["searched_fraction"], more["searched_fraction"]),
    }


def _emit_zoom(steps: Any) -> list[dict[str, Any]]:
    out = []
    for step in steps:
        record = step.as_dict()
        emit("zoom", **record)
        out.append(record)
    return out


def build_pipeline(checkpointer: Any = None) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Compile the pipeline (with ``checkpointer`` for resumable threads)."""
    graph = StateGraph(QuestionState, context_schema=AgentContext)
    graph.add_node("start", start)
    graph.add_node("classify", classify)
    graph.add_node("look_image", look_image)
    graph.add_node("look_region", look_region)
    graph.add_node("look_pixel", look_pixel)
    graph.add_node(
        "store",
        store,
        retry_policy=RetryPolicy(max_attempts=3, retry_on=DatabaseError, initial_interval=0.2),
    )
    graph.add_node("respond", respond)
    graph.add_edge(START, "start")
    graph.add_edge("start", "classify")
    graph.add_conditional_edges("classify", route)
    for branch in ("look_image", "look_region", "look_pixel"):
        graph.add_edge(branch, "store")
    graph.add_edge("store", "respond")
    graph.add_edge("respond", END)
    return graph.compile(checkpointer=checkpointer, name="geomag-pipeline")
