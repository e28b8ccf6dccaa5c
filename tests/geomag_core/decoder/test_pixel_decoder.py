from __future__ import annotations

from typing import Any

import pytest
import torch

from geomag_core.decoder import (
    ImageFeatureEncoder,
    PixelDecoder,
    SAM2ImageEncoder,
    SAMPromptDecoder,
    SegProjection,
    mask_loss,
    resolve_sam2_config,
)
from geomag_core.errors import ConfigError

SIZES = [(256, 256), (160, 224), (100, 130)]


@pytest.fixture(scope="module")
def features_by_size(sam2_encoder: SAM2ImageEncoder) -> dict[tuple[int, int], list[torch.Tensor]]:
    torch.manual_seed(1)
    with torch.no_grad():
        return {size: sam2_encoder.encode(torch.rand(2, 3, *size)) for size in SIZES}


def test_sam2_encoder_is_an_image_feature_encoder_with_256_channels_at_4_8_16(
    sam2_encoder: SAM2ImageEncoder, features_by_size: dict[tuple[int, int], list[torch.Tensor]]
) -> None:
    assert isinstance(sam2_encoder, ImageFeatureEncoder)
    assert features_by_size[(256, 256)][0].shape == (2, 256, 64, 64)
    assert [tuple(f.shape) for f in features_by_size[(160, 224)]] == [
        (2, 256, 40, 56),
        (2, 256, 20, 28),
        (2, 256, 10, 14),
    ]
    # 100x130 is padded to 128x160 before encoding
    assert [tuple(f.shape[-2:]) for f in features_by_size[(100, 130)]] == [
        (32, 40),
        (16, 20),
        (8, 10),
    ]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("tokens", [1, 3])
def test_pixel_decoder_gives_one_mask_and_confidence_per_seg_at_crop_size(
    features_by_size: dict[tuple[int, int], list[torch.Tensor]],
    size: tuple[int, int],
    tokens: int,
) -> None:
    torch.manual_seed(0)
    decoder = PixelDecoder(hidden_channels=16)
    seg = SegProjection(hidden_size=64)(torch.randn(2, tokens, 64))
    with torch.no_grad():
        out = decoder(features_by_size[size], seg, size)
    assert out.masks.shape == (2, tokens, *size)
    assert out.confidence.shape == (2, tokens)
    assert out.fused.shape == (2, *size)
    assert float(out.masks.min()) >= 0.0 and float(out.masks.max()) <= 1.0
    assert float(out.confidence.min()) >= 0.0 and float(out.confidence.max()) <= 1.0
    if tokens == 1:
        torch.testing.assert_close(out.fused, out.masks[:, 0])


def test_padding_slots_are_empty_and_do_not_enter_the_fused_mask(
    features_by_size: dict[tuple[int, int], list[torch.Tensor]],
) -> None:
    torch.manual_seed(0)
    decoder = PixelDecoder(hidden_channels=16)
    seg = torch.randn(2, 3, 256)
    valid = torch.tensor([[True, False, False], [True, True, True]])
    with torch.no_grad():
        out = decoder(features_by_size[(256, 256)], seg, (256, 256), valid)
    assert float(out.masks[0, 1:].abs().max()) == 0.0
    assert float(out.confidence[0, 1:].abs().max()) == 0.0
    torch.testing.assert_close(out.fused[0], out.masks[0, 0])


def test_too_many_seg_tokens_is_an_error(
    features_by_size: dict[tuple[int, int], list[torch.Tensor]],
) -> None:
    decoder = PixelDecoder(hidden_channels=8, max_seg_tokens=2)
    with pytest.raises(ValueError, match="3 \\[SEG\\] tokens"):
        decoder(features_by_size[(256, 256)], torch.randn(2, 3, 256), (256, 256))


def test_gradients_reach_every_decoder_and_projection_parameter(
    features_by_size: dict[tuple[int, int], list[torch.Tensor]],
) -> None:
    torch.manual_seed(0)
    decoder = PixelDecoder(hidden_channels=16)
    projection = SegProjection(hidden_size=64)
    size = (160, 224)
    out = decoder(features_by_size[size], projection(torch.randn(2, 2, 64)), size)
    target = torch.zeros(2, *size)
    target[:, 40:100, 50:150] = 1
    mask_loss(out.fused, target).backward()  # type: ignore[no-untyped-call]
    for name, p in [*decoder.named_parameters(), *projection.named_parameters()]:
        assert p.grad is not None, name
        assert float(p.grad.abs().sum()) > 0, f"no gradient reaches {name}"


def test_lisa_path_prompts_sam2_mask_decoder_with_seg(
    sam2_tiny: Any, features_by_size: dict[tuple[int, int], list[torch.Tensor]]
) -> None:
    decoder = SAMPromptDecoder.from_sam2(sam2_tiny)
    torch.manual_seed(0)
    seg = torch.randn(2, 2, 256)
    with torch.no_grad():
        out = decoder(features_by_size[(100, 130)], seg, (100, 130))
        other = decoder(features_by_size[(100, 130)], -seg, (100, 130))
    assert out.masks.shape == (2, 2, 100, 130)
    assert out.confidence.shape == (2, 2)
    assert not torch.allclose(out.masks, other.masks)  # the prompt matters


def test_sam2_config_names_resolve_and_unknown_ones_fail() -> None:
    assert resolve_sam2_config("large") == "configs/sam2.1/sam2.1_hiera_l.yaml"
    assert resolve_sam2_config("configs/sam2/sam2_hiera_t.yaml").endswith("hiera_t.yaml")
    with pytest.raises(ConfigError, match="GEOMAG_SAM2_CONFIG"):
        resolve_sam2_config("huge")
