"""Typed settings for every layer, read from ``GEOMAG_*`` environment variables and ``.env``.

``geomag config`` prints the effective values. Weights are inputs like a database URL: a path
left unset means "use what the active profile ships or builds".
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from geomag_core.errors import ConfigError

__all__ = ["REPO_ROOT", "SAMPLES_DIR", "Settings", "check_device", "get_settings"]

#: The checkout this package runs from (meaningful for an editable install, which is how the
#: README sets the project up); used only for defaults that point beside the checkout.
REPO_ROOT = Path(__file__).resolve().parent.parent
#: The bundled sample scenes.
SAMPLES_DIR = REPO_ROOT / "samples"
_DEVICE = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")

ModelProfile = Literal["tiny", "nano", "full"]


class Settings(BaseSettings):
    """Effective configuration. Every field is ``GEOMAG_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(
        env_prefix="GEOMAG_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(
        default=Path.home() / ".local" / "share" / "geomag",
        description="Where the database, uploads and generated model fixtures live.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; unset means a SpatiaLite file <data_dir>/geomag.sqlite.",
    )
    shared_data_dir: Path = Field(
        default=REPO_ROOT.parent / "shared" / "data",
        description="Real imagery for training/evaluation (never copied into the repo).",
    )
    model_profile: ModelProfile = Field(
        default="nano", description="tiny (random test fixtures) | nano (own model) | full."
    )
    device: str = Field(
        default="auto", description="torch device: auto | cpu | cuda | cuda:N | mps."
    )
    rgb_bands: Annotated[tuple[int, int, int], NoDecode] = Field(
        default=(1, 2, 3), description="1-based band numbers used as R,G,B (e.g. '1,2,3')."
    )
    image_view_size: int = Field(
        default=100, ge=8, description="Side of the square image-granularity view (paper: 100)."
    )
    pool_factor: int = Field(default=4, ge=2, description="TMRA's D: k×k average pooling, s=k.")
    max_view_side: int = Field(
        default=1024,
        ge=64,
        description="No TMRA view is longer than this (px): a larger zoom window or pooled "
        "scene is read decimated to it, so memory is bounded on huge scenes.",
    )
    classifier_encoder: str | None = Field(
        default=None, description="Sentence encoder path; unset = the packaged all-MiniLM-L6-v2."
    )
    classifier_head: Path | None = Field(
        default=None, description="Granularity head (safetensors); unset = the shipped head."
    )
    vlm_path: Path | None = Field(default=None, description="Local HF VLM directory (full).")
    sam2_config: str = Field(
        default="configs/sam2.1/sam2.1_hiera_t.yaml", description="sam2 package config name."
    )
    sam2_checkpoint: Path | None = Field(default=None, description="SAM2 checkpoint (full).")
    nano_weights: Path | None = Field(
        default=None, description="GeoMag-nano weights; unset = the shipped weights."
    )
    gsd: float | None = Field(
        default=None,
        gt=0,
        description="Metres per pixel of scenes without a CRS (unset: each nano class's training "
        "GSD); overrides a scene's CRS too.",
    )
    nir_band: int | None = Field(
        default=None,
        ge=1,
        description="1-based near-infrared band for NDWI/NDVI (unset: from band descriptions, "
        "else band 4 of a 4-band RGB-shown raster).",
    )
    agent_mode: Literal["pipeline", "investigator"] = Field(
        default="pipeline",
        description="pipeline (classifier routes) or investigator (tool-calling VLM plans).",
    )
    vlm_backend: Literal["transformers", "openai"] = Field(
        default="transformers",
        description="Generation: in-process transformers, or the OpenAI-compatible vLLM server.",
    )
    vllm_python: Path = Field(
        default=REPO_ROOT / ".venv-vllm" / "bin" / "python",
        description="Interpreter of the separate vLLM environment (scripts/setup-vllm.sh).",
    )
    vllm_url: str = Field(
        default="http://127.0.0.1:8000/v1", description="OpenAI-compatible vLLM base URL."
    )
    vllm_model: str | None = Field(default=None, description="Served model name (full).")
    vllm_timeout_s: float = Field(
        default=60.0,
        gt=0,
        description="Overall deadline of one VLM call, retries and backoff included.",
    )
    scenes_dir: Path | None = Field(
        default=None, description="A folder of scenes the app lists beside the samples and uploads."
    )
    upload_max_mb: int = Field(
        default=512, ge=1, description="Largest scene file the app accepts as an upload, in MB."
    )
    scene_files: Annotated[tuple[Path, ...], NoDecode] = Field(
        default=(),
        description="Scene files allowed outside the scene folders (os.pathsep-separated); "
        "`geomag ask PATH` adds the PATH typed.",
    )
    max_scene_pixels: int = Field(
        default=500_000_000,
        ge=1,
        description="Largest scene accepted, in pixels (width × height); larger ones are "
        "refused when opened, uploads included.",
    )
    question_budget_s: float = Field(
        default=120.0,
        gt=0,
        description="Time budget of nano's native-resolution search per question, in seconds; "
        "when spent no more windows are added and the answer says how much was searched.",
    )

    def __init__(self, **values: Any) -> None:
        """Read the settings; a value that cannot be used is a :class:`ConfigError`."""
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise ConfigError(_describe_invalid(exc)) from None

    @field_validator("device")
    @classmethod
    def _check_device_name(cls, value: str) -> str:
        value = value.strip()
        if not _DEVICE.match(value):
            raise ValueError("write auto, cpu, cuda, cuda:N or mps")
        return value

    @field_validator("scene_files", mode="before")
    @classmethod
    def _parse_paths(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(Path(p) for p in value.split(os.pathsep) if p)
        return value

    @field_validator("rgb_bands", mode="before")
    @classmethod
    def _parse_bands(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in value.replace(" ", "").split(",") if p]
            if len(parts) != 3 or not all(p.isdigit() for p in parts):
                raise ValueError("write three band numbers, e.g. GEOMAG_RGB_BANDS=1,2,3")
            return tuple(int(p) for p in parts)
        return value

    @field_validator("rgb_bands")
    @classmethod
    def _check_bands(cls, value: tuple[int, int, int]) -> tuple[int, int, int]:
        if any(b < 1 for b in value):
            raise ValueError("band numbers are 1-based, e.g. GEOMAG_RGB_BANDS=1,2,3")
        return value

    @property
    def effective_database_url(self) -> str:
        """The database URL in use: the configured one or the SpatiaLite default."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'geomag.sqlite'}"

    @property
    def scene_folders(self) -> tuple[Path, ...]:
        """Folders whose scenes the graph, the app and the tools may open.

        ``GEOMAG_SCENES_DIR`` (when set), the bundled samples, the upload store
        (``<data_dir>/uploads``) and the shared data dir; :attr:`scene_files` adds single files.
        """
        folders = [SAMPLES_DIR, self.data_dir / "uploads", self.shared_data_dir]
        if self.scenes_dir is not None:
            folders.insert(0, self.scenes_dir)
        return tuple(folders)

    def describe(self) -> dict[str, str]:
        """Every setting as text, the derived database URL included, for ``geomag config``."""
        out = {name: _show(getattr(self, name)) for name in type(self).model_fields}
        out["database_url"] = self.effective_database_url
        return out


def _show(value: object) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def _describe_invalid(exc: ValidationError) -> str:
    """One line naming each bad setting, its variable, the value given and what is expected."""
    parts = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else "settings"
        given = error.get("input")
        shown = f" {given!r}" if isinstance(given, str | int | float) else ""
        reason = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"GEOMAG_{name.upper()}{shown} is not a valid value: {reason}")
    return "; ".join(parts)


def check_device(device: str) -> str:
    """``device`` resolved (``auto`` → ``cuda`` or ``cpu``) after checking it exists here.

    Raises:
        ConfigError: a CUDA device that this machine does not have (no driver, or an index
            beyond the GPUs visible), or ``mps`` where there is none.

    """
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda"):
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        index = int(device.partition(":")[2] or 0)
        if index >= count:
            seen = f"{count} CUDA device(s) visible" if count else "no CUDA GPU is visible"
            raise ConfigError(
                f"GEOMAG_DEVICE={device} is not available on this machine ({seen}); "
                "use GEOMAG_DEVICE=auto or cpu"
            )
    if device == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("GEOMAG_DEVICE=mps is not available here; use auto or cpu")
    return device


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once; tests build their own ``Settings``)."""
    return Settings()
