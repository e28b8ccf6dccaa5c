"""GeoMag's pixel decoder (ARCHITECTURE.md, mechanism 4) on SAM2 image features.

``features`` (the encoder interface) and ``sam2_encoder`` give multi-scale features of a crop;
``projection`` maps a VLM ``[SEG]`` hidden state to a prompt; ``pixel_decoder`` (GeoMag) or
``sam_prompt`` (GeoPixel/LISA) turn both into one mask and a confidence per ``[SEG]``;
``losses``/``training``/``checkpoint`` fine-tune and store it; ``predictor`` runs it in batches.
"""

from geomag_core.decoder.checkpoint import DECODER_FORMAT, load_decoder, save_decoder
from geomag_core.decoder.dataset import DecoderSample, read_decoder_dataset, write_decoder_dataset
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
    DecoderTrainConfig,
    PreparedSample,
    image_tensor,
    prepare_samples,
    train_decoder,
    train_step,
)

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
