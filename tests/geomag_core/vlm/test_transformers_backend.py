from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import geomag_core.vlm.transformers_backend as tb
from geomag_core.errors import ConfigError
from geomag_core.vlm.attention_heat import gradient_weighted_attention
from geomag_core.vlm.messages import ChatMessage
from geomag_core.vlm.tiny import SEG_TOKEN, build_tiny_vlm
from geomag_core.vlm.transformers_backend import TransformersVLM


def test_tiny_factory_is_seeded_cached_and_labelled(tiny_vlm_path: Path, tmp_path: Path) -> None:
    marker = json.loads((tiny_vlm_path / "geomag_tiny.json").read_text())
    assert marker["meaningful"] is False
    assert build_tiny_vlm(tiny_vlm_path.parent) == tiny_vlm_path  # cached, not rebuilt
    again = build_tiny_vlm(tmp_path)  # same seed elsewhere: identical weights
    assert (again / "model.safetensors").read_bytes() == (
        tiny_vlm_path / "model.safetensors"
    ).read_bytes()
    config = json.loads((tiny_vlm_path / "config.json").read_text())
    assert config["architectures"] == ["Qwen2VLForConditionalGeneration"]


def test_chat_template_and_seg_token(tiny_vlm: TransformersVLM) -> None:
    tokenizer = tiny_vlm.processor.tokenizer
    seg = tokenizer.convert_tokens_to_ids(SEG_TOKEN)
    assert tokenizer.encode(f"outline it {SEG_TOKEN}")[-1] == seg
    prompt = tiny_vlm.processor.apply_chat_template(
        [ChatMessage.user("where?", [np.zeros((56, 56, 3), np.uint8)]).to_hf()],
        add_generation_prompt=True,
        tokenize=False,
    )
    assert prompt == (
        "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>where?<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


def test_generate_takes_several_images(tiny_vlm: TransformersVLM, two_images) -> None:  # type: ignore[no-untyped-def]
    out = tiny_vlm.generate(
        [ChatMessage.user("where are the aircraft?", two_images)], max_new_tokens=4
    )
    assert out.completion_tokens == 4
    # 224×336 → 8×12 tokens, 112×112 → 4×4 tokens, plus the text.
    assert out.prompt_tokens is not None and out.prompt_tokens > 8 * 12 + 4 * 4


def test_heat_map_is_gradient_weighted_attention(
    tiny_vlm: TransformersVLM,
    two_images,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    seen: list[bool] = []
    real = tb.gradient_weighted_attention

    def spy(attentions, gradients, rows, cols):  # type: ignore[no-untyped-def]
        assert all(g is not None and g.abs().sum() > 0 for g in gradients)
        heat, weighted = real(attentions, gradients, rows, cols)
        seen.append(weighted)
        return heat, weighted

    monkeypatch.setattr(tb, "gradient_weighted_attention", spy)
    messages = [ChatMessage.user("where are the aircraft?", two_images)]
    first = tiny_vlm.heat_map(messages, image_index=0)
    second = tiny_vlm.heat_map(messages, image_index=1)
    assert first.shape == (8, 12) and second.shape == (4, 4)
    assert (first >= 0).all() and first.sum() > 0
    assert seen == [True, True]
    # Deterministic, and it depends on the query and on the answer L is computed from.
    np.testing.assert_array_equal(first, tiny_vlm.heat_map(messages, image_index=0))
    other = tiny_vlm.heat_map([ChatMessage.user("segment each ship", two_images)])
    assert not np.allclose(first, other)
    with_answer = tiny_vlm.heat_map(messages, answer="two aircraft")
    assert with_answer.shape == (8, 12) and not np.allclose(first, with_answer)
    one_layer = tiny_vlm.heat_map(messages, layers=[0])
    assert not np.allclose(first, one_layer)
    with pytest.raises(ValueError, match="image_index 2"):
        tiny_vlm.heat_map(messages, image_index=2)


def test_zero_gradient_falls_back_to_plain_attention() -> None:
    attention = torch.softmax(torch.randn(2, 5, 7), dim=-1)
    rows, cols = torch.tensor([3, 4]), torch.tensor([1, 2, 3])
    expected = attention[:, rows][:, :, cols].mean(dim=(0, 1))
    for gradients in ([None], [-torch.rand(2, 5, 7)], [torch.zeros(2, 5, 7)]):
        heat, weighted = gradient_weighted_attention([attention], gradients, rows, cols)
        assert not weighted
        torch.testing.assert_close(heat, expected)
    positive = torch.rand(2, 5, 7)
    heat, weighted = gradient_weighted_attention([attention], [positive], rows, cols)
    assert weighted
    torch.testing.assert_close(heat, (positive * attention)[:, rows][:, :, cols].mean(dim=(0, 1)))


def test_seg_hidden_states(tiny_vlm: TransformersVLM, two_images) -> None:  # type: ignore[no-untyped-def]
    messages = [ChatMessage.user("segment the ships", two_images)]
    two = tiny_vlm.seg_hidden_states(messages, f"ship {SEG_TOKEN} and ship {SEG_TOKEN}")
    assert two.shape == (2, 64)
    assert not torch.allclose(two[0], two[1])  # different positions, different states
    assert tiny_vlm.seg_hidden_states(messages, "no ships").shape == (0, 64)


def test_missing_model_directory_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="GEOMAG_VLM_PATH"):
        TransformersVLM(tmp_path)
