from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from geomag_core.nano.datasets import ObjectBox
from geomag_core.nano.model import NanoHead
from geomag_core.nano.text import TextTokens
from geomag_core.nano.training import _scaled_crop, train_step


def _levels(batch: int, size: int, finest: int = 4) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return [
        torch.randn(batch, c, size // s, size // s, generator=g)
        for c, s in [(16, 2), (24, 4), (40, 8), (112, 16), (320, 32)]
        if s >= finest
    ]


def _text(batch: int) -> TextTokens:
    g = torch.Generator().manual_seed(2)
    valid = torch.ones(batch, 5, dtype=torch.bool)
    valid[0, 3:] = False
    return TextTokens(torch.randn(batch, 5, 384, generator=g), valid)


def test_forward_shapes() -> None:
    head = NanoHead()
    out = head(_levels(2, 64), _text(2), (60, 64))
    assert out.decoded.masks.shape == (2, 1, 60, 64)
    assert out.decoded.confidence.shape == (2, 1)
    assert out.grid == (4, 4)
    assert len(out.attentions) == 2
    assert out.attentions[0].shape == (2, 4, 6, 16)  # [SEG] + 5 text rows over 4×4 tokens
    assert torch.allclose(out.attentions[0].sum(-1), torch.ones(2, 4, 6))


def test_a_stride_2_head_decodes_from_the_stem_and_the_default_one_ignores_it() -> None:
    fine, coarse = NanoHead(finest_stride=2), NanoHead()
    assert fine.decoder.strides == (2, 4, 8, 16) and coarse.decoder.strides == (4, 8, 16)
    assert fine.config["finest_stride"] == 2 and "finest_stride" not in coarse.config
    five = _levels(2, 64, finest=2)
    out = fine(five, _text(2), (60, 64))
    assert out.decoded.masks.shape == (2, 1, 60, 64) and out.grid == (4, 4)
    assert [tuple(lv.shape[-2:]) for lv in out.decoded.scale_logits] == [
        (32, 32),
        (16, 16),
        (8, 8),
        (4, 4),
    ]
    # The stem level moves the fine head's masks; the default head reads the last four only.
    changed = [five[0] + 1.0, *five[1:]]
    with torch.no_grad():
        assert not torch.equal(fine(changed, _text(2), (60, 64)).decoded.masks, out.decoded.masks)
        a = coarse(five, _text(2), (60, 64)).decoded.masks
        assert torch.equal(coarse(changed, _text(2), (60, 64)).decoded.masks, a)
        assert torch.equal(coarse(five[1:], _text(2), (60, 64)).decoded.masks, a)
    with pytest.raises(ValueError, match="finest_stride must be 2 or 4"):
        NanoHead(finest_stride=8)


def test_training_steps_reduce_the_loss_on_a_fixed_batch() -> None:
    torch.manual_seed(0)
    head = NanoHead()
    optimiser = torch.optim.AdamW(head.parameters(), lr=5e-3)
    levels, text = _levels(2, 64), _text(2)
    targets = torch.zeros(2, 64, 64, dtype=torch.bool)
    targets[0, 10:30, 20:40] = True
    losses = [train_step(head, optimiser, levels, text, targets) for _ in range(10)]
    assert losses[-1] < 0.8 * losses[0]


def test_coarse_training_crops_shrink_the_scene_and_its_targets_together() -> None:
    pixels = np.zeros((1000, 1000, 3), dtype=np.uint8)
    pixels[400:500, 300:400] = 255  # a bright 100-px "aircraft" under its box
    box = ObjectBox(300.0, 400.0, 400.0, 500.0, truncated=False)
    image = Image.fromarray(pixels)
    for scale in (1.0, 0.4):
        # Seed 1 draws a crop centred near the aircraft (70 % of draws), jittered by a third.
        crop, target = _scaled_crop(random.Random(1), image, (box,), 128, scale)
        assert crop.shape == (128, 128, 3) and target.shape == (128, 128)
        # The target sits on the bright pixels and has shrunk with the scene (ellipse ≈ π/4).
        side = 100 * scale
        assert 0 < target.sum() <= 1.15 * np.pi / 4 * side * side
        assert crop[target].mean() > 200


def test_magnified_crops_carry_shrunk_core_targets() -> None:
    pixels = np.zeros((1000, 1000, 3), dtype=np.uint8)
    pixels[400:420, 300:320] = 255  # a 20-px "tank"
    image = Image.fromarray(pixels)
    box = ObjectBox(300.0, 400.0, 320.0, 420.0)
    crop, target = _scaled_crop(random.Random(1), image, (box,), 128, 2.0, 0.7)
    # Seen at ×2 the tank is 40 px; its core target is the inscribed ellipse shrunk by 0.7.
    assert target.sum() == pytest.approx(np.pi / 4 * (40 * 0.7) ** 2, rel=0.05)
    assert crop[target].mean() == 255


def test_whole_classes_keep_whole_outlines_while_others_grow_back_from_cores() -> None:
    from geomag_core.nano.predictor import NanoModel

    model = NanoModel.__new__(NanoModel)  # only the core bookkeeping, no weights needed
    model.target_shrink, model.whole_classes = 0.7, ("car",)
    assert model.shrink_for("car") == 1.0
    assert model.shrink_for("aircraft") == 0.7


class _MeanBackbone(torch.nn.Module):
    """Stands in for the frozen backbone where only the crops' bookkeeping is tested."""

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return [torch.nn.functional.avg_pool2d(x, s) for s in (4, 8, 16, 32)]


def _square_and_empty(tmp_path: Path, dataset: str) -> tuple[Any, Any]:
    """A scene of ``dataset`` holding one bright 20-px object, and an empty airport."""
    from geomag_core.nano.datasets import LabelledScene

    pixels = np.zeros((600, 600, 3), dtype=np.uint8)
    pixels[300:320, 300:320] = 255
    Image.fromarray(pixels).save(tmp_path / "a.png")
    found = LabelledScene(tmp_path / "a.png", (ObjectBox(300, 300, 320, 320),), dataset)
    return found, LabelledScene(tmp_path / "a.png", (), "aircraft")


def test_magnified_tanks_and_their_negatives_on_other_scenes(tmp_path: Path) -> None:
    from geomag_core.nano.recipe import DatasetMix, NanoTrainConfig
    from geomag_core.nano.training import build_cache

    tank, airport = _square_and_empty(tmp_path, "oil-storage")
    config = NanoTrainConfig(
        mix=(
            DatasetMix("oil-storage", 4, ((1.0, 1.0),)),
            DatasetMix("aircraft", 10, ((1.0, 1.0),)),
        ),
        crop=64,
        magnify=True,
        zoom_negatives=0.3,
    )
    cache = build_cache(
        {"oil-storage": [tank], "aircraft": [airport]},
        config,
        _MeanBackbone(),
        {"oil-storage": "oil-storage tank", "aircraft": "aircraft"},
    )
    # 4 tank crops, 10 airport crops, and 3 airport crops asked only for tanks.
    assert cache.classes.count("oil-storage tank") == 4 and cache.classes.count("aircraft") == 13
    assert cache.asked == [None] * 14 + ["oil-storage tank"] * 3
    # The tank crops are magnified ×2 (native scale means "as the search looks"): a 20-px tank
    # is a 40-px target (less where the crop's edge cuts it), far more than its native 20 px.
    largest = int(cache.targets[:4].flatten(1).sum(1).max())
    assert 2 * np.pi / 4 * 20 * 20 < largest <= 1.05 * np.pi / 4 * 40 * 40


def test_a_zoom_given_for_a_class_replaces_its_own_in_training_and_in_the_weights(
    tmp_path: Path,
) -> None:
    from geomag_core.nano.classes import class_named
    from geomag_core.nano.predictor import NanoModel
    from geomag_core.nano.recipe import DatasetMix, NanoTrainConfig
    from geomag_core.nano.training import build_cache

    config = NanoTrainConfig(magnify=True, zoom=(("car", 2.0), ("oil-storage tank", 3.0)))
    assert config.zoom_of("car") == 2.0 and config.zoom_of("oil-storage tank") == 3.0
    assert config.zoom_of("aircraft") == 1.0  # its own zoom
    assert replace(config, magnify=False).zoom_of("car") == 1.0

    car, airport = _square_and_empty(tmp_path, "cars")
    config = replace(
        config,
        mix=(DatasetMix("cars", 4, ((1.0, 1.0),)), DatasetMix("aircraft", 10, ((1.0, 1.0),))),
        crop=64,
        zoom_negatives=0.3,
    )
    cache = build_cache(
        {"cars": [car], "aircraft": [airport]},
        config,
        _MeanBackbone(),
        {"cars": "car", "aircraft": "aircraft"},
    )
    # Each magnified class is asked on the other sets at its own zoom: cars on the airport (3
    # crops), tanks on the airport (3) and on the car scene (1). The car crops are seen ×2: a
    # 20-px car is a 40-px whole target, less where the crop cuts it.
    assert sorted(a for a in cache.asked if a) == ["car"] * 3 + ["oil-storage tank"] * 4
    largest = int(cache.targets[:4].flatten(1).sum(1).max())
    assert 2 * np.pi / 4 * 20 * 20 < largest <= 1.05 * np.pi / 4 * 40 * 40

    # The search reads each class as the weights learned it; older weights keep the class's.
    model = NanoModel.__new__(NanoModel)
    model.magnifies, model.zooms = True, {"car": 2.0}
    assert model.zoom_for(class_named("car")) == 2.0
    assert model.zoom_for(class_named("oil-storage tank")) == class_named("oil-storage tank").zoom
    model.magnifies = False
    assert model.zoom_for(class_named("car")) == 1.0


def test_the_logit_loss_still_pulls_a_saturated_mask_towards_its_target() -> None:
    from geomag_core.nano.training import scale_loss

    head = NanoHead()
    out = head(_levels(1, 64), _text(1), (64, 64))
    targets = torch.zeros(1, 64, 64, dtype=torch.bool)
    targets[0, 16:48, 16:48] = True
    logits = out.decoded.scale_logits[0]
    # Push the finest level's logits far into saturation: the gradient on them must remain.
    saturated = (logits.detach() - 60.0).requires_grad_()
    decoded = replace(out.decoded, scale_logits=(saturated, *out.decoded.scale_logits[1:]))
    scale_loss(replace(out, decoded=decoded), targets).backward()  # type: ignore[no-untyped-call]
    assert saturated.grad is not None and float(saturated.grad.abs().max()) > 1e-4


def test_a_class_whose_masks_collapsed_is_told_by_its_response_on_its_own_crops() -> None:
    from geomag_core.nano.training import FeatureCache, class_responses

    torch.manual_seed(0)
    head = NanoHead()
    targets = torch.zeros(4, 64, 64, dtype=torch.bool)
    targets[0, 10:30, 20:40] = targets[1, 5:20, 5:20] = targets[3, 0:9, 0:9] = True
    cache = FeatureCache(
        levels=_levels(4, 64),
        targets=targets,
        classes=["aircraft", "aircraft", "car", "car"],
        asked=[None, None, None, "oil-storage tank"],  # the last: only asked for tanks
    )
    tokens = TextTokens(torch.randn(6, 5, 384), torch.ones(6, 5, dtype=torch.bool))
    ranges: dict[str | None, range] = {"aircraft": range(0, 3), "car": range(3, 6)}
    fresh = class_responses(head, cache, tokens, ranges)
    # cars have no crop with objects asked for them: no response, not a made-up one
    assert set(fresh) == {"aircraft"} and 0.0 < fresh["aircraft"] < 1.0
    for scale in head.decoder.heads:  # every level's logits far below 0: collapsed masks
        torch.nn.init.constant_(scale.conv2.bias, -100.0)
    assert class_responses(head, cache, tokens, ranges)["aircraft"] < 1e-6


def test_a_class_is_lost_when_it_falls_under_half_after_reaching_it() -> None:
    from geomag_core.nano.training import lost_classes

    watched = [
        (200, {"aircraft": 0.16, "ship": 0.11}),
        (400, {"aircraft": 0.87, "ship": 0.51}),
        (600, {"aircraft": 0.89, "ship": 0.09}),
        (800, {"aircraft": 0.94, "ship": 0.62}),  # back again: still lost first at 600
    ]
    assert lost_classes(watched) == {"ship": (600, 0.51)}
    # never learned is not "lost": the end-of-run response says that
    assert lost_classes([(200, {"car": 0.1}), (400, {"car": 0.3})]) == {}
    assert lost_classes([]) == {}


def test_a_clipped_step_moves_the_head_no_further_than_the_clip() -> None:
    levels, text = _levels(2, 64), _text(2)
    targets = torch.zeros(2, 64, 64, dtype=torch.bool)
    targets[0, 10:30, 20:40] = True
    moved = {}
    for clip in (None, 1e-3):
        torch.manual_seed(0)
        head = NanoHead()
        before = torch.cat([p.detach().flatten().clone() for p in head.parameters()])
        train_step(
            head, torch.optim.SGD(head.parameters(), lr=1.0), levels, text, targets, 0.5, clip
        )
        after = torch.cat([p.detach().flatten() for p in head.parameters()])
        moved[clip] = float((after - before).norm())
    assert moved[1e-3] <= 1e-3 * 1.0001 < moved[None]


def test_a_tuned_backbone_is_cached_as_its_stem_and_trained_past_it(tmp_path: Path) -> None:
    from geomag_core.nano.backbone import build_backbone, stem, tuned_parameters
    from geomag_core.nano.recipe import DatasetMix, NanoTrainConfig
    from geomag_core.nano.training import build_cache

    torch.manual_seed(0)
    backbone = build_backbone(pretrained=False).eval()
    tank, airport = _square_and_empty(tmp_path, "oil-storage")
    mix = (DatasetMix("oil-storage", 3, ((1.0, 1.0),)), DatasetMix("aircraft", 2, ((1.0, 1.0),)))
    scenes = {"oil-storage": [tank], "aircraft": [airport]}
    class_of: dict[str, str | None] = {"oil-storage": "oil-storage tank", "aircraft": "aircraft"}
    frozen = build_cache(scenes, NanoTrainConfig(mix=mix, crop=64), backbone, class_of)
    config = NanoTrainConfig(mix=mix, crop=64, tune_backbone=True)
    tuned = build_cache(scenes, config, backbone, class_of)
    # the same crops; the cache holds the stem's stride-2 map, and the tuned blocks run on it
    # give the levels the frozen cache holds (float16 both ways)
    assert torch.equal(frozen.targets, tuned.targets)
    assert [tuple(lv.shape[1:]) for lv in tuned.levels] == [(16, 32, 32)]
    index = torch.arange(5)
    with torch.no_grad():
        pairs = zip(tuned.batch(index, backbone), frozen.batch(index, None), strict=True)
        for mine, theirs in pairs:
            assert torch.allclose(mine, theirs, atol=0.05, rtol=0.01)
    # a stride-2 head's caches: the frozen one holds the stem too, the tuned one the same stem
    fine = replace(config, finest_stride=2)
    fine_frozen = build_cache(scenes, replace(fine, tune_backbone=False), backbone, class_of)
    assert [lv.shape[1] for lv in fine_frozen.levels] == [16, 24, 40, 112, 320]
    fine_tuned = build_cache(scenes, fine, backbone, class_of)
    assert torch.equal(fine_tuned.levels[0], tuned.levels[0])
    with torch.no_grad():
        got = fine_tuned.batch(index, backbone)
    assert len(got) == 5 and torch.equal(got[0], fine_frozen.batch(index, None)[0])

    # one step trains the head and the tuned blocks; the stem is left as it was
    head = NanoHead()
    stem_before = [p.detach().clone() for p in backbone.conv_stem.parameters()]
    blocks_before = torch.cat([p.detach().flatten().clone() for p in tuned_parameters(backbone)])
    optimiser = torch.optim.SGD(
        [{"params": head.parameters()}, {"params": tuned_parameters(backbone)}], lr=0.1
    )
    targets = tuned.targets[index]
    train_step(head, optimiser, tuned.batch(index, backbone), _text(5), targets, 0.5, 1.0)
    blocks_after = torch.cat([p.detach().flatten() for p in tuned_parameters(backbone)])
    assert float((blocks_after - blocks_before).norm()) > 0
    stem_after = backbone.conv_stem.parameters()
    assert all(torch.equal(a, b) for a, b in zip(stem_before, stem_after, strict=True))
    assert not backbone.training  # its batch norms keep their statistics
    assert stem(backbone, torch.zeros(1, 3, 64, 64)).shape == (1, 16, 32, 32)


def test_small_objects_weigh_more_bounded_and_the_background_once() -> None:
    from geomag_core.nano.training import SMALL_OBJECT_AREA, small_object_weights

    targets = torch.zeros(2, 96, 96, dtype=torch.bool)
    targets[0, 2:6, 2:6] = True  # 16 px: the bound
    targets[0, 10:24, 10:24] = True  # 196 px: sqrt(616 / 196) ≈ 1.77
    targets[0, 40:90, 40:90] = True  # 2,500 px: larger than the reference, once
    assert small_object_weights(targets, 1.0) is None  # the shipped recipe: unweighted
    w = small_object_weights(targets, 4.0)
    assert w is not None and w.shape == targets.shape
    assert float(w[0, 3, 3]) == 4.0
    assert float(w[0, 15, 15]) == pytest.approx(np.sqrt(SMALL_OBJECT_AREA / 196), rel=1e-5)
    assert float(w[0, 60, 60]) == 1.0
    assert float(w[0, 30, 5]) == 1.0 and float(w[1].max()) == 1.0  # background, empty target


def test_a_weighted_step_pulls_harder_on_the_small_object() -> None:
    levels, text = _levels(1, 64), _text(1)
    targets = torch.zeros(1, 64, 64, dtype=torch.bool)
    targets[0, 4:8, 4:8] = True  # one small object
    losses = {}
    for weight in (1.0, 4.0):
        torch.manual_seed(0)
        head = NanoHead()
        losses[weight] = train_step(
            head,
            torch.optim.SGD(head.parameters(), lr=0.0),
            levels,
            text,
            targets,
            0.0,
            None,
            weight,
        )
    # Same weights, same forward pass: only the small object's pixels count more.
    assert losses[4.0] > losses[1.0]


def test_centre_targets_peak_once_per_object_whatever_its_size_and_dip_between_touching_ones() -> (
    None
):
    from geomag_core.nano.training import centre_targets

    targets = torch.zeros(2, 64, 64, dtype=torch.bool)
    targets[0, 4:9, 4:9] = True  # a small object: 5 px
    yy, xx = np.mgrid[:64, :64]
    big = (yy - 40) ** 2 + (xx - 40) ** 2 <= 12**2  # a large disc
    targets[0] |= torch.from_numpy(big)
    # Two discs that touch: one blob, two centres.
    pair = ((yy - 20) ** 2 + (xx - 44) ** 2 <= 36) | ((yy - 20) ** 2 + (xx - 55) ** 2 <= 36)
    targets[1] = torch.from_numpy(pair)
    heat = centre_targets(targets, (16, 16))
    assert heat.shape == (2, 1, 16, 16)
    assert float(heat[0, 0, 1, 1]) == 1.0  # the small object's centre cell
    assert float(heat[0, 0, 10, 10]) == 1.0  # the disc's
    assert int((heat[0] >= 1.0).sum()) == 2
    assert float(heat[0, 0, 10, 13]) < 0.6  # the disc's rim is far from its centre
    assert float(heat[0, 0, 0, 15]) == 0.0  # background
    assert int((heat[1] >= 1.0).sum()) == 2  # the touching pair keeps two centres
    assert float(heat[1, 0, 5, 12]) < 1.0  # and a dip between them
    assert float(centre_targets(torch.zeros(1, 32, 32, dtype=torch.bool), (8, 8)).max()) == 0.0


def test_the_centre_loss_weighs_a_confident_false_centre_more_than_a_hesitant_one() -> None:
    from geomag_core.nano.training import centre_loss

    heat = torch.zeros(1, 1, 8, 8)
    heat[0, 0, 2, 2] = 1.0
    heat[0, 0, 2, 3] = 0.8  # the object's own cell next to its centre
    base = torch.full((1, 1, 8, 8), -4.0)
    base[0, 0, 2, 2] = 4.0  # the centre, found
    assert float(centre_loss(base, heat)) < 0.01
    hesitant, confident = base.clone(), base.clone()
    hesitant[0, 0, 6, 6] = 0.0  # p = 0.5 on the background
    confident[0, 0, 6, 6] = 3.0  # p = 0.95 on the background
    assert float(centre_loss(confident, heat)) > 4 * float(centre_loss(hesitant, heat))
    near = base.clone()
    near[0, 0, 2, 3] = 3.0  # as confident, but beside the true centre: hardly penalised
    assert float(centre_loss(near, heat)) < 0.05 * float(centre_loss(confident, heat))
    missed = base.clone()
    missed[0, 0, 2, 2] = -4.0
    assert float(centre_loss(missed, heat)) > 1.0


def test_a_head_with_centres_predicts_them_on_its_finest_grid_and_learns_them() -> None:
    torch.manual_seed(0)
    plain, head = NanoHead(), NanoHead(centres=True)
    assert plain(_levels(1, 64), _text(1), (64, 64)).centre_logits is None
    assert "centres" not in plain.config and head.config["centres"] is True
    out = head(_levels(2, 64), _text(2), (60, 64))
    assert out.centre_logits is not None and out.centre_logits.shape == (2, 1, 16, 16)
    assert float(torch.sigmoid(out.centre_logits.detach()).mean()) == pytest.approx(0.1, abs=0.05)
    fine = NanoHead(finest_stride=2, centres=True)
    fine_out = fine(_levels(1, 64, finest=2), _text(1), (64, 64)).centre_logits
    assert fine_out is not None and fine_out.shape == (1, 1, 32, 32)
    optimiser = torch.optim.AdamW(head.parameters(), lr=5e-3)
    levels, text = _levels(2, 64), _text(2)
    targets = torch.zeros(2, 64, 64, dtype=torch.bool)
    targets[0, 10:30, 20:40] = True
    centre = (20 // 4, 30 // 4)
    before = head(levels, text, (64, 64)).centre_logits
    assert before is not None
    for _ in range(30):
        train_step(head, optimiser, levels, text, targets, 0.0, None, 1.0, 1.0)
    after = head(levels, text, (64, 64)).centre_logits
    assert after is not None
    gain = after[0, 0, centre[0], centre[1]] - before[0, 0, centre[0], centre[1]]
    assert float(gain) > 1.0  # the centre rose
    assert float(after[1].max()) < float(after[0, 0, centre[0], centre[1]])  # not the empty crop
