"""Issue 15 cases 3 and 8: a VLM server that answers junk, or hangs, against real sockets."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from geomag_core.errors import VLMRequestError, VLMUnavailableError
from geomag_core.vlm.messages import ChatMessage
from geomag_core.vlm.openai_backend import OpenAIVLM
from tests.reliability.conftest import Run

BODIES = {
    "/html/v1/chat/completions": ("text/html", b"<html>proxy login</html>"),
    "/notjson/v1/chat/completions": ("application/json", b"{not json"),
    "/shape/v1/chat/completions": ("application/json", b'{"choices": "none", "usage": 3}'),
    "/empty/v1/chat/completions": ("application/json", b'{"choices": []}'),
    "/shape/v1/models": ("application/json", b'{"data": 7}'),
}


class _Junk(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        kind, body = BODIES.get(self.path, ("text/plain", b"?"))
        self.send_response(200)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def junk_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Junk)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize("route", ["html", "notjson", "shape", "empty"])
def test_a_200_that_is_not_a_chat_completion(junk_server: str, route: str) -> None:
    backend = OpenAIVLM(f"{junk_server}/{route}/v1", "m", timeout_s=5, max_retries=0)
    with pytest.raises(VLMRequestError, match="not an OpenAI-compatible response") as info:
        backend.generate([ChatMessage.text("user", "hello")])
    assert "\n" not in str(info.value) and junk_server in str(info.value)


def test_a_model_list_of_the_wrong_shape(junk_server: str) -> None:
    backend = OpenAIVLM(f"{junk_server}/shape/v1", None, timeout_s=5, max_retries=0)
    with pytest.raises(VLMRequestError, match="not an OpenAI-compatible response"):
        _ = backend.model


def test_a_hung_server_costs_one_deadline_not_three() -> None:
    with socket.socket() as hung:  # accepts, never answers
        hung.bind(("127.0.0.1", 0))
        hung.listen(8)
        port = hung.getsockname()[1]
        backend = OpenAIVLM(f"http://127.0.0.1:{port}/v1", "m", timeout_s=2, max_retries=2)
        started = time.monotonic()
        with pytest.raises(VLMUnavailableError, match="overall deadline") as info:
            backend.generate([ChatMessage.text("user", "hello")])
        spent = time.monotonic() - started
    assert spent < 3.0, f"{spent:.1f} s for a 2 s deadline (before: 3 × 2 s plus backoff)"
    assert "within 2 s" in str(info.value)


def test_the_investigator_with_its_server_down_is_one_line(
    cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, sample_scene: Path
) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("GEOMAG_AGENT_MODE", "investigator")
    monkeypatch.setenv("GEOMAG_VLLM_MODEL", "m")
    monkeypatch.setenv("GEOMAG_VLLM_URL", f"http://127.0.0.1:{port}/v1")
    line = cli("ask", sample_scene, "how many cars are there?").one_line_error()
    assert "is not answering" in line and "geomag serve-vlm" in line  # before: exit 1
