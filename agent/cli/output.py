"""What the CLI prints: strict JSON, and stored text made safe for a terminal.

JSON is always valid (NaN and infinities become ``null``). Text a user or a file chose (a
question, a label, a file name, an error naming a path) can hold escape sequences that would
move the cursor, recolour or retitle the terminal, or bidi controls that reorder what is shown:
:func:`terminal_safe` prints them as visible escapes instead.
"""

from __future__ import annotations

import json
import math
import unicodedata
from typing import Any

from rich.text import Text

__all__ = ["cell", "json_safe", "json_text", "terminal_safe"]


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


def terminal_safe(text: str, *, keep_newlines: bool = True) -> str:
    r"""``text`` with control and format characters as visible escapes (``\x1b``, ``\u202e``).

    Newlines (and tabs) are kept when ``keep_newlines``; everything else of categories Cc and
    Cf is written out, so nothing stored can drive the terminal.
    """
    out = []
    for ch in text:
        if keep_newlines and ch in "\n\t":
            out.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cf"):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def cell(text: str) -> Text:
    """A table cell of stored text: escapes made visible, and never read as rich markup."""
    return Text(terminal_safe(text, keep_newlines=False))
