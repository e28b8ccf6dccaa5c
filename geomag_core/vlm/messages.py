"""A backend-neutral chat message: text plus several images (each usually a TMRA view)."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from PIL import Image

__all__ = ["ChatMessage", "Generation", "ImagePart", "TextPart", "ToolCall"]

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class TextPart:
    """Plain text."""

    text: str


@dataclass(frozen=True)
class ImagePart:
    """One image: HxWx3 uint8 RGB (a :class:`geomag_core.tmra.View`'s ``image``)."""

    pixels: NDArray[np.uint8] = field(repr=False)

    def __post_init__(self) -> None:
        shape = self.pixels.shape
        if self.pixels.dtype != np.uint8 or len(shape) != 3 or shape[2] != 3:
            raise ValueError(
                f"ImagePart needs an HxWx3 uint8 array, got {self.pixels.dtype}{shape}"
            )

    def to_pil(self) -> Image.Image:
        """The image as a PIL image."""
        return Image.fromarray(self.pixels)

    def to_data_url(self) -> str:
        """The image as a PNG ``data:`` URL (for OpenAI-compatible servers)."""
        buffer = io.BytesIO()
        self.to_pil().save(buffer, format="PNG")
        return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@dataclass(frozen=True)
class ChatMessage:
    """One turn: a role and an ordered list of text and image parts."""

    role: Role
    parts: tuple[TextPart | ImagePart, ...]

    @classmethod
    def user(cls, text: str, images: Sequence[NDArray[np.uint8]] = ()) -> ChatMessage:
        """A user turn with ``images`` first, then ``text`` (Qwen2-VL's usual layout)."""
        return cls("user", (*(ImagePart(i) for i in images), TextPart(text)))

    @classmethod
    def text(cls, role: Role, text: str) -> ChatMessage:
        """A text-only turn."""
        return cls(role, (TextPart(text),))

    @property
    def images(self) -> list[ImagePart]:
        """The image parts, in order."""
        return [p for p in self.parts if isinstance(p, ImagePart)]

    def to_hf(self) -> dict[str, Any]:
        """The turn in Hugging Face chat-template form (images as placeholders)."""
        content = [
            {"type": "text", "text": p.text} if isinstance(p, TextPart) else {"type": "image"}
            for p in self.parts
        ]
        return {"role": self.role, "content": content}

    def to_openai(self) -> dict[str, Any]:
        """The turn in OpenAI chat-completions form (images as data URLs)."""
        if all(isinstance(p, TextPart) for p in self.parts):
            return {"role": self.role, "content": "".join(p.text for p in self.parts)}  # type: ignore[union-attr]
        content = [
            {"type": "text", "text": p.text}
            if isinstance(p, TextPart)
            else {"type": "image_url", "image_url": {"url": p.to_data_url()}}
            for p in self.parts
        ]
        return {"role": self.role, "content": content}


@dataclass(frozen=True)
class ToolCall:
    """A tool call the model asked for (arguments as the model's JSON text)."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Generation:
    """What a backend returns for one request."""

    text: str
    tool_calls: tuple[ToolCall, ...] = ()
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
