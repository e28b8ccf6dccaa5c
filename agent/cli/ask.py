"""``geomag ask``: one question about a scene, with the step trail printed as it happens."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from agent.cli.output import json_text
from geomag_core.config import Settings, check_device
from tools.looked_at import LookedAt

#: Zoom windows printed one per line; the rest are counted (``--json`` has every one).
_SHOWN_ZOOMS = 4

__all__ = ["register"]


def _rich(markdown: str) -> str:
    """The step line's markdown bold as rich markup."""
    return re.sub(r"\*\*(.+?)\*\*", r"[bold]\1[/bold]", markdown)


def ask(
    scene: Annotated[Path, typer.Argument(help="GeoTIFF, JPEG or PNG.")],
    question: Annotated[str, typer.Argument(help="The question, in plain language.")],
    thread: Annotated[
        str | None, typer.Option(help="Investigation (thread) id to continue; default: new.")
    ] = None,
    profile: Annotated[
        str | None, typer.Option(help="Model profile: tiny | nano | full (default: config).")
    ] = None,
    gsd: Annotated[
        float | None,
        typer.Option(
            min=0.001,
            help="Metres per pixel for nano's size rule (default: the scene's CRS, else each "
            "class's training GSD).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON record.")] = False,
) -> None:
    """Ask a question about a scene; prints the zoom trail while it runs, then the answer."""
    # The agent's models load here, not at import: `geomag --help` and the other commands stay
    # quick (tests/cli/test_cli_imports.py).
    from agent.checkpointer import open_checkpointer
    from agent.context import AgentContext
    from agent.events import describe
    from agent.graph import build_agent
    from agent.investigator import run_investigator
    from agent.retries import plan_question
    from tools.workbench import Workbench

    overrides: dict[str, Any] = {"model_profile": profile} if profile else {}
    if gsd is not None:
        overrides["gsd"] = gsd
    # The path typed here is the user's own choice: allowed wherever it is.
    overrides["scene_files"] = (*Settings().scene_files, scene)
    settings = Settings(**overrides)
    check_device(settings.device)
    workbench = Workbench(settings)
    thread_id = thread or uuid.uuid4().hex[:12]
    console = Console(stderr=True, quiet=as_json)
    started = time.perf_counter()
    scene_path = str(workbench.scene(scene).path)  # readable, allowed and within the pixel limit
    with open_checkpointer(settings) as saver:
        mode, graph = build_agent(workbench, saver)
        config: Any = {"configurable": {"thread_id": thread_id}}
        if mode == "investigator":
            from langchain_core.messages import HumanMessage

            message = HumanMessage(f"Scene: {scene_path}\n{question}")
            state = run_investigator(graph, {"messages": [message]}, config, settings.vllm_url)
            answer = state["messages"][-1].content
            record: dict[str, Any] = {"mode": mode, "thread": thread_id, "answer": answer}
        else:
            plan = plan_question(graph, thread_id, workbench, scene_path, question)
            if plan.replay is not None:
                console.print("  [dim]•[/dim] answered before in this thread: nothing stored")
                final = plan.replay
                record = _record(mode, thread_id, final)
                record["replayed"] = True
                _finish(record, started, as_json, console, thread_id)
                return
            payload = {"scene": scene_path, "question": question, "request_id": plan.request_id}
            context = AgentContext(workbench=workbench)
            final = {}
            if plan.resume:
                console.print("  [dim]•[/dim] resuming this question's interrupted run")
            stream: Any = graph.stream(
                None if plan.resume else payload,
                config,
                context=context,
                stream_mode=["custom", "values"],
            )
            zooms, planned = 0, None
            for kind, chunk in stream:
                if kind == "custom" and chunk["event"] == "zoom":
                    zooms += 1
                    planned = chunk.get("planned")
                    if zooms > _SHOWN_ZOOMS:  # nano searches many small blocks
                        continue
                elif kind == "custom" and zooms > _SHOWN_ZOOMS:
                    console.print(f"  [dim]•[/dim] {_more_windows(zooms, planned)}")
                    zooms = _SHOWN_ZOOMS
                if kind == "custom" and chunk["event"] != "done":
                    console.print(f"  [dim]•[/dim] {_rich(describe(chunk))}")
                elif kind == "values":
                    final = chunk
            record = _record(mode, thread_id, final)
    _finish(record, started, as_json, console, thread_id)


def _more_windows(zooms: int, planned: int | None) -> str:
    """The line that stands for the zoom windows not printed one by one."""
    more = zooms - _SHOWN_ZOOMS
    done = f"{zooms} of {planned} planned" if planned else f"{zooms} in all"
    return f"… and {more} more windows ({done}; --json lists all)"


def _finish(
    record: dict[str, Any], started: float, as_json: bool, console: Console, thread_id: str
) -> None:
    record["wall_ms"] = round((time.perf_counter() - started) * 1000, 1)
    if as_json:
        typer.echo(json_text(record))
    else:
        typer.echo(record["answer"])
        console.print(f"[dim]thread {thread_id} — continue with --thread {thread_id}[/dim]")


def _record(mode: str, thread_id: str, state: dict[str, Any]) -> dict[str, Any]:
    return {
        "mode": mode,
        "thread": thread_id,
        "scene": state["scene"],
        "question": state["question"],
        "granularity": state["granularity"],
        "probabilities": state["probabilities"],
        "zoom_steps": state["zoom_steps"],
        "boxes": state["boxes"],
        "budget": state["budget"],
        "looked_at": _looked_at(state),
        "findings": state.get("findings", {}),
        "query_id": state["query_id"],
        "result_ids": state["result_ids"],
        "results": state["results"],
        "answer": state["answer"],
        "timings_ms": state["timings_ms"],
    }


def _looked_at(state: dict[str, Any]) -> dict[str, Any] | None:
    """Pixels and tokens looked at: the number the answer states and the database stores."""
    looked = LookedAt.of(state["budget"], state["zoom_steps"])
    return looked.as_dict() if looked is not None else None


def register(app: typer.Typer) -> None:
    """Add ``ask`` to ``app``."""
    app.command("ask")(ask)
