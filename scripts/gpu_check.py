"""Time one pixel-level question on a 4K scene: GeoMag's zoom + TMRA views vs GeoPixel tiling.

    python scripts/gpu_check.py [--tiny] [--device cuda] [--out DIR]

Real-size architectures with random weights (no hub is reachable; timing does not need trained
weights): a Qwen2.5-VL-7B config through the in-process transformers backend (PSC heat maps with
gradients, generation, ``[SEG]`` hidden states) and SAM2.1 hiera-L under the pixel decoder.
``--tiny`` runs the same code path with a miniature Qwen2.5-VL, SAM2.1 hiera-t and a
2560×1440 scene on the CPU (CI). Both ways of answering go through the project's code:

* **GeoMag**: the ``vlm`` capability's pixel path (``tools.capabilities.vlm``): heat map on the
  scene, zoom twice, views ``C2 ⊕ D(C1) ⊕ D(D(I))``, generation, ``[SEG]`` states, decoder on C2;
* **GeoPixel-style tiling**: 560-px tiles covering the scene at native resolution plus one
  global 560-px view in one request, generation, ``[SEG]`` states, the decoder on the whole
  scene.

Prints a markdown table and writes ``gpu_check.json`` (and the model's config) under ``--out``.
The vLLM part (generation served by vLLM on the same config, ``--load-format dummy``) is
``scripts/gpu_check_vllm.py``, run by ``scripts/gpu_check.sh`` in ``.venv-vllm``.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from geomag_core.boxes import PixelBox  # noqa: E402
from geomag_core.config import Settings  # noqa: E402
from geomag_core.tmra import build_views, fitted_view  # noqa: E402
from geomag_core.vlm.messages import ChatMessage  # noqa: E402
from geomag_core.vlm.tiny import build_tiny_vlm  # noqa: E402
from geomag_core.vlm.transformers_backend import TransformersVLM  # noqa: E402
from tests.data.scene_4k import write_4k_scene  # noqa: E402
from tools.capabilities.routing import read  # noqa: E402
from tools.capabilities.vlm import VisionLanguageModel  # noqa: E402
from tools.events import StepEvent, ViewsLooked  # noqa: E402
from tools.workbench import Workbench  # noqa: E402

QUESTION = "segment the largest field in this scene"
TILE = 560

#: Qwen2.5-VL-7B-Instruct's published architecture (config.json), random weights.
REAL_TEXT = {
    "hidden_size": 3584,
    "intermediate_size": 18944,
    "num_hidden_layers": 28,
    "num_attention_heads": 28,
    "num_key_value_heads": 4,
    "max_position_embeddings": 128000,
    "rms_norm_eps": 1e-6,
    "rope_parameters": {"rope_type": "default", "rope_theta": 1e6, "mrope_section": [16, 24, 24]},
    "vocab_size": 152064,
    "tie_word_embeddings": False,
}
REAL_VISION = {
    "depth": 32,
    "hidden_size": 1280,
    "intermediate_size": 3420,
    "num_heads": 16,
    "out_hidden_size": 3584,
    "patch_size": 14,
    "spatial_merge_size": 2,
    "temporal_patch_size": 2,
    "window_size": 112,
    "fullatt_block_indexes": [7, 15, 23, 31],
    "hidden_act": "silu",
}
TINY_TEXT = {
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "num_key_value_heads": 1,
    "max_position_embeddings": 32768,
    "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [4, 6, 6]},
    "tie_word_embeddings": True,
}
TINY_VISION = {
    "depth": 2,
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_heads": 2,
    "out_hidden_size": 64,
    "patch_size": 14,
    "spatial_merge_size": 2,
    "temporal_patch_size": 2,
    "window_size": 112,
    "fullatt_block_indexes": [1],
}


def write_model_dir(out: Path, tiny: bool, cache: Path) -> Path:
    """A Qwen2.5-VL model directory without weights: config + the tiny build's processor.

    The processor (byte-level BPE with Qwen2-VL's special tokens and ``[SEG]``, Qwen2-VL image
    processor, chat template) comes from :func:`build_tiny_vlm`; its image limit is raised to
    Qwen2.5-VL's (16,384 tokens per image) so views are seen at their own size.
    """
    from transformers import AutoProcessor, Qwen2_5_VLConfig

    source = build_tiny_vlm(cache)
    out.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        if item.suffix != ".safetensors" and item.name not in ("config.json", "geomag_tiny.json"):
            shutil.copy(item, out / item.name)
    processor = AutoProcessor.from_pretrained(out)  # type: ignore[no-untyped-call]
    processor.image_processor.max_pixels = 28 * 28 * 16384
    processor.image_processor.size = {"shortest_edge": 56 * 56, "longest_edge": 28 * 28 * 16384}
    processor.save_pretrained(out)
    tok = processor.tokenizer
    ids = {t: int(tok.convert_tokens_to_ids(t)) for t in tok.all_special_tokens}
    text = dict(TINY_TEXT if tiny else REAL_TEXT)
    if tiny:
        text["vocab_size"] = len(tok)
    text |= {"bos_token_id": ids["<|endoftext|>"], "eos_token_id": ids["<|im_end|>"]}
    config = Qwen2_5_VLConfig(
        text_config=text,
        vision_config=TINY_VISION if tiny else REAL_VISION,
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=bool(text["tie_word_embeddings"]),
    )
    config.architectures = ["Qwen2_5_VLForConditionalGeneration"]  # vLLM picks its runner by it
    config.save_pretrained(out)
    return out


def random_vlm(model_dir: Path, device: str, dtype: torch.dtype) -> TransformersVLM:
    """The in-process backend on ``model_dir``'s architecture with seeded random weights."""
    from transformers import AutoConfig, Qwen2_5_VLForConditionalGeneration

    config = AutoConfig.from_pretrained(model_dir)
    torch.manual_seed(0)
    with torch.device(device):
        model = Qwen2_5_VLForConditionalGeneration._from_config(
            config, attn_implementation="eager", dtype=dtype
        )
    vlm = TransformersVLM(model_dir, device=device, dtype=str(dtype).removeprefix("torch."))
    vlm.__dict__["model"] = model.eval()  # instead of from_pretrained: there are no weights
    return vlm


