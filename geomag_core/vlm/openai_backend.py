"""The ``openai`` backend: any OpenAI-compatible chat server, vLLM's first.

Images travel as PNG data URLs, several per message; tool definitions pass through unchanged.
Connection failures, time-outs, 429 and 5xx are retried with exponential backoff, all within
**one overall deadline per call** (``timeout_s``: each attempt gets only the time left), then
raised as :class:`~geomag_core.errors.VLMUnavailableError` with a message that states the
deadline and what to do: no hang, no traceback in user output. A server that answers with
something other than an OpenAI chat completion is a :class:`~geomag_core.errors.VLMRequestError`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

from geomag_core.errors import VLMRequestError, VLMUnavailableError
from geomag_core.vlm.backend import Tools
from geomag_core.vlm.messages import ChatMessage, Generation, ToolCall

__all__ = ["OpenAIVLM"]


class OpenAIVLM:
    """A model behind an OpenAI-compatible ``/v1`` endpoint.

    Args:
        base_url: e.g. ``http://127.0.0.1:8000/v1``.
        model: the served model name; ``None`` = the first one the server lists.
        timeout_s: overall deadline of one call (every attempt, backoff included).
        max_retries: retries on connection errors, time-outs, 429 and 5xx, with backoff,
            while the deadline allows.
        api_key: vLLM ignores it unless started with ``--api-key``.
        client: an ``openai.OpenAI`` to use instead (tests, custom transports).

    """

    def __init__(
        self,
        base_url: str,
        model: str | None = None,
        *,
        timeout_s: float = 60.0,
        max_retries: int = 2,
        api_key: str = "EMPTY",
        client: Any | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._model = model
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.api_key = api_key
        if client is not None:
            self.client = client

    @cached_property
    def client(self) -> Any:
        """The ``openai.OpenAI`` client."""
        import openai

        return openai.OpenAI(
            base_url=self.base_url, api_key=self.api_key, timeout=self.timeout_s, max_retries=0
        )

    @property
    def model(self) -> str:
        """The served model name (asked of the server once when not configured)."""
        if self._model is None:
            models = self._call(lambda client: client.models.list())
            try:
                data = list(models.data)
                first = str(data[0].id) if data else None
            except (AttributeError, TypeError, IndexError, KeyError) as exc:
                raise self._junk("/models", models) from exc
            if first is None:
                raise VLMRequestError(f"the server at {self.base_url} serves no model")
            self._model = first
        return self._model

    def generate(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        tools: Tools | None = None,
    ) -> Generation:
        """One chat completion."""
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [m.to_openai() for m in messages],
            "max_tokens": max_new_tokens,
            "temperature": temperature,
        }
        if tools:
            request["tools"] = list(tools)
            request["tool_choice"] = "auto"
        response = self._call(lambda client: client.chat.completions.create(**request))
        try:
            choice = response.choices[0].message
            calls = tuple(
                ToolCall(id=c.id, name=c.function.name, arguments=c.function.arguments)
                for c in (choice.tool_calls or [])
            )
            text = choice.content or ""
            if not isinstance(text, str):
                raise TypeError("content is not text")
            usage = response.usage
            return Generation(
                text=text,
                tool_calls=calls,
                prompt_tokens=usage.prompt_tokens if usage else None,
                completion_tokens=usage.completion_tokens if usage else None,
            )
        except (AttributeError, TypeError, IndexError, KeyError, ValueError) as exc:
            raise self._junk("/chat/completions", response) from exc

    def _junk(self, endpoint: str, body: Any) -> VLMRequestError:
        shown = repr(body)[:120]
        return VLMRequestError(
            f"the VLM server at {self.base_url} answered {endpoint} with something that is not "
            f"an OpenAI-compatible response ({shown}); is GEOMAG_VLLM_URL an OpenAI-compatible "
            "server such as `geomag serve-vlm`?"
        )

    def _call(self, request: Callable[[Any], Any]) -> Any:
        """``request(client)`` retried with backoff until it succeeds or the deadline passes."""
        import openai

        deadline = time.monotonic() + self.timeout_s
        attempt = 0
        while True:
            left = deadline - time.monotonic()
            client = self.client
            if hasattr(client, "with_options"):
                client = client.with_options(timeout=max(left, 0.001))
            try:
                return request(client)
            except openai.APIResponseValidationError as exc:
                raise self._junk("the request", getattr(exc, "body", None)) from exc
            except ValueError as exc:  # a 200 whose body is not JSON at all
                raise self._junk("the request", str(exc)) from exc
            except (openai.APITimeoutError, openai.APIConnectionError) as exc:
                failure: Exception = exc
            except openai.APIStatusError as exc:
                if exc.status_code != 429 and exc.status_code < 500:
                    detail = _error_detail(exc)
                    raise VLMRequestError(
                        f"the VLM server at {self.base_url} refused the request "
                        f"(HTTP {exc.status_code}): {detail}"
                    ) from exc
                failure = exc
            attempt += 1
            pause = min(0.5 * 2 ** (attempt - 1), 8.0)
            if attempt > self.max_retries or time.monotonic() + pause >= deadline:
                raise VLMUnavailableError(self.base_url, self._why(failure, attempt)) from failure
            time.sleep(pause)

    def _why(self, failure: Exception, attempts: int) -> str:
        import openai

        tries = f"{attempts} attempt{'s' if attempts > 1 else ''}"
        within = f"within {self.timeout_s:g} s, the overall deadline of one call"
        if isinstance(failure, openai.APITimeoutError):
            return f"no answer {within} (GEOMAG_VLLM_TIMEOUT_S; {tries})"
        if isinstance(failure, openai.APIStatusError):
            return f"HTTP {failure.status_code} on each of {tries} {within}"
        return f"connection failed: {failure} ({tries} {within})"


def _error_detail(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        message = body.get("message") or body.get("error", {})
        if isinstance(message, dict):
            message = message.get("message")
        if message:
            return str(message)[:500]
    return str(exc)[:500]
