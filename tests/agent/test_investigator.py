"""Investigator mode with a scripted chat model (a fake that really calls the tools)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, ToolMessage

from agent.graph import build_agent
from agent.investigator import build_investigator
from geomag_core.config import Settings
from tools.registry import make_tools
from tools.workbench import Workbench


class ScriptedChatModel(GenericFakeChatModel):
    """Replays scripted AI messages (tool calls included); ``bind_tools`` keeps the script."""

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChatModel:
        return self


def call(name: str, args: dict[str, Any], call_id: str) -> AIMessage:
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": call_id}])


def test_investigator_runs_the_pipeline_then_queries_history(
    tmp_path: Path, sample_scene: Path
) -> None:
    settings = Settings(data_dir=tmp_path, model_profile="tiny")
    wb = Workbench(settings)
    script = iter(
        [
            call("geomag_pipeline", {"scene": str(sample_scene), "question": "Describe it"}, "c1"),
            call("query_history", {"text": "describe"}, "c2"),
            AIMessage(content="One stored answer; see result ids above."),
        ]
    )
    agent = build_investigator(ScriptedChatModel(messages=script), wb)
    state = agent.invoke({"messages": [("user", f"Scene {sample_scene}: describe it")]})
    tool_messages = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert [m.name for m in tool_messages] == ["geomag_pipeline", "query_history"]
    assert "Stored as query #" in tool_messages[0].content
    assert "Describe it" in tool_messages[1].content  # the stored query came back from history
    assert state["messages"][-1].content.startswith("One stored answer")


def test_a_failing_tool_gives_the_model_a_readable_message(tmp_path: Path) -> None:
    # scenes_dir: the tools open scenes only under the scene folders (issue 15, case 6)
    wb = Workbench(Settings(data_dir=tmp_path, scenes_dir=tmp_path, model_profile="tiny"))
    missing = tmp_path / "nowhere.tif"
    script = iter(
        [
            call("scene_info", {"scene": str(missing)}, "c1"),
            call("tmra_views", {"scene": str(missing), "granularity": "sideways"}, "c2"),
            AIMessage(content="The scene file is missing."),
        ]
    )
    agent = build_investigator(ScriptedChatModel(messages=script), wb)
    state = agent.invoke({"messages": [("user", "info please")]})
    first, second = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert "cannot read scene" in first.content and "no such file" in first.content
    assert "Traceback" not in first.content
    assert "granularity" in second.content  # argument validation, reported to the model
    assert state["messages"][-1].content == "The scene file is missing."


def test_every_tool_has_a_schema_and_a_description(tmp_path: Path) -> None:
    tools = make_tools(Workbench(Settings(data_dir=tmp_path, model_profile="tiny")))
    names = {t.name for t in tools}
    assert {"scene_info", "classify_granularity", "tmra_views", "psc_windows", "zoom",
            "ask_vlm", "segment", "query_history", "export_history"} <= names  # fmt: skip
    assert all(t.description and t.args for t in tools)


def test_investigator_mode_falls_back_without_a_chat_model(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, agent_mode="investigator", vllm_model=None)
    mode, _ = build_agent(Workbench(settings))
    assert mode == "pipeline"


def test_the_investigator_works_on_stored_results_with_the_parsers_operations(
    tmp_path: Path, sample_scene: Path
) -> None:
    """One implementation, two planners: the model calls the typed operations the no-LLM
    parser reads questions into, and the numbers are the stored rows'."""
    import json

    from sqlalchemy import select

    from db.models import ResultRow

    wb = Workbench(Settings(data_dir=tmp_path, model_profile="nano"))
    scene = str(sample_scene)
    script = iter(
        [
            call("geomag_pipeline", {"scene": scene, "question": "outline the water"}, "c1"),
            call("read_plan", {"question": "how many of them are bigger than 1 ha?"}, "c2"),
            call(
                "work_on_stored",
                {"scene": scene, "operation": "recall", "min_area_m2": 1e4, "aggregate": "count"},
                "c3",
            ),
            call("work_on_stored", {"scene": scene, "operation": "followup"}, "c4"),
            AIMessage(content="Counted from the stored water regions."),
        ]
    )
    agent = build_investigator(ScriptedChatModel(messages=script), wb)
    state = agent.invoke({"messages": [("user", f"Scene {scene}: big ponds?")]})
    _, parsed, worked, wrong = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert json.loads(parsed.content)["operations"] == ["filter", "count"]
    with wb.engine.connect() as c:
        areas = c.scalars(select(ResultRow.area_m2).where(ResultRow.kind == "mask")).all()
    big = sum(1 for a in areas if a > 1e4)
    out = json.loads(worked.content)
    assert out["plan"]["operations"] == ["recall", "filter", "count"]
    assert out["value"] == big and f"Count: {big} " in out["answer"]
    assert "followup needs result_ids" in wrong.content  # a readable error, not a traceback