class _Clock:
    """Stage → seconds, with CUDA synchronised at each mark."""

    def __init__(self, device: str) -> None:
        self.cuda = device.startswith("cuda")
        self.last = time.perf_counter()
        self.stages: dict[str, float] = {}

    def mark(self, stage: str) -> None:
        if self.cuda:
            torch.cuda.synchronize()
        now = time.perf_counter()
        self.stages[stage] = self.stages.get(stage, 0.0) + now - self.last
        self.last = now


def save_images(folder: Path, images: list[Any]) -> None:
    """Write ``images`` (HxWx3 uint8) as numbered PNGs, for the vLLM half of the check."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(images):
        Image.fromarray(image).save(folder / f"{i:03d}.png")


def geomag(wb: Workbench, scene: str, device: str, views_dir: Path) -> dict[str, Any]:
    """The ``vlm`` capability's pixel path, timed by its own step events."""
    clock = _Clock(device)
    names = {"views": "heat maps + zoom", "answer": "views + generation", "segmenting": "-"}
    state: dict[str, Any] = {}

    def emit(event: StepEvent) -> None:
        if event.kind in names:
            clock.mark(names[event.kind])
        if isinstance(event, ViewsLooked):
            state["tokens"] = event.budget.views.tokens
            state["pixels"] = event.budget.views.pixels

    looked = VisionLanguageModel(wb).look(scene, read(QUESTION, "pixel"), [], emit, max_depth=2)
    clock.mark("[SEG] states + decoder")
    clock.stages.pop("-", None)
    boxes = looked.boxes
    views = build_views(wb.scene(scene), "pixel", list(boxes))
    save_images(views_dir / "geomag", [v.image for v in views.views])
    return {
        "how": "GeoMag: zoom + C2 ⊕ D(C1) ⊕ D(D(I))",
        "stages": clock.stages,
        "vision_tokens": state["tokens"],
        "pixels": state["pixels"],
        "heat_maps": len(looked.zoom_steps),
        "masks": sum(1 for r in looked.results if r.is_mask),
    }


def tiling(wb: Workbench, scene_path: str, device: str, views_dir: Path) -> dict[str, Any]:
    """GeoPixel-style: native tiles + a global view in one request, decoder on the scene."""
    scene = wb.scene(scene_path)
    clock = _Clock(device)
    images = []
    for y in range(0, scene.height, TILE):
        for x in range(0, scene.width, TILE):
            box = PixelBox(x, y, min(x + TILE, scene.width), min(y + TILE, scene.height))
            tile = scene.read(box)
            padded = torch.zeros((TILE, TILE, 3), dtype=torch.uint8).numpy()
            padded[: tile.shape[0], : tile.shape[1]] = tile
            images.append(padded)
    whole = PixelBox(0, 0, scene.width, scene.height)
    images.append(fitted_view(scene, whole, TILE).image)
    message = ChatMessage.user(QUESTION, images)
    clock.mark("tiles read")
    reply = wb.answerer.generate([message], max_new_tokens=16)
    clock.mark("views + generation")
    states = wb.vlm.seg_hidden_states([message], "[SEG]")
    masks = wb.mask_predictor.predict([fitted_view(scene, whole, 1024).image], [states])
    clock.mark("[SEG] states + decoder")
    save_images(views_dir / "tiling", images)
    tokens = sum(math.ceil(i.shape[0] / 28) * math.ceil(i.shape[1] / 28) for i in images)
    return {
        "how": f"GeoPixel-style tiling: {len(images) - 1} × {TILE}² tiles + global view",
        "stages": clock.stages,
        "vision_tokens": tokens,
        "pixels": sum(i.shape[0] * i.shape[1] for i in images),
        "heat_maps": 0,
        "masks": len(masks[0].probs),
        "prompt_tokens": reply.prompt_tokens,
    }


