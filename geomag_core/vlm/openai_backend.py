"""The ``openai`` backend: any OpenAI-compatible chat server, vLLM's first.

Images travel as PNG data URLs, several per message; tool definitions pass through unchanged.
Connection failures and time-outs are retried with exponential backoff (the ``openai`` client's
own), then raised as :class:`~geomag_core.errors.VLMUnavailableError` with a message that says
what to do: no hang, no traceback in user output.
"""

from __future__ import annotations

from collections.abc import Sequence
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
        timeout_s: per-request time limit (connect + read).
        max_retries: retries on connection errors, time-outs, 429 and 5xx, with backoff.
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
            base_url=self.base_url,
            api_key=self.api_key,
            timeout=self.timeout_s,
            max_retries=self.max_retries,
        )

    @property
    def model(self) -> str:
        """The served model name (asked of the server once when not configured)."""
        if self._model is None:
            models = self._call(lambda: self.client.models.list())
            if not models.data:
                raise VLMRequestError(f"the server at {self.base_url} serves no model")
            self._model = str(models.data[0].id)
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
        response = self._call(lambda: self.client.chat.completions.create(**request))
        choice = response.choices[0].message
        calls = tuple(
            ToolCall(id=c.id, name=c.function.name, arguments=c.function.arguments)
            for c in (choice.tool_calls or [])
        )
        usage = response.usage
        return Generation(
            text=choice.content or "",
            tool_calls=calls,
            prompt_tokens=usage.prompt_tokens if usage else None,
            completion_tokens=usage.completion_tokens if usage else None,
        )

    def _call(self, request: Any) -> Any:
        import openai

        try:
            return request()
        except openai.APITimeoutError as exc:
            raise VLMUnavailableError(
                self.base_url, f"no answer within {self.timeout_s:g} s"
            ) from exc
        except openai.APIConnectionError as exc:
            raise VLMUnavailableError(self.base_url, f"connection failed: {exc}") from exc
        except openai.APIStatusError as exc:
            detail = _error_detail(exc)
            raise VLMRequestError(
                f"the VLM server at {self.base_url} refused the request "
                f"(HTTP {exc.status_code}): {detail}"
            ) from exc


def _error_detail(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        message = body.get("message") or body.get("error", {})
        if isinstance(message, dict):
            message = message.get("message")
        if message:
            return str(message)[:500]
    return str(exc)[:500]
