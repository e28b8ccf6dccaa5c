"""The GeoMag pipeline graph: classify, route to a capability, look, ground, store, answer.

``start → classify → choose → look → store → respond``. It needs no tool-calling model: the
granularity classifier and the routing step (:mod:`tools.capabilities.routing`) decide. Every
node streams step events (:mod:`agent.events`).
"""

from __future__ import annotations

import functools
import time
from typing import Any

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
from geomag_core.temporal import DateQuestion
from tools.capabilities import Reading, active_capabilities, add_budgets, read, route
from tools.capabilities.change import compare_dates
from tools.looking import classify_question
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


def choose(state: QuestionState, runtime: Runtime[AgentContext]) -> Update:
    """Route: which active capability answers which part of the question, and why."""
    t = time.perf_counter()
    wb = _workbench(runtime)
    reading = read(state.question, state.granularity)
    decided = route(reading, wb.scene(state.scene), active_capabilities(wb)).as_dict()
    emit("route", **decided)
    if reading.vocabulary.known or decided["unknown"]:  # what nano is asked for
        emit(
            "vocabulary",
            known=[c.name for c in reading.vocabulary.known],
            unknown=decided["unknown"],
            caveats=reading.vocabulary.caveats,
        )
    return {"route": decided, "timings_ms": _timed("choose", state, t)}


def look(state: QuestionState, runtime: Runtime[AgentContext]) -> Update:
    """Each routed capability looks (across dates for a change question); merge the evidence."""
    t = time.perf_counter()
    wb = _workbench(runtime)
    capabilities = {c.name: c for c in active_capabilities(wb)}
    reading = read(state.question, state.granularity)
    change = state.route.get("change")
    if change is not None:
        reading = Reading(
            reading.question, reading.granularity, reading.vocabulary, DateQuestion(**change)
        )
    update: Update = {
        "zoom_steps": [],
        "boxes": [],
        "budget": {},
        "findings": {},
        "vlm_text": "",
        "results": [],
    }
    for part in state.route.get("parts", []):
        cap = capabilities[part["capability"]]
        if change is not None and not cap.measures:
            update["findings"][cap.name] = {
                "refusal": f"{cap.title} measures nothing comparable across dates: a change "
                "question needs a capability that counts or measures (nano's classes, water, "
                "vegetation). Nothing was compared."
            }
            continue
        if change is not None:
            looked = compare_dates(cap, state.scene, reading, part["subjects"], emit)
        else:
            looked = cap.look(
                state.scene, reading, part["subjects"], emit, max_depth=_max_depth(runtime)
            )
        update["results"] += looked.results
        update["zoom_steps"] += looked.zoom_steps
        update["boxes"] += looked.boxes
        update["budget"] = add_budgets(update["budget"], looked.budget)
        update["findings"][cap.name] = looked.findings
        update["vlm_text"] = update["vlm_text"] or looked.vlm_text
    update["timings_ms"] = _timed("look", state, t)
    return update


def _versions(state: QuestionState) -> dict[str, Any]:
    """Methods the capabilities report (spectral index and threshold), for provenance."""
    methods = [m["method"] for found in state.findings.values() for m in found.get("measures", [])]
    route = ", ".join(p["capability"] for p in state.route.get("parts", []))
    return {"route": route or "none"} | ({"method": "; ".join(methods)} if methods else {})


def store(state: QuestionState, runtime: Runtime[AgentContext]) -> Update:
    """Save query, zoom steps and results in one transaction (idempotent on ``request_id``)."""
    t = time.perf_counter()
    thread_id = get_config().get("configurable", {}).get("thread_id")
    saved = store_question(
        _workbench(runtime), state, thread_id=thread_id, versions=_versions(state)
    )
    emit("stored", query_id=saved.query_id, results=len(saved.result_ids))
    return {
        "query_id": saved.query_id,
        "result_ids": saved.result_ids,
        "timings_ms": _timed("store", state, t),
    }


def respond(state: QuestionState, runtime: Runtime[AgentContext]) -> Update:
    """Write the analyst's answer from the evidence, and remember the question in the thread."""
    wb = _workbench(runtime)
    answer = compose_answer(state, active_capabilities(wb), meaningful=wb.meaningful)
    emit("done", answer=answer, query_id=state.query_id, result_ids=state.result_ids)
    entry = {
        "question": state.question,
        "scene": state.scene,
        "granularity": state.granularity,
        "query_id": state.query_id,
        "answer": answer,
    }
    return {"answer": answer, "history": [entry]}


def build_pipeline(checkpointer: Any = None) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Compile the pipeline (with ``checkpointer`` for resumable threads)."""
    graph = StateGraph(QuestionState, context_schema=AgentContext)
    graph.add_node("start", start)
    graph.add_node("classify", classify)
    graph.add_node("choose", choose)
    graph.add_node("look", look)
    graph.add_node(
        "store",
        store,
        retry_policy=RetryPolicy(max_attempts=3, retry_on=DatabaseError, initial_interval=0.2),
    )
    graph.add_node("respond", respond)
    graph.add_edge(START, "start")
    graph.add_edge("start", "classify")
    graph.add_edge("classify", "choose")
    graph.add_edge("choose", "look")
    graph.add_edge("look", "store")
    graph.add_edge("store", "respond")
    graph.add_edge("respond", END)
    return graph.compile(checkpointer=checkpointer, name="geomag-pipeline")