def table(rows: list[dict[str, Any]]) -> str:
    """Markdown: one row per way of answering."""
    stages = ["heat maps + zoom", "views + generation", "[SEG] states + decoder"]
    head = "| how | vision tokens | pixels | " + " | ".join(f"{s} (s)" for s in stages)
    lines = [head + " | total (s) | peak GPU (GiB) |", "|---|" + "---:|" * (len(stages) + 4)]
    for r in rows:
        cells = [f"{r['stages'].get(s, 0.0):.2f}" for s in stages]
        total = sum(r["stages"].values())
        peak = f"{r['peak_gib']:.1f}" if r.get("peak_gib") is not None else "–"
        lines.append(
            f"| {r['how']} | {r['vision_tokens']:,} | {r['pixels']:,} | "
            + " | ".join(cells)
            + f" | {total:.2f} | {peak} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Build the models, time both ways, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tiny", action="store_true", help="miniature configs on the CPU (CI)")
    parser.add_argument("--device", default=None, help="default: cuda, or cpu with --tiny")
    parser.add_argument("--out", type=Path, default=Path("gpu-check-out"))
    args = parser.parse_args()
    device = args.device or ("cpu" if args.tiny else "cuda")
    if device.startswith("cuda") and not torch.cuda.is_available():
        sys.exit("no CUDA device: run on a GPU machine, or use --tiny for the CPU path")
    dtype = torch.float32 if device == "cpu" else torch.bfloat16
    args.out.mkdir(parents=True, exist_ok=True)
    width, height = (2560, 1440) if args.tiny else (3840, 2160)  # both zoom: wider than 1344
    scene = write_4k_scene(args.out / f"scene_{width}x{height}.tif", width, height)
    model_dir = write_model_dir(args.out / "qwen2_5_vl", args.tiny, args.out / "cache")
    sam2 = (
        "configs/sam2.1/sam2.1_hiera_t.yaml" if args.tiny else "configs/sam2.1/sam2.1_hiera_l.yaml"
    )
    settings = Settings(
        model_profile="full",
        vlm_path=model_dir,
        sam2_config=sam2,
        device=device,
        data_dir=args.out / "data",
        scene_files=(scene,),
    )
    started = time.perf_counter()
    wb = Workbench(settings)
    wb.__dict__["vlm"] = random_vlm(model_dir, device, dtype)
    params = sum(p.numel() for p in wb.vlm.model.parameters())
    _ = wb.mask_predictor
    sam_params = sum(p.numel() for p in wb.mask_predictor.encoder.parameters())
    build_s = time.perf_counter() - started
    rows = []
    for run in (geomag, tiling):
        if device.startswith("cuda"):
            torch.cuda.reset_peak_memory_stats()
        row = run(wb, str(scene), device, args.out / "views")
        row["peak_gib"] = (
            torch.cuda.max_memory_allocated() / 2**30 if device.startswith("cuda") else None
        )
        rows.append(row)
        print(f"  {row['how']}: {sum(row['stages'].values()):.2f} s", file=sys.stderr)
    gpu = torch.cuda.get_device_name(0) if device.startswith("cuda") else "CPU"
    print(table(rows))
    size = f"{params / 1e9:.2f} B" if params >= 1e8 else f"{params / 1e6:.2f} M"
    print(
        f"\n{'tiny' if args.tiny else 'real-size'} random weights on {gpu}: VLM "
        f"{size} parameters ({str(dtype).removeprefix('torch.')}), SAM2 image "
        f"encoder {sam_params / 1e6:.1f} M ({Path(sam2).stem}); scene {width}×{height}; "
        f"models built in {build_s:.1f} s."
    )
    record = {"device": gpu, "tiny": args.tiny, "params": params, "rows": rows}
    (args.out / "gpu_check.json").write_text(json.dumps(record, indent=2, default=str))


if __name__ == "__main__":
    main()
