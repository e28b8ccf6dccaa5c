"""Investigator mode: a tool-calling chat model plans multi-step work with every GeoMag tool.

The model is a VLM served by vLLM (OpenAI-compatible, reached with ``langchain-openai``), or any
chat model passed in (tests use a scripted fake). The whole pipeline is one of its tools. When no
tool-calling model is configured, :func:`agent.graph.build_agent` falls back to the pipeline.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from langchain.agents import create_agent
from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool, InjectedToolCallId, StructuredTool, ToolException
from langgraph.config import get_config
from langgraph.graph.state import CompiledStateGraph
from pydantic import BaseModel, Field

from agent.context import AgentContext
from agent.pipeline import build_pipeline
from agent.prompts import INVESTIGATOR_PROMPT
from agent.retries import request_id_for
from geomag_core.config import Settings
from geomag_core.errors import GeoMagError, VLMRequestError, VLMUnavailableError
from tools.registry import make_tools
from tools.workbench import Workbench

__all__ = ["build_investigator", "chat_model_from_settings", "pipeline_tool", "run_investigator"]


class PipelineArgs(BaseModel):
    scene: str = Field(description="Path of the scene file.")
    question: str = Field(min_length=1, description="The question to answer about it.")
    tool_call_id: Annotated[str, InjectedToolCallId] = ""


def pipeline_tool(context: AgentContext) -> BaseTool:
    """The GeoMag pipeline (classify → zoom → ground → store) as one tool."""
    pipeline = build_pipeline()

    def run(scene: str, question: str, tool_call_id: str = "") -> str:
        try:
            request = _request_id(context, scene, question, tool_call_id)
            state = pipeline.invoke(
                {"scene": scene, "question": question, "request_id": request},
                context=context,
            )
        except GeoMagError as exc:
            raise ToolException(str(exc)) from exc
        # The answer ends with the stored query and result ids.
        return f"(granularity {state['granularity']})\n{state['answer']}"

    return StructuredTool.from_function(
        func=run,
        name="geomag_pipeline",
        description="Answer a question about a scene with GeoMag and store the grounded results.",
        args_schema=PipelineArgs,
        handle_tool_error=True,
    )


def _request_id(context: AgentContext, scene: str, question: str, tool_call_id: str) -> str:
    """The same tool call (an investigator run resumed from its checkpoint) stores once."""
    if not tool_call_id:
        return uuid.uuid4().hex
    try:
        thread = str(get_config().get("configurable", {}).get("thread_id", ""))
    except RuntimeError:  # called outside a graph run
        thread = ""
    wb = context.workbench
    sha = wb.scene(scene).content_hash
    return request_id_for(f"{thread}/{tool_call_id}", question, sha, wb.model_versions(), 0)


def chat_model_from_settings(settings: Settings) -> BaseChatModel | None:
    """The configured tool-calling chat model (vLLM), or ``None`` when none is configured."""
    if not settings.vllm_model:
        return None
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=settings.vllm_url,
        model=settings.vllm_model,
        api_key="EMPTY",  # type: ignore[arg-type]
        timeout=settings.vllm_timeout_s,  # one overall deadline per call: no retry on top
        max_retries=0,
        temperature=0,
    )


def run_investigator(graph: Any, inputs: Mapping[str, object], config: Any, url: str) -> Any:
    """``graph.invoke(inputs, config)`` with the chat server's failures as readable errors.

    Raises:
        VLMUnavailableError: the server cannot be reached or did not answer in time.
        VLMRequestError: it answered with an error status.

    """
    import openai

    try:
        return graph.invoke(inputs, config)
    except openai.APITimeoutError as exc:
        raise VLMUnavailableError(url, "no answer within GEOMAG_VLLM_TIMEOUT_S") from exc
    except openai.APIConnectionError as exc:
        raise VLMUnavailableError(url, f"connection failed: {exc}") from exc
    except openai.APIStatusError as exc:
        raise VLMRequestError(
            f"the VLM server at {url} refused the request (HTTP {exc.status_code}): "
            f"{str(exc)[:300]}"
        ) from exc


def build_investigator(
    model: BaseChatModel, workbench: Workbench, checkpointer: Any = None
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """A ReAct agent over every GeoMag tool, the pipeline included."""
    context = AgentContext(workbench=workbench)
    tools = make_tools(workbench, extra=[pipeline_tool(context)])
    return create_agent(
        model,
        tools,
        system_prompt=INVESTIGATOR_PROMPT,
        checkpointer=checkpointer,
        name="geomag-investigator",
    )
