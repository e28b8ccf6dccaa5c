"""``geomag eval nano`` and ``geomag train nano`` on the real data sets (skipped without them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.cli.main import main
from geomag_core.nano.checkpoint import load_head


def test_eval_nano_scores_a_class_and_counts_cross_class_reports(
    shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["eval", "nano", "--class", "car", "--limit", "1", "--json"])
    out, _ = capsys.readouterr()
    assert code == 0
    record = json.loads(out)
    car = record["classes"]["car"]
    assert car["dataset"] == "cars" and car["scenes"] == 1
    for key in ("iou50", "iou30"):
        r = car[key]
        assert r["truth"] > 0 and 0 <= r["tp"] <= min(r["truth"], r["predicted"])
    # A looser match never finds fewer.
    assert car["iou30"]["tp"] >= car["iou50"]["tp"]
    by_size = car["recall_by_size_iou50"]
    assert list(by_size) == ["<12", "12-20", "20-35", "35-70", ">=70"]
    assert sum(b["truth"] for b in by_size.values()) == car["iou50"]["truth"]
    cross = record["cross_class"]["car"]
    assert set(cross["per_dataset"]) == {"aircraft", "oil-storage", "naip"}
    assert cross["scenes"] == 3
    assert cross["per_dataset"]["naip"]["reported"] == 0  # cars are not looked for at 5 m


def test_eval_nano_refuses_an_unknown_class(
    shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", "nano", "--class", "ships", "--json"]) == 2
    assert "nano knows aircraft, oil-storage tank, car" in capsys.readouterr().err


@pytest.mark.slow
def test_a_short_training_run_writes_loadable_weights_for_three_classes(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "nano.safetensors"
    code = main(["train", "nano", "--steps", "60", "--crops-scale", "0.01", "--out", str(out)])
    assert code == 0
    _, meta = load_head(out)
    assert json.loads(meta["classes"]) == ["aircraft", "oil-storage tank", "car"]
    printed = " ".join(capsys.readouterr().out.split())
    assert "80 aircraft, 68 oil-storage, 53 cars, 7 naip scenes" in printed
