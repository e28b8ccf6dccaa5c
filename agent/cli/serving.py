"""``geomag serve-vlm``: run a vLLM OpenAI-compatible server for the app to talk to."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from geomag_core.config import Settings
from geomag_core.vlm.serving import VLLMServer
from geomag_core.vlm.tiny import build_tiny_vlm

__all__ = ["register"]


def serve_vlm(
    model: Annotated[
        str, typer.Option("--model", help="Local HF VLM directory, or 'tiny' for the test model.")
    ],
    name: Annotated[str, typer.Option(help="Served model name.")] = "geomag-vlm",
    host: Annotated[str, typer.Option(help="Listen address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Listen port.")] = 8000,
    max_model_len: Annotated[int, typer.Option(help="Context length.")] = 4096,
    max_images: Annotated[int, typer.Option(help="Images per prompt.")] = 4,
    dtype: Annotated[str, typer.Option(help="auto | float32 | bfloat16 | float16.")] = "auto",
    ready_timeout: Annotated[float, typer.Option(help="Seconds to wait for /health.")] = 600.0,
    extra: Annotated[
        list[str] | None, typer.Argument(help="More vLLM arguments, after '--'.")
    ] = None,
) -> None:
    """Start vLLM with the flags GeoMag needs (multi-image, tool calling) and print its URL."""
    settings = Settings()
    console = Console(stderr=True)
    path = build_tiny_vlm(settings.data_dir / "models") if model == "tiny" else Path(model)
    if model == "tiny":
        console.print("[yellow]tiny profile: random weights, outputs are meaningless[/yellow]")
        dtype = "float32" if dtype == "auto" else dtype
    server = VLLMServer(
        model=path,
        python=settings.vllm_python,
        name=name,
        host=host,
        port=port,
        max_model_len=max_model_len,
        max_images=max_images,
        dtype=dtype,
        cache_dir=settings.data_dir / "vllm-cache",
        extra_args=list(extra or []),
    )
    server.start()
    try:
        with console.status(f"starting vLLM on {path} (a minute or more on a CPU)…"):
            server.wait_ready(ready_timeout)
        console.print(f"serving [bold]{name}[/bold] at {server.url}")
        console.print(
            f"point GeoMag at it: GEOMAG_VLM_BACKEND=openai GEOMAG_VLLM_URL={server.url} "
            f"GEOMAG_VLLM_MODEL={name}"
        )
        typer.echo(server.url)
        assert server.process is not None
        server.process.wait()
    except KeyboardInterrupt:
        console.print("stopping vLLM")
    finally:
        server.stop()


def register(app: typer.Typer) -> None:
    """Add ``serve-vlm`` to ``app``."""
    app.command("serve-vlm")(serve_vlm)
