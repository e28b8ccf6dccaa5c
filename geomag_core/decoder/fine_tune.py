"""The ``geomag train decoder`` job: the profile's VLM + SAM2 + a dataset → decoder weights.

The VLM (``[SEG]`` hidden states) and the SAM2 image encoder are frozen; the pixel decoder and,
unless told otherwise, the ``[SEG]`` projection are trained with BCE + Dice and written as
safetensors (:mod:`geomag_core.decoder.checkpoint`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from geomag_core.config import Settings
from geomag_core.decoder.checkpoint import load_decoder, save_decoder
from geomag_core.decoder.dataset import DecoderSample, read_decoder_dataset
from geomag_core.decoder.pixel_decoder import PixelDecoder
from geomag_core.decoder.projection import SegProjection
from geomag_core.decoder.sam2_encoder import SAM2ImageEncoder, build_sam2_model
from geomag_core.decoder.training import DecoderTrainConfig, prepare_samples, train_decoder
from geomag_core.vlm.messages import ChatMessage
from geomag_core.vlm.profiles import in_process_vlm
from geomag_core.vlm.transformers_backend import resolve_device

__all__ = ["DecoderTrainReport", "fine_tune_decoder"]


@dataclass(frozen=True)
class DecoderTrainReport:
    """What a fine-tuning run did."""

    weights: Path
    samples: int
    hidden_size: int
    losses: list[float] = field(repr=False)
    seconds: dict[str, float]


def fine_tune_decoder(
    settings: Settings,
    data: Path,
    out: Path,
    config: DecoderTrainConfig,
    *,
    init: Path | None = None,
    on_step: Callable[[int, float], None] | None = None,
) -> DecoderTrainReport:
    """Fine-tune the decoder on the dataset directory ``data`` and write ``out``.

    Args:
        settings: profile (which VLM), ``sam2_config``/``sam2_checkpoint`` and ``device``.
        data: a directory in the :mod:`geomag_core.decoder.dataset` layout.
        out: the safetensors file to write.
        config: training hyper-parameters.
        init: start from this decoder file instead of a seeded initialisation (it must fit:
            mismatched keys or hidden sizes fail loudly).
        on_step: called with ``(step, loss)`` after every step (progress display).

    """
    started = time.perf_counter()
    device = resolve_device(settings.device)
    samples = read_decoder_dataset(data)
    vlm = in_process_vlm(settings)
    sam2 = build_sam2_model(settings.sam2_config, settings.sam2_checkpoint, device)
    encoder = SAM2ImageEncoder.from_sam2(sam2).to(device).eval()

    def seg_states(sample: DecoderSample) -> torch.Tensor:
        messages = [ChatMessage.user(sample.text, [sample.image])]
        return vlm.seg_hidden_states(messages, sample.answer)

    prepared = prepare_samples(samples, encoder, seg_states, device)
    prepare_s = time.perf_counter() - started
    hidden_size = int(prepared[0].seg_hidden.shape[1])
    torch.manual_seed(config.seed)
    decoder = PixelDecoder(channels=encoder.channels, strides=encoder.strides)
    projection = SegProjection(hidden_size=hidden_size, dim=encoder.channels)
    if init is not None:
        decoder, loaded, _ = load_decoder(init, hidden_size=hidden_size)
        projection = loaded or projection
    losses = train_decoder(prepared, decoder, projection, config, device, on_step=on_step)
    extra = {
        "profile": settings.model_profile,
        "vlm": vlm.name,
        "sam2_config": settings.sam2_config,
        "sam2_checkpoint": str(settings.sam2_checkpoint or "random"),
        "steps": str(config.steps),
        "seed": str(config.seed),
        "train_projection": str(config.train_projection),
        "first_loss": f"{losses[0]:.6f}",
        "final_loss": f"{losses[-1]:.6f}",
    }
    weights = save_decoder(out, decoder, projection, extra=extra)
    total = time.perf_counter() - started
    return DecoderTrainReport(
        weights=weights,
        samples=len(samples),
        hidden_size=hidden_size,
        losses=losses,
        seconds={"prepare": prepare_s, "train": total - prepare_s},
    )
