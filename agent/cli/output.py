"""JSON the CLI prints: always valid JSON (NaN and infinities become ``null``)."""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["json_safe", "json_text"]


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float (NaN, ±inf) replaced by ``None``, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def json_text(value: Any, *, indent: int | None = 2) -> str:
    """Strict JSON text of ``value`` (``default=str`` for dates and paths)."""
    return json.dumps(
        json_safe(value), indent=indent, default=str, allow_nan=False, ensure_ascii=False
    )
