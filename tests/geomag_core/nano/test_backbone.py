from __future__ import annotations

import timm
import torch

from geomag_core.nano.backbone import (
    BACKBONE_CHANNELS,
    BACKBONE_STRIDES,
    TUNED_FROM,
    build_backbone,
    imagenet_lite0_state,
    levels_from_stem,
    packaged_weights_path,
    stem,
    tuned_parameters,
)


def test_packaged_weights_map_onto_timm_with_every_key_matched() -> None:
    full = timm.create_model("efficientnet_lite0", pretrained=False)
    state = imagenet_lite0_state(full)
    assert len(state) == 296
    result = full.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    packaged = torch.load(str(packaged_weights_path()), map_location="cpu", weights_only=True)
    first_conv = next(iter(packaged.values()))
    assert torch.equal(full.conv_stem.weight, first_conv)


def test_pyramid_shapes_and_pretrained_values() -> None:
    backbone = build_backbone(pretrained=True).eval()
    with torch.no_grad():
        levels = backbone(torch.zeros(1, 3, 64, 96))
    assert [lv.shape[1] for lv in levels] == list(BACKBONE_CHANNELS)
    assert [(lv.shape[2], lv.shape[3]) for lv in levels] == [
        (64 // s, 96 // s) for s in BACKBONE_STRIDES
    ]
    random = build_backbone(pretrained=False)
    assert not torch.equal(
        backbone.state_dict()["conv_stem.weight"], random.state_dict()["conv_stem.weight"]
    )


def test_the_stem_and_the_tuned_blocks_are_the_backbone_in_two_parts() -> None:
    torch.manual_seed(0)
    backbone = build_backbone(pretrained=False).eval()
    images = torch.randn(2, 3, 64, 96)
    with torch.no_grad():
        whole = backbone(images)
        parts = levels_from_stem(backbone, stem(backbone, images))
    assert len(parts) == len(whole)
    for a, b in zip(whole, parts, strict=True):
        assert torch.equal(a, b)
    tuned = {id(p) for p in tuned_parameters(backbone)}
    assert not tuned & {id(p) for p in backbone.conv_stem.parameters()}
    assert not tuned & {id(p) for p in backbone.blocks[TUNED_FROM - 1].parameters()}
    assert tuned >= {id(p) for p in backbone.blocks[-1].parameters()}
