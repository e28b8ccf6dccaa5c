"""The in-process backend: a local Hugging Face VLM (Qwen2-VL / Qwen2.5-VL family first).

It loads lazily with eager attention (attention probabilities are returned and differentiable),
and serves ``generate``, PSC heat maps and ``[SEG]`` hidden states from the same weights that a
vLLM server can serve for generation.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from geomag_core.errors import ConfigError
from geomag_core.vlm.attention_heat import gradient_weighted_attention
from geomag_core.vlm.backend import Tools
from geomag_core.vlm.messages import ChatMessage, Generation, ToolCall
from geomag_core.vlm.tiny import SEG_TOKEN

__all__ = ["TransformersVLM", "resolve_device"]

log = logging.getLogger(__name__)
_TOOL_CALL = re.compile(r"<tool_call>\s*(\{.*?\})\s*</tool_call>", re.DOTALL)
_END_TOKENS = ("<|im_end|>", "<|endoftext|>")


def resolve_device(device: str) -> torch.device:
    """``auto`` → CUDA when available, else CPU; anything else as torch spells it."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


@dataclass(frozen=True)
class _Encoded:
    inputs: dict[str, torch.Tensor]
    prompt_len: int


class TransformersVLM:
    """A local HF VLM directory served in-process.

    Args:
        path: directory with config, weights, tokenizer and processor.
        device: ``auto``, ``cpu``, ``cuda``, ``cuda:N``.
        dtype: ``float32`` (default; exact gradients on CPU), ``bfloat16`` or ``float16``.

    """

    def __init__(self, path: str | Path, *, device: str = "auto", dtype: str = "float32") -> None:
        self.path = Path(path)
        if not (self.path / "config.json").exists():
            raise ConfigError(
                f"no Hugging Face model at {self.path} (config.json missing); set GEOMAG_VLM_PATH "
                "to a local model directory, or use the tiny profile for tests"
            )
        self.device = resolve_device(device)
        self.dtype = getattr(torch, dtype)

    @cached_property
    def processor(self) -> Any:
        """The model's processor (tokenizer + image processor + chat template)."""
        from transformers import AutoProcessor

        return AutoProcessor.from_pretrained(self.path)  # type: ignore[no-untyped-call]

    @cached_property
    def model(self) -> Any:
        """The model, eval mode, eager attention."""
        from transformers import AutoModelForImageTextToText
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # we show our own

        model = AutoModelForImageTextToText.from_pretrained(
            self.path, attn_implementation="eager", dtype=self.dtype
        )
        return model.to(self.device).eval()  # type: ignore[arg-type]

    @property
    def name(self) -> str:
        """The model's directory name."""
        return self.path.name

    # ------------------------------------------------------------------ encoding
    def _encode(
        self,
        messages: Sequence[ChatMessage],
        answer: str | None = None,
        tools: Tools | None = None,
    ) -> _Encoded:
        prompt = self.processor.apply_chat_template(
            [m.to_hf() for m in messages],
            tools=list(tools) if tools else None,
            add_generation_prompt=True,
            tokenize=False,
        )
        images = [part.to_pil() for m in messages for part in m.images]
        prompt_len = len(
            self.processor(text=[prompt], images=images or None, return_tensors="pt")["input_ids"][
                0
            ]
        )
        text = prompt + (answer or "")
        batch = self.processor(text=[text], images=images or None, return_tensors="pt")
        inputs = {k: v.to(self.device) for k, v in batch.items() if isinstance(v, torch.Tensor)}
        if "pixel_values" in inputs:
            inputs["pixel_values"] = inputs["pixel_values"].to(self.dtype)
        return _Encoded(inputs, prompt_len)

    # ------------------------------------------------------------------ interface
    def generate(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        tools: Tools | None = None,
    ) -> Generation:
        """Answer ``messages`` (greedy unless ``temperature > 0``)."""
        encoded = self._encode(messages, tools=tools)
        sampling: dict[str, Any] = (
            {"do_sample": True, "temperature": temperature} if temperature > 0 else {}
        )
        with torch.no_grad():
            out = self.model.generate(
                **encoded.inputs, max_new_tokens=max_new_tokens, do_sample=False, **sampling
            )
        new = out[0, encoded.prompt_len :]
        text = self.processor.tokenizer.decode(new, skip_special_tokens=False)
        for end in _END_TOKENS:
            text = text.split(end)[0]
        calls = tuple(_tool_call(i, m.group(1)) for i, m in enumerate(_TOOL_CALL.finditer(text)))
        return Generation(
            text=_TOOL_CALL.sub("", text).strip() if calls else text,
            tool_calls=tuple(c for c in calls if c is not None),
            prompt_tokens=encoded.prompt_len,
            completion_tokens=int(new.numel()),
        )

    def heat_map(
        self,
        messages: Sequence[ChatMessage],
        *,
        image_index: int = 0,
        answer: str | None = None,
        layers: Sequence[int] | None = None,
    ) -> NDArray[np.float64]:
        """Gradient-weighted text→image attention on one image's token grid (see the protocol)."""
        encoded = self._encode(messages, answer)
        input_ids = encoded.inputs["input_ids"][0]
        grid = encoded.inputs.get("image_grid_thw")
        if grid is None or image_index >= len(grid):
            n = 0 if grid is None else len(grid)
            raise ValueError(f"image_index {image_index} but the messages hold {n} image(s)")
        cols, shape = self._image_columns(input_ids, grid, image_index)

        out = self.model(**encoded.inputs, output_attentions=True)
        log_probs = torch.log_softmax(out.logits[0].float(), dim=-1)
        if answer:
            targets = input_ids[encoded.prompt_len :]
            rows = torch.arange(encoded.prompt_len - 1, len(input_ids) - 1, device=self.device)
            objective = log_probs[rows, targets].sum()
        else:
            rows = torch.tensor([len(input_ids) - 1], device=self.device)
            objective = log_probs[-1].max()
        chosen = list(range(len(out.attentions))) if layers is None else list(layers)
        # Differentiate w.r.t. the tensors the forward pass used (a slice of one would be a new
        # node outside the graph), then drop the batch dimension.
        attentions = [out.attentions[i] for i in chosen]
        grads = torch.autograd.grad(objective, attentions, allow_unused=True)
        heat, weighted = gradient_weighted_attention(
            [a[0] for a in attentions], [None if g is None else g[0] for g in grads], rows, cols
        )
        if not weighted:
            log.warning("heat map: zero gradient on the chosen layers; using plain attention")
        return heat.reshape(shape).double().cpu().numpy()

    def seg_hidden_states(self, messages: Sequence[ChatMessage], answer: str) -> torch.Tensor:
        """Last-layer hidden states at the ``[SEG]`` tokens of ``answer``: ``(N, hidden)``."""
        encoded = self._encode(messages, answer)
        seg_id = self.processor.tokenizer.convert_tokens_to_ids(SEG_TOKEN)
        out = self.model(**encoded.inputs, output_hidden_states=True)
        ids = encoded.inputs["input_ids"][0]
        positions = (ids == seg_id).nonzero().flatten()
        positions = positions[positions >= encoded.prompt_len]
        hidden: torch.Tensor = out.hidden_states[-1][0, positions]
        return hidden

    def _image_columns(
        self, input_ids: torch.Tensor, grid: torch.Tensor, image_index: int
    ) -> tuple[torch.Tensor, tuple[int, int]]:
        """Sequence positions of image ``image_index``'s tokens and their (rows, cols) grid."""
        merge = int(self.model.config.vision_config.spatial_merge_size)
        counts = [int(t * h * w) // (merge * merge) for t, h, w in grid.tolist()]
        positions = (input_ids == int(self.model.config.image_token_id)).nonzero().flatten()
        start = sum(counts[:image_index])
        _, h, w = grid[image_index].tolist()
        return positions[start : start + counts[image_index]], (h // merge, w // merge)


def _tool_call(index: int, payload: str) -> ToolCall | None:
    try:
        data = json.loads(payload)
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or "name" not in data:
        return None
    return ToolCall(
        id=f"call_{index}",
        name=str(data["name"]),
        arguments=json.dumps(data.get("arguments", {})),
    )
