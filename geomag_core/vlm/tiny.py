"""The ``tiny`` profile's VLM: a random-weight Qwen2-VL miniature with a ``[SEG]`` token.

Built offline and seeded into a cache directory (never committed), it has the real architecture,
tokenizer layout, processor and chat template, so every code path that a real Qwen2-VL exercises
(multi-image inputs, eager attention, gradients, ``[SEG]`` hidden states, vLLM serving) runs on it
in seconds on a CPU. Its outputs are meaningless: it exists for tests and plumbing only.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

__all__ = ["SEG_TOKEN", "TINY_RECIPE", "build_tiny_vlm"]

SEG_TOKEN = "[SEG]"
#: Bump when the recipe changes, so cached builds are rebuilt.
TINY_RECIPE = "tiny-qwen2vl-seg-v1"

_SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
    "<tool_call>",
    "</tool_call>",
    SEG_TOKEN,
]

# Qwen2-VL's chat layout (images as <|vision_start|><|image_pad|><|vision_end|>), with Hermes-style
# tool definitions in the system turn, as Qwen2.5 templates do.
CHAT_TEMPLATE = (
    "{% if tools %}<|im_start|>system\n"
    "{% if messages[0]['role'] == 'system' %}{{ messages[0]['content'] }}\n\n{% endif %}"
    "# Tools\n\n<tools>\n{% for tool in tools %}{{ tool | tojson }}\n{% endfor %}</tools>"
    "<|im_end|>\n{% endif %}"
    "{% for message in messages %}"
    "{% if not (tools and loop.first and message['role'] == 'system') %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] in ('image', 'image_url') %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n"
    "{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

_CORPUS = (
    "the aircraft parked near the terminal apron runway taxiway hangar airport",
    "segment every ship in the harbour and measure the total area of the storage tanks",
    "where are the vehicles on the road bridge? count the buildings near the river",
    "describe the scene: fields forest water courts pools roads residential industrial",
    "outline the footprint of the building, draw a box around the small boat",
)


def build_tiny_vlm(cache_dir: Path, *, seed: int = 0) -> Path:
    """Build the miniature once and return its directory (``cache_dir/<recipe>-seed<seed>``).

    A finished build is detected by a marker file; a half-written one is never used.
    """
    target = Path(cache_dir) / f"{TINY_RECIPE}-seed{seed}"
    if (target / "geomag_tiny.json").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        work = Path(tmp) / "model"
        _write_model(work, seed)
        (work / "geomag_tiny.json").write_text(
            json.dumps({"recipe": TINY_RECIPE, "seed": seed, "meaningful": False})
        )
        if target.exists():
            shutil.rmtree(target)
        work.rename(target)
    return target


def _write_model(out: Path, seed: int) -> None:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import (
        PreTrainedTokenizerFast,
        Qwen2VLConfig,
        Qwen2VLForConditionalGeneration,
        Qwen2VLImageProcessor,
        Qwen2VLProcessor,
        Qwen2VLVideoProcessor,
    )
    from transformers.utils import logging as hf_logging

    bpe = Tokenizer(models.BPE(unk_token=None))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=600,
        special_tokens=_SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(list(_CORPUS) * 4, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=bpe,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=_SPECIAL_TOKENS[1:],
        chat_template=CHAT_TEMPLATE,
        model_max_length=4096,
    )
    ids = {tok: int(tokenizer.convert_tokens_to_ids(tok)) for tok in _SPECIAL_TOKENS}  # type: ignore[arg-type]
    image_processor = Qwen2VLImageProcessor(min_pixels=56 * 56, max_pixels=28 * 28 * 1280)
    processor = Qwen2VLProcessor(  # type: ignore[no-untyped-call]
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=Qwen2VLVideoProcessor(),
        chat_template=CHAT_TEMPLATE,
    )
    head_dim = 32
    config = Qwen2VLConfig(
        text_config={
            "vocab_size": len(tokenizer),
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "num_key_value_heads": 1,
            "max_position_embeddings": 4096,
            "rope_parameters": {
                "rope_type": "default",
                "rope_theta": 10000.0,
                "mrope_section": [4, 6, 6],  # sums to head_dim / 2
            },
            "bos_token_id": ids["<|endoftext|>"],
            "eos_token_id": ids["<|im_end|>"],
            "pad_token_id": ids["<|endoftext|>"],
            "tie_word_embeddings": True,
        },
        vision_config={
            "depth": 2,
            "embed_dim": 32,
            "hidden_size": 64,
            "num_heads": 2,
            "mlp_ratio": 2,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
        },
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=True,
    )
    assert head_dim == 64 // 2
    torch.manual_seed(seed)
    model = Qwen2VLForConditionalGeneration(config).eval()  # type: ignore[no-untyped-call]
    model.generation_config.eos_token_id = ids["<|im_end|>"]
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    out.mkdir(parents=True)
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # we show our own progress
    model.save_pretrained(out)
    processor.save_pretrained(out)
