from __future__ import annotations

from pathlib import Path

import pytest

from agent.cli.main import main
from geomag_core.decoder import load_decoder, save_decoder, write_decoder_dataset
from geomag_core.decoder.pixel_decoder import PixelDecoder
from geomag_core.decoder.projection import SegProjection
from geomag_core.errors import CheckpointError
from geomag_core.weights import read_weights, write_weights
from tests.data.decoder_crops import toy_samples


@pytest.fixture()
def tiny_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    data_dir = tmp_path_factory.getbasetemp() / "geomag-data-decoder"  # tiny VLM built once
    monkeypatch.setenv("GEOMAG_DATA_DIR", str(data_dir))
    monkeypatch.setenv("GEOMAG_MODEL_PROFILE", "tiny")
    monkeypatch.setenv("GEOMAG_DEVICE", "cpu")
    monkeypatch.setenv("GEOMAG_SAM2_CONFIG", "tiny")
    monkeypatch.delenv("GEOMAG_SAM2_CHECKPOINT", raising=False)
    return data_dir


def test_train_decoder_on_tiny_profile_writes_loadable_safetensors(
    tmp_path: Path, tiny_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_decoder_dataset(tmp_path / "ds", toy_samples(3, size=64))
    out = tmp_path / "decoder.safetensors"
    argv = ["train", "decoder", "--data", str(tmp_path / "ds"), "--out", str(out)]
    code = main([*argv, "--steps", "3", "--batch-size", "2"])
    stdout, stderr = capsys.readouterr()
    assert code == 0, stderr
    assert "meaningless" in stdout and f"wrote {out}" in stdout.replace("\n", "")
    decoder, projection, metadata = load_decoder(out, hidden_size=64)  # the tiny VLM's width
    assert isinstance(decoder, PixelDecoder) and projection is not None
    assert metadata["profile"] == "tiny" and metadata["steps"] == "3"
    assert float(metadata["final_loss"]) > 0

    # a file that does not fit fails loudly, through the API and through --init
    tensors, meta = read_weights(out, "test")
    tensors.pop("decoder.scale_logits")
    bad = write_weights(tensors, tmp_path / "bad.safetensors", meta)
    with pytest.raises(CheckpointError, match=r"missing keys \['decoder.scale_logits'\]"):
        load_decoder(bad)
    other = save_decoder(
        tmp_path / "other.safetensors", PixelDecoder(), SegProjection(hidden_size=32)
    )
    code = main([*argv, "--steps", "1", "--init", str(other)])
    _, stderr = capsys.readouterr()
    assert code == 2
    assert "projects 32-d [SEG] states but the VLM gives 64-d" in stderr


def test_train_decoder_reports_a_missing_dataset(
    tmp_path: Path, tiny_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["train", "decoder", "--data", str(tmp_path / "nowhere")])
    assert code == 2
    assert "no samples.jsonl" in capsys.readouterr().err
