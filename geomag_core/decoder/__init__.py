"""GeoMag's pixel decoder (docs/architecture.md, mechanism 4) on SAM2 image features.

``features`` (the encoder interface) and ``sam2_encoder`` give multi-scale features of a crop;
``projection`` maps a VLM ``[SEG]`` hidden state to a prompt; ``pixel_decoder`` (GeoMag) or
``sam_prompt`` (GeoPixel/LISA) turn both into one mask and a confidence per ``[SEG]``;
``losses``/``training``/``checkpoint`` fine-tune and store it; ``predictor`` runs it in batches;
``recipe`` holds the training defaults.

Every name but the recipe needs torch and loads on first use, so the CLI can show the defaults of
``geomag train decoder`` without importing torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from geomag_core.decoder.recipe import DecoderTrainConfig
from geomag_core.lazy import lazy_attributes

if TYPE_CHECKING:
    from geomag_core.decoder.checkpoint import DECODER_FORMAT, load_decoder, save_decoder
    from geomag_core.decoder.dataset import (
        DecoderSample,
        read_decoder_dataset,
        write_decoder_dataset,
    )
    from geomag_core.decoder.features import ImageFeatureEncoder, padded_size
    from geomag_core.decoder.losses import bce_loss, dice_loss, mask_loss
    from geomag_core.decoder.pixel_decoder import DecoderOutput, PixelDecoder
    from geomag_core.decoder.predictor import CropMasks, MaskPredictor, build_mask_predictor
    from geomag_core.decoder.projection import SegProjection
    from geomag_core.decoder.sam2_encoder import (
        SAM2_CONFIGS,
        SAM2ImageEncoder,
        build_sam2_model,
        resolve_sam2_config,
    )
    from geomag_core.decoder.sam_prompt import SAMPromptDecoder
    from geomag_core.decoder.training import (
        PreparedSample,
        image_tensor,
        prepare_samples,
        train_decoder,
        train_step,
    )

#: The torch-backed names and the module each one loads from on first use.
_LAZY = {
    "DECODER_FORMAT": "checkpoint",
    "load_decoder": "checkpoint",
    "save_decoder": "checkpoint",
    "DecoderSample": "dataset",
    "read_decoder_dataset": "dataset",
    "write_decoder_dataset": "dataset",
    "ImageFeatureEncoder": "features",
    "padded_size": "features",
    "bce_loss": "losses",
    "dice_loss": "losses",
    "mask_loss": "losses",
    "DecoderOutput": "pixel_decoder",
    "PixelDecoder": "pixel_decoder",
    "CropMasks": "predictor",
    "MaskPredictor": "predictor",
    "build_mask_predictor": "predictor",
    "SegProjection": "projection",
    "SAM2_CONFIGS": "sam2_encoder",
    "SAM2ImageEncoder": "sam2_encoder",
    "build_sam2_model": "sam2_encoder",
    "resolve_sam2_config": "sam2_encoder",
    "SAMPromptDecoder": "sam_prompt",
    "PreparedSample": "training",
    "image_tensor": "training",
    "prepare_samples": "training",
    "train_decoder": "training",
    "train_step": "training",
}

__all__ = [
    "DECODER_FORMAT",
    "SAM2_CONFIGS",
    "CropMasks",
    "DecoderOutput",
    "DecoderSample",
    "DecoderTrainConfig",
    "ImageFeatureEncoder",
    "MaskPredictor",
    "PixelDecoder",
    "PreparedSample",
    "SAM2ImageEncoder",
    "SAMPromptDecoder",
    "SegProjection",
    "bce_loss",
    "build_mask_predictor",
    "build_sam2_model",
    "dice_loss",
    "image_tensor",
    "load_decoder",
    "mask_loss",
    "padded_size",
    "prepare_samples",
    "read_decoder_dataset",
    "resolve_sam2_config",
    "save_decoder",
    "train_decoder",
    "train_step",
    "write_decoder_dataset",
]


#: Torch-backed names load from their module the first time they are asked for.
__getattr__ = lazy_attributes(__name__, _LAZY)
