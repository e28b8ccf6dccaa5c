"""``geomag train decoder``: fine-tune the pixel decoder on (image crop, text, mask) records."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

from geomag_core.config import Settings
from geomag_core.decoder.recipe import DecoderTrainConfig
from geomag_core.profiles import profile_of

__all__ = ["register"]

_DEFAULTS = DecoderTrainConfig()


def train_decoder_cmd(
    data: Annotated[
        Path,
        typer.Option(
            "--data",
            "-d",
            help="Dataset directory: samples.jsonl with one "
            '{"image": ..., "text": ..., "mask": ...} per line (paths relative to it).',
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Weights to write (default <data_dir>/decoder/decoder.safetensors)."
        ),
    ] = None,
    steps: Annotated[int, typer.Option(min=1, help="Optimiser steps.")] = _DEFAULTS.steps,
    batch_size: Annotated[int, typer.Option(min=1, help="Samples per step.")] = (
        _DEFAULTS.batch_size
    ),
    lr: Annotated[float, typer.Option(min=0.0, help="AdamW learning rate.")] = _DEFAULTS.lr,
    seed: Annotated[int, typer.Option(help="Seed of initialisation and batch order.")] = 0,
    train_projection: Annotated[
        bool,
        typer.Option(
            "--train-projection/--freeze-projection", help="Also train the [SEG] projection."
        ),
    ] = True,
    init: Annotated[
        Path | None, typer.Option("--init", help="Start from an existing decoder file.")
    ] = None,
) -> None:
    """Fine-tune the pixel decoder (+ [SEG] projection) with BCE + Dice; write safetensors.

    The profile's VLM gives the [SEG] hidden states and SAM2 (GEOMAG_SAM2_CONFIG /
    GEOMAG_SAM2_CHECKPOINT; random weights when unset) the image features; both stay frozen.
    """
    from geomag_core.decoder.fine_tune import fine_tune_decoder  # torch: only when training

    settings = Settings()
    target = out or settings.data_dir / "decoder" / "decoder.safetensors"
    config = DecoderTrainConfig(
        steps=steps, batch_size=batch_size, lr=lr, seed=seed, train_projection=train_projection
    )
    console = Console()
    if not profile_of(settings).meaningful:
        console.print(
            f"[yellow]{settings.model_profile} profile: random-weight models, the result is "
            "meaningless[/]"
        )
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("training", total=steps)

        def on_step(step: int, loss: float) -> None:
            progress.update(task, advance=1, description=f"loss {loss:.4f}")

        report = fine_tune_decoder(settings, data, target, config, init=init, on_step=on_step)
    console.print(
        f"{report.samples} samples, [SEG] hidden size {report.hidden_size}; "
        f"prepare {report.seconds['prepare']:.1f} s, train {report.seconds['train']:.1f} s"
    )
    console.print(f"loss {report.losses[0]:.4f} → {report.losses[-1]:.4f} in {steps} steps")
    console.print(f"wrote {report.weights}")


def register(train_app: typer.Typer) -> None:
    """Add ``decoder`` to the ``train`` group."""
    train_app.command("decoder")(train_decoder_cmd)
