from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from geomag_core.decoder import (
    DecoderSample,
    DecoderTrainConfig,
    MaskPredictor,
    PixelDecoder,
    PreparedSample,
    SAM2ImageEncoder,
    SegProjection,
    bce_loss,
    dice_loss,
    load_decoder,
    mask_loss,
    prepare_samples,
    read_decoder_dataset,
    save_decoder,
    train_decoder,
    write_decoder_dataset,
)
from geomag_core.errors import CheckpointError, DatasetError
from geomag_core.weights import read_weights, write_weights
from tests.data.decoder_crops import toy_samples

HIDDEN = 64


@pytest.fixture(scope="module")
def toy_batch(sam2_encoder: SAM2ImageEncoder) -> list[PreparedSample]:
    """Four 64² crops with frozen SAM2 features and fixed random [SEG] states."""
    samples = toy_samples(4)
    gen = torch.Generator().manual_seed(0)
    states = {id(s): torch.randn(1, HIDDEN, generator=gen) for s in samples}
    return prepare_samples(samples, sam2_encoder, lambda s: states[id(s)], torch.device("cpu"))


def test_losses_are_zero_for_a_perfect_mask_and_large_for_its_inverse() -> None:
    target = torch.zeros(2, 32, 32)
    target[:, 8:20, 4:30] = 1
    assert float(dice_loss(target, target)) < 1e-6
    assert float(bce_loss(target, target)) < 1e-4
    assert float(mask_loss(1 - target, target)) > 5.0


def test_a_few_steps_reduce_the_loss_on_a_fixed_toy_batch(toy_batch: list[PreparedSample]) -> None:
    torch.manual_seed(0)
    decoder = PixelDecoder(hidden_channels=16)
    projection = SegProjection(hidden_size=HIDDEN)
    config = DecoderTrainConfig(steps=12, batch_size=4, lr=3e-3)
    losses = train_decoder(toy_batch, decoder, projection, config, torch.device("cpu"))
    assert len(losses) == 12
    assert losses[-1] < 0.8 * losses[0], losses


def test_frozen_projection_is_left_untouched(toy_batch: list[PreparedSample]) -> None:
    torch.manual_seed(0)
    decoder = PixelDecoder(hidden_channels=8)
    projection = SegProjection(hidden_size=HIDDEN)
    before = {k: v.clone() for k, v in projection.state_dict().items()}
    decoder_before = decoder.heads[0].conv1.weight.detach().clone()
    config = DecoderTrainConfig(steps=2, train_projection=False)
    train_decoder(toy_batch, decoder, projection, config, torch.device("cpu"))
    for k, v in projection.state_dict().items():
        torch.testing.assert_close(v, before[k])
    assert not torch.equal(decoder.heads[0].conv1.weight, decoder_before)


def test_checkpoint_round_trip_restores_the_same_masks(
    tmp_path: Path, toy_batch: list[PreparedSample]
) -> None:
    torch.manual_seed(3)
    decoder = PixelDecoder(hidden_channels=8, max_seg_tokens=4)
    projection = SegProjection(hidden_size=HIDDEN)
    path = save_decoder(tmp_path / "d.safetensors", decoder, projection, extra={"seed": "3"})
    loaded, loaded_projection, metadata = load_decoder(path, hidden_size=HIDDEN)
    assert loaded_projection is not None and metadata["seed"] == "3"
    assert loaded.max_seg_tokens == 4 and loaded.hidden_channels == 8
    sample = toy_batch[0]
    features = list(sample.features)
    with torch.no_grad():
        a = decoder.eval()(features, projection(sample.seg_hidden[None]), (64, 64))
        b = loaded(features, loaded_projection(sample.seg_hidden[None]), (64, 64))
    torch.testing.assert_close(a.masks, b.masks)


def test_mismatched_checkpoints_fail_loudly(tmp_path: Path) -> None:
    decoder = PixelDecoder(hidden_channels=8)
    path = save_decoder(tmp_path / "d.safetensors", decoder, SegProjection(hidden_size=HIDDEN))
    tensors, metadata = read_weights(path, "test")
    tensors["decoder.extra.weight"] = torch.zeros(1)
    del tensors["decoder.heads.0.conv2.bias"]
    tensors["projection.layers.0.weight"] = torch.zeros(256, HIDDEN + 1)
    bad = write_weights(tensors, tmp_path / "bad.safetensors", metadata)
    with pytest.raises(CheckpointError) as err:
        load_decoder(bad)
    message = str(err.value)
    assert "missing keys ['decoder.heads.0.conv2.bias']" in message
    assert "unexpected keys ['decoder.extra.weight']" in message
    assert "projection.layers.0.weight: file (256, 65) vs model (256, 64)" in message
    with pytest.raises(CheckpointError, match="projects 64-d"):
        load_decoder(path, hidden_size=32)
    with pytest.raises(CheckpointError, match="not a pixel-decoder file"):
        load_decoder(write_weights(tensors, tmp_path / "f.safetensors", {"format": "x"}))
    with pytest.raises(CheckpointError, match="not found"):
        load_decoder(tmp_path / "missing.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(CheckpointError, match="cannot read"):
        load_decoder(tmp_path / "junk.safetensors")


def test_dataset_round_trip_and_malformed_records(tmp_path: Path) -> None:
    samples = toy_samples(3, size=32, seed=5)
    index = write_decoder_dataset(tmp_path / "ds", samples)
    read = read_decoder_dataset(tmp_path / "ds")
    assert len(read) == 3
    np.testing.assert_array_equal(read[1].image, samples[1].image)
    np.testing.assert_array_equal(read[1].mask, samples[1].mask)
    assert read[2].answer == "It is [SEG]."
    index.write_text(index.read_text() + json.dumps({"image": "00000.png"}) + "\n")
    with pytest.raises(DatasetError, match=r"samples\.jsonl:4"):
        read_decoder_dataset(tmp_path / "ds")
    with pytest.raises(DatasetError, match=r"no samples\.jsonl"):
        read_decoder_dataset(tmp_path)
    with pytest.raises(DatasetError, match="differ in size"):
        DecoderSample(samples[0].image, "x", np.zeros((3, 3), bool))


def test_predictor_decodes_crops_of_mixed_sizes_in_input_order(
    sam2_encoder: SAM2ImageEncoder,
) -> None:
    torch.manual_seed(0)
    predictor = MaskPredictor(
        encoder=sam2_encoder,
        projection=SegProjection(hidden_size=HIDDEN),
        decoder=PixelDecoder(hidden_channels=8),
        device=torch.device("cpu"),
        batch_size=2,
    )
    rng = np.random.default_rng(0)
    crops = [
        rng.integers(0, 255, shape, dtype=np.uint8)
        for shape in [(64, 64, 3), (96, 64, 3), (64, 64, 3), (64, 64, 3)]
    ]
    states = [torch.randn(n, HIDDEN) for n in (1, 2, 0, 3)]
    out = predictor.predict(crops, states)
    assert [m.probs.shape for m in out] == [(1, 64, 64), (2, 96, 64), (0, 64, 64), (3, 64, 64)]
    assert [m.confidence.shape for m in out] == [(1,), (2,), (0,), (3,)]
    assert out[3].binary().dtype == bool
    # batching does not change a crop's result
    alone = predictor.predict(crops[3:], states[3:])[0]
    np.testing.assert_allclose(alone.probs, out[3].probs, atol=1e-5)
