from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from geomag_core.errors import CheckpointError
from geomag_core.nano.checkpoint import SHIPPED_WEIGHTS, load_head, save_head
from geomag_core.nano.model import NanoHead
from geomag_core.weights import read_weights, write_weights


def test_shipped_weights_load_strictly_and_are_small() -> None:
    from geomag_core.nano.checkpoint import load_backbone

    assert SHIPPED_WEIGHTS.is_file(), "geomag train nano writes the shipped weights"
    head, meta = load_head()
    assert meta["seed"] == "0"
    assert "box-derived" in meta["targets"]
    assert json.loads(meta["classes"]) == ["aircraft", "oil-storage tank", "car"]
    recipe = json.loads(meta["train_config"])
    assert recipe["tune_backbone"] is True and recipe["head_first"] == 0.25
    assert load_backbone() is not None and "tuned" in meta["backbone"]
    # The head (2.1 MB) and the tuned backbone (12 MB, float32: half precision moved mask
    # probabilities by up to 0.12 on the validation crops tried, so it is stored as trained).
    assert SHIPPED_WEIGHTS.stat().st_size < 16_000_000
    assert sum(p.numel() for p in head.parameters()) > 100_000


def test_round_trip_and_loud_failure(tmp_path: Path) -> None:
    torch.manual_seed(3)
    head = NanoHead()
    path = save_head(head, tmp_path / "nano.safetensors", {"seed": "3"})
    loaded, meta = load_head(path)
    assert meta["seed"] == "3"
    for (k, v), (k2, v2) in zip(
        head.state_dict().items(), loaded.state_dict().items(), strict=True
    ):
        assert k == k2 and torch.equal(v, v2)
    tensors, meta = read_weights(path, "nano")
    tensors["extra.weight"] = torch.zeros(1)
    write_weights(tensors, tmp_path / "bad.safetensors", meta)
    with pytest.raises(CheckpointError, match="unexpected keys"):
        load_head(tmp_path / "bad.safetensors")
    with pytest.raises(CheckpointError, match="geomag train nano"):
        load_head(tmp_path / "missing.safetensors")
    fine, _ = load_head(save_head(NanoHead(finest_stride=2), tmp_path / "fine.safetensors"))
    assert fine.decoder.strides == (2, 4, 8, 16)  # the config travels with the weights
    centred, _ = load_head(save_head(NanoHead(centres=True), tmp_path / "centres.safetensors"))
    assert centred.centre is not None and centred.config["centres"] is True
    tensors, meta = read_weights(path, "nano")
    write_weights(tensors, tmp_path / "odd.safetensors", {**meta, "config": '{"finest_stride": 8}'})
    with pytest.raises(CheckpointError, match="finest_stride must be 2 or 4"):
        load_head(tmp_path / "odd.safetensors")


def test_a_tuned_backbone_travels_in_the_weights_and_the_packaged_one_is_kept_without_it(
    tmp_path: Path,
) -> None:
    from geomag_core.nano.backbone import build_backbone
    from geomag_core.nano.checkpoint import load_backbone

    torch.manual_seed(4)
    head, backbone = NanoHead(), build_backbone(pretrained=False)
    path = save_head(head, tmp_path / "tuned.safetensors", {"seed": "4"}, backbone=backbone)
    loaded, meta = load_head(path)  # the head still loads strictly beside the backbone
    assert "tuned" in meta["backbone"]
    pairs = zip(head.parameters(), loaded.parameters(), strict=True)
    assert all(torch.equal(a, b) for a, b in pairs)
    read = load_backbone(path)
    assert read is not None and not read.training
    for (k, v), (k2, v2) in zip(
        backbone.state_dict().items(), read.state_dict().items(), strict=True
    ):
        assert k == k2 and torch.equal(v, v2)
    assert load_backbone(save_head(head, tmp_path / "head.safetensors")) is None  # packaged
