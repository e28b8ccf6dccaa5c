"""Decoder training data: (image crop, text, mask) records in a directory.

Layout: ``<dir>/samples.jsonl``, one JSON object per line::

    {"image": "crops/0001.png", "text": "segment the storage tank", "mask": "masks/0001.png"}

with an optional ``"answer"`` (the VLM answer holding the ``[SEG]`` token; default ``"[SEG]"``).
Paths are relative to the directory. Images are RGB (any format PIL reads, uint8); masks are
single-band images of the same size, non-zero = object. Both are in crop pixels.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from geomag_core.errors import DatasetError
from geomag_core.vlm.tiny import SEG_TOKEN

__all__ = ["DecoderSample", "read_decoder_dataset", "write_decoder_dataset"]

INDEX_FILE = "samples.jsonl"


@dataclass(frozen=True)
class DecoderSample:
    """One training record.

    Attributes:
        image: ``(H, W, 3)`` uint8 RGB crop.
        text: the query about the crop.
        mask: ``(H, W)`` bool target in crop pixels.
        answer: the VLM answer whose ``[SEG]`` hidden state prompts the decoder.

    """

    image: NDArray[np.uint8] = field(repr=False)
    text: str
    mask: NDArray[np.bool_] = field(repr=False)
    answer: str = SEG_TOKEN

    def __post_init__(self) -> None:
        if self.image.ndim != 3 or self.image.shape[2] != 3 or self.image.dtype != np.uint8:
            raise DatasetError(
                f"image must be HxWx3 uint8, got {self.image.dtype}{self.image.shape}"
            )
        if self.mask.shape != self.image.shape[:2]:
            raise DatasetError(
                f"mask {self.mask.shape} and image {self.image.shape[:2]} differ in size"
            )
        if SEG_TOKEN not in self.answer:
            raise DatasetError(f"answer {self.answer!r} holds no {SEG_TOKEN} token")


def read_decoder_dataset(directory: Path) -> list[DecoderSample]:
    """Read every record of ``directory/samples.jsonl``.

    Raises:
        DatasetError: the index is missing or empty, a line is not a valid record, or a file it
            names is missing, unreadable or of the wrong size.

    """
    index = Path(directory) / INDEX_FILE
    if not index.is_file():
        raise DatasetError(
            f"no {INDEX_FILE} in {str(directory)!r}: a decoder dataset is a directory with one "
            'JSON line per sample: {"image": "a.png", "text": "...", "mask": "a_mask.png"}'
        )
    samples = []
    for number, line in enumerate(index.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{index}:{number}"
        try:
            record = json.loads(line)
            image_path, mask_path = index.parent / record["image"], index.parent / record["mask"]
            text = str(record["text"])
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise DatasetError(f"{where}: need a JSON object with image, text, mask") from exc
        try:
            image = np.asarray(Image.open(image_path).convert("RGB"), dtype=np.uint8)
            mask = np.asarray(Image.open(mask_path).convert("L")) > 0
        except OSError as exc:
            raise DatasetError(f"{where}: cannot read {exc.filename or exc}") from exc
        try:
            samples.append(DecoderSample(image, text, mask, str(record.get("answer", SEG_TOKEN))))
        except DatasetError as exc:
            raise DatasetError(f"{where}: {exc}") from exc
    if not samples:
        raise DatasetError(f"{index} holds no samples")
    return samples


def write_decoder_dataset(directory: Path, samples: list[DecoderSample]) -> Path:
    """Write ``samples`` as PNGs plus ``samples.jsonl`` under ``directory``; returns the index."""
    directory.mkdir(parents=True, exist_ok=True)
    lines = []
    for i, sample in enumerate(samples):
        image_name, mask_name = f"{i:05d}.png", f"{i:05d}_mask.png"
        Image.fromarray(sample.image).save(directory / image_name)
        Image.fromarray(sample.mask.astype(np.uint8) * 255).save(directory / mask_name)
        lines.append(
            json.dumps(
                {
                    "image": image_name,
                    "text": sample.text,
                    "mask": mask_name,
                    "answer": sample.answer,
                }
            )
        )
    index = directory / INDEX_FILE
    index.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return index
