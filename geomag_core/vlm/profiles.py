"""Which VLM the configured profile uses, for generation and for in-process work (PSC, [SEG])."""

from __future__ import annotations

from geomag_core.config import Settings
from geomag_core.errors import ConfigError
from geomag_core.vlm.backend import VLMBackend
from geomag_core.vlm.openai_backend import OpenAIVLM
from geomag_core.vlm.tiny import build_tiny_vlm
from geomag_core.vlm.transformers_backend import TransformersVLM

__all__ = ["generation_vlm", "in_process_vlm"]


def in_process_vlm(settings: Settings) -> TransformersVLM:
    """The in-process copy of the profile's VLM.

    ``tiny`` builds (once) the random-weight miniature under ``<data_dir>/models``; ``full`` uses
    ``GEOMAG_VLM_PATH``. ``nano`` has no VLM: its heat maps and masks come from its own model.
    """
    if settings.model_profile == "tiny":
        path = build_tiny_vlm(settings.data_dir / "models")
    elif settings.vlm_path is not None:
        path = settings.vlm_path
    else:
        raise ConfigError(
            f"the {settings.model_profile!r} profile has no VLM configured: set GEOMAG_VLM_PATH to "
            "a local Hugging Face VLM directory (e.g. Qwen2.5-VL with a [SEG] token), or use "
            "GEOMAG_MODEL_PROFILE=tiny for plumbing tests"
        )
    return TransformersVLM(path, device=settings.device)


def generation_vlm(settings: Settings) -> VLMBackend:
    """The backend that answers: the vLLM server (``GEOMAG_VLM_BACKEND=openai``) or in-process."""
    if settings.vlm_backend == "openai":
        return OpenAIVLM(settings.vllm_url, settings.vllm_model, timeout_s=settings.vllm_timeout_s)
    return in_process_vlm(settings)
