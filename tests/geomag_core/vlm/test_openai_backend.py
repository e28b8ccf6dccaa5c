"""The openai backend's failure modes, against real sockets on 127.0.0.1 (no server mock)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import numpy as np
import pytest

from geomag_core.errors import VLMUnavailableError
from geomag_core.vlm.messages import ChatMessage
from geomag_core.vlm.openai_backend import OpenAIVLM


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def silent_server() -> Iterator[int]:
    """A socket that accepts connections and never answers (a hung server)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield int(s.getsockname()[1])


def test_server_down_is_a_quick_readable_error() -> None:
    backend = OpenAIVLM(f"http://127.0.0.1:{_free_port()}/v1", "m", timeout_s=5, max_retries=1)
    start = time.monotonic()
    with pytest.raises(VLMUnavailableError, match="geomag serve-vlm") as info:
        backend.generate([ChatMessage.text("user", "hello")])
    assert time.monotonic() - start < 10
    assert "connection failed" in str(info.value)


def test_slow_server_times_out_instead_of_hanging(silent_server: int) -> None:
    backend = OpenAIVLM(f"http://127.0.0.1:{silent_server}/v1", "m", timeout_s=1, max_retries=0)
    start = time.monotonic()
    with pytest.raises(VLMUnavailableError, match="no answer within 1 s"):
        backend.generate([ChatMessage.text("user", "hello")])
    assert time.monotonic() - start < 5


def test_messages_travel_as_openai_parts_with_data_urls() -> None:
    images = [np.full((30, 40, 3), 200, np.uint8), np.zeros((10, 10, 3), np.uint8)]
    message = ChatMessage.user("compare these", images).to_openai()
    parts = message["content"]
    assert [p["type"] for p in parts] == ["image_url", "image_url", "text"]
    assert all(p["image_url"]["url"].startswith("data:image/png;base64,") for p in parts[:2])
    assert ChatMessage.text("user", "hi").to_openai() == {"role": "user", "content": "hi"}
    with pytest.raises(ValueError, match="HxWx3 uint8"):
        ChatMessage.user("bad", [np.zeros((4, 4), np.uint8)])
