"""The GeoMag pipeline graph: classify, route to a capability, look, ground, store, answer.

``start → understand → classify → choose → look → store → respond`` for a new search;
``start → understand → follow`` for a question answered from stored results (a follow-up on
the last answer, a recall of the scene, the same question asked before, or a refusal:
:mod:`tools.investigation`). It needs no tool-calling model: the follow-up parser, the
granularity classifier and the routing step (:mod:`tools.capabilities.routing`) decide. Every
node streams typed step events (:mod:`tools.events`). Only ``store`` writes, in one transaction
for the question and every measurement it made; ``follow`` writes nothing.
"""

from __future__ import annotations

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
from agent.state import PastQuestion, QuestionState
from db.evidence import load_results
from geomag_core.errors import ConfigError, DatabaseError, EmptyQueryError, is_blank
from tools.capabilities import active_capabilities, answering, read, route
from tools.events import Classified, Done, PlanRead, Routed, SceneOpened, Stored, VocabularyRead
from tools.investigation import Earlier, investigate
from tools.looking import classify_question
from tools.storing import Question, store_question
from tools.workbench import Workbench

__all__ = ["build_pipeline"]

#: A node's update of the state: field name → its new (typed) value.
Update = dict[str, object]


def _context(runtime: Runtime[AgentContext]) -> AgentContext:
    """The run's context; a run without one is refused (no silent default database)."""
    if runtime.context is None:
        raise ConfigError(
            "the GeoMag pipeline needs its context: run it through agent.session.Session, or "
            "pass context=AgentContext(workbench=Workbench(Settings()))"
        )
    return runtime.context


def _workbench(runtime: Runtime[AgentContext]) -> Workbench:
    return _context(runtime).workbench


def _timed(name: str, state: QuestionState, started: float) -> dict[str, float]:
    return {**state.timings_ms, name: round((time.perf_counter() - started) * 1000, 1)}


def start(state: QuestionState, runtime: Runtime[AgentContext]) -> Update:
    """Open the scene and clear what the previous question of this thread left behind."""
    t = time.perf_counter()
    if is_blank(state.question):
        raise EmptyQueryError()
    scene = _workbench(runtime).scene(state.scene)
    crs = scene.crs.to_string() if scene.crs is not None else None
    emit(SceneOpened(path=state.scene, width=scene.width, height=scene.height, crs=crs))
    fresh = QuestionState(
        scene=state.scene,
        question=state.question,
        request_id=state.request_id,
        search=state.search,
    )
    update: Update = {k: v for k, v in vars(fresh).items() if k != "history"}
    return {**update, "timings_ms": _timed("start", fresh, t)}


def _earlier(state: QuestionState) -> Earlier | None:
    """The results of the thread's last answer that had any, for a follow-up."""
    for past in reversed(state.history):
        if past.result_ids:
            return Earlier(past.result_ids, past.source or f"query #{past.query_id}")
    return None


def understand_question(state: QuestionState, runtime: Runtime[AgentContext]) -> Update:
    """Decide whether stored results answer the question, and answer it from them if so.

    A follow-up, a recall, the same question asked before or a refusal: the plan runs here (it
    only reads) and ``follow`` finishes; else the scene is searched.
    """
    t = time.perf_counter()
    wb = _workbench(runtime)
    worked = (
        None
        if state.search
        else investigate(
            wb,
            state.scene,
            state.question,
            _earlier(state),
            state.request_id,
            scenes=[past.scene for past in state.history],
        )
    )
    if worked is None:
        return {"plan": None, "timings_ms": _timed("understand", state, t)}
    emit(PlanRead(worked.plan.describe(), worked.plan.operations))
    drawn = load_results(wb.engine, worked.kept if worked.drawn is None else worked.drawn)
    return {
        "plan": worked.plan,
        "answer": "\n".join(worked.lines),
        "results": [r.finding for r in drawn],
        "result_ids": [r.result_id for r in drawn],
        "kept": list(worked.kept),
        "timings_ms": _timed("understand", state, t),
    }


def _searches(state: QuestionState) -> str:
    return "classify" if state.plan is None else "follow"


def follow(state: QuestionState, runtime: Runtime[AgentContext]) -> Update:
    """Finish an answer given from stored results: nothing was searched or stored."""
    emit(Done(answer=state.answer, query_id=None, result_ids=tuple(state.result_ids)))
    entry = PastQuestion(
        question=state.question,
        scene=state.scene,
        granularity="",
        query_id=None,
        answer=state.answer,
        result_ids=tuple(state.kept),
        source=f"the answer to “{state.question}”",
    )
    return {"history": [entry]}


def classify(state: QuestionState, runtime: Runtime[AgentContext]) -> Update:
    """Granularity and probabilities of the question."""
    t = time.perf_counter()
    out = classify_question(_workbench(runtime), state.question)
    probabilities = {g.value: round(p, 6) for g, p in out.probs.items()}
    emit(Classified(out.granularity.value, probabilities))
    return {
        "granularity": out.granularity.value,
        "probabilities": probabilities,
        "timings_ms": _timed("classify", state, t),
    }


def choose(state: QuestionState, runtime: Runtime[AgentContext]) -> Update:
    """Route: which active capability answers which part of the question, and why."""
    t = time.perf_counter()
    wb = _workbench(runtime)
    reading = read(state.question, state.granularity)
    decided = route(reading, wb.scene(state.scene), active_capabilities(wb))
    emit(
        Routed(
            parts=tuple((p.capability, p.subjects, p.why) for p in decided.parts),
            refused=tuple((r.subject, r.why) for r in decided.refused),
            across_dates=decided.dates is not None,
        )
    )
    if reading.vocabulary.known or decided.unknown:  # what nano is asked for
        emit(
            VocabularyRead(
                known=tuple(c.name for c in reading.vocabulary.known),
                unknown=decided.unknown,
                caveats=tuple(reading.vocabulary.caveats),
            )
        )
    return {"route": decided, "timings_ms": _timed("choose", state, t)}


def look(state: QuestionState, runtime: Runtime[AgentContext]) -> Update:
    """Each routed capability looks (a question across dates: at every date); merge evidence."""
    t = time.perf_counter()
    context = _context(runtime)
    wb = context.workbench
    assert state.route is not None
    reading = read(state.question, state.granularity)
    fresh = QuestionState()
    for part, cap in answering(state.route, active_capabilities(wb)):
        looked = cap.look(
            state.scene, reading, list(part.subjects), emit, max_depth=context.max_depth
        )
        fresh.results += looked.results
        fresh.zoom_steps += looked.zoom_steps
        fresh.boxes += looked.boxes
        fresh.measurements += looked.measurements
        if looked.budget is not None:
            fresh.budget = looked.budget if fresh.budget is None else fresh.budget + looked.budget
        fresh.findings[part.capability] = looked.findings
        fresh.vlm_text = fresh.vlm_text or looked.vlm_text
    return {
        "results": fresh.results,
        "zoom_steps": fresh.zoom_steps,
        "boxes": fresh.boxes,
        "measurements": fresh.measurements,
        "budget": fresh.budget,
        "findings": fresh.findings,
        "vlm_text": fresh.vlm_text,
        "timings_ms": _timed("look", state, t),
    }


def _versions(state: QuestionState, wb: Workbench) -> dict[str, str]:
    """The route and the methods the capabilities measured with, for provenance."""
    assert state.route is not None
    pairs = answering(state.route, active_capabilities(wb))
    methods = [m for part, cap in pairs if (m := cap.method(state.findings[part.capability]))]
    route = ", ".join(p.capability for p in state.route.parts)
    return {"route": route or "none"} | ({"method": "; ".join(methods)} if methods else {})


def store(state: QuestionState, runtime: Runtime[AgentContext]) -> Update:
    """Save the question, its evidence and its measurements in ONE transaction (idempotent)."""
    t = time.perf_counter()
    wb = _workbench(runtime)
    thread_id = get_config().get("configurable", {}).get("thread_id")
    question = Question(
        scene=state.scene,
        question=state.question,
        request_id=state.request_id,
        granularity=state.granularity,
        probabilities=state.probabilities,
        zoom_steps=state.zoom_steps,
        results=state.results,
        budget=state.budget,
        latency_ms=float(sum(state.timings_ms.values())),
        versions=_versions(state, wb),
    )
    saved, measured = store_question(
        wb, question, thread_id=thread_id, measurements=state.measurements
    )
    emit(Stored(query_id=saved.query_id, results=len(saved.result_ids)))
    return {
        "query_id": saved.query_id,
        "result_ids": saved.result_ids,
        "measured": measured,
        "timings_ms": _timed("store", state, t),
    }


def respond(state: QuestionState, runtime: Runtime[AgentContext]) -> Update:
    """Write the analyst's answer from the evidence, and remember the question in the thread."""
    wb = _workbench(runtime)
    answer = compose_answer(state, active_capabilities(wb), meaningful=wb.meaningful)
    emit(Done(answer=answer, query_id=state.query_id, result_ids=tuple(state.result_ids)))
    found = tuple(
        rid for rid, r in zip(state.result_ids, state.results, strict=False) if r.kind != "answer"
    )
    entry = PastQuestion(
        question=state.question,
        scene=state.scene,
        granularity=state.granularity,
        query_id=state.query_id,
        answer=answer,
        result_ids=found,
        source=f"query #{state.query_id} (“{state.question}”)",
    )
    return {"answer": answer, "history": [entry]}


def build_pipeline(checkpointer: Any = None) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Compile the pipeline (with ``checkpointer`` for resumable threads)."""
    graph = StateGraph(QuestionState, context_schema=AgentContext)
    graph.add_node("start", start)
    graph.add_node("understand", understand_question)
    graph.add_node("follow", follow)
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
    graph.add_edge("start", "understand")
    graph.add_conditional_edges("understand", _searches, ["classify", "follow"])
    graph.add_edge("follow", END)
    graph.add_edge("classify", "choose")
    graph.add_edge("choose", "look")
    graph.add_edge("look", "store")
    graph.add_edge("store", "respond")
    graph.add_edge("respond", END)
    return graph.compile(checkpointer=checkpointer, name="geomag-pipeline")
