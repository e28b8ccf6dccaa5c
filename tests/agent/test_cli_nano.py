"""``geomag eval nano`` and ``geomag train nano`` on the real data sets (skipped without them)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch

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
    assert set(cross["per_dataset"]) == {"aircraft", "oil-storage", "ships", "naip"}
    assert cross["scenes"] == 4
    assert cross["per_dataset"]["naip"]["reported"] == 0  # cars are not looked for at 5 m


def test_eval_nano_refuses_an_unknown_class(
    shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", "nano", "--class", "ships", "--json"]) == 2
    assert "nano knows aircraft, oil-storage tank, car" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--magnify", "--zoom", "ship=2"], "'ship=2': expected CLASS=FACTOR"),
        (["--magnify", "--zoom", "car=9"], "FACTOR from 1 to 4"),
        (["--magnify", "--zoom", "car"], "expected CLASS=FACTOR"),
        (["--zoom", "car=2"], "--zoom needs --magnify"),
        (["--magnify", "--zoom", "car=nan"], "FACTOR from 1 to 4"),
        (["--magnify", "--zoom", "car=2", "--zoom", "car=3"], "'car' is given twice"),
        (["--head-first", "0.2"], "--head-first needs --tune-backbone"),
        (["--backbone-lr", "0.5"], "--backbone-lr needs --tune-backbone"),
        (["--finest-stride", "3"], "use 4 (the shipped decoder) or 2"),
    ],
)
def test_train_nano_refuses_a_zoom_or_backbone_option_it_cannot_train(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], said: str
) -> None:
    out = tmp_path / "nano.safetensors"
    assert main(["train", "nano", *args, "--out", str(out)]) == 2
    assert said in " ".join(capsys.readouterr().err.split())
    assert not out.exists()  # refused before anything is read or trained


@pytest.mark.slow
def test_a_short_training_run_writes_loadable_weights_for_three_classes(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "nano.safetensors"
    quick = ["--steps", "60", "--crops-scale", "0.01", "--watch", "25"]
    code = main(["train", "nano", *quick, "--out", str(out)])
    assert code == 0
    _, meta = load_head(out)
    assert json.loads(meta["classes"]) == ["aircraft", "oil-storage tank", "car"]
    assert "feedback" not in meta  # trained without --feedback
    printed = " ".join(capsys.readouterr().out.split())
    assert "80 aircraft, 68 oil-storage, 53 cars, 7 naip scenes" in printed
    # each class's response on its own training crops is said, and a lost class is named
    assert "highest mask probability on its own training crops: aircraft " in printed
    assert "oil-storage tank " in printed and "car " in printed
    # --watch 25: the responses after 25 and 50 of the 60 steps, each class named
    watch = r"after (\d+) steps, highest mask probability on its own training crops: aircraft "
    assert re.findall(watch, printed) == ["25", "50"]


@pytest.mark.slow
def test_watching_a_run_measures_it_without_changing_what_it_trains(shared_data: Path) -> None:
    from geomag_core.nano.recipe import DEFAULT_MIX, DatasetMix, NanoTrainConfig
    from geomag_core.nano.training import train_nano

    mix = tuple(DatasetMix(m.dataset, max(1, round(m.crops * 0.01)), m.scales) for m in DEFAULT_MIX)
    config = NanoTrainConfig(mix=mix, steps=30, tune_backbone=True, head_first=0.5)
    _, plain = train_nano(shared_data, config)
    _, watched = train_nano(shared_data, config, watch=10)
    assert [step for step, _ in watched.watched] == [10, 20, 30]
    assert set(watched.watched[-1][1]) == {"aircraft", "oil-storage tank", "car"}
    # the responses are measured in eval mode without drawing random numbers: the same run,
    # in the head's frozen half and in the half that tunes the backbone
    assert watched.losses == plain.losses
    assert watched.responses == plain.responses
    assert not plain.watched


@pytest.mark.slow
def test_a_run_that_tunes_the_backbone_writes_it_and_the_search_reads_with_it(
    shared_data: Path, tmp_path: Path
) -> None:
    from geomag_core.nano.backbone import build_backbone
    from geomag_core.nano.predictor import NanoModel

    out = tmp_path / "nano.safetensors"
    args = ["--steps", "50", "--crops-scale", "0.01", "--tune-backbone", "--other-class", "0.5"]
    assert main(["train", "nano", *args, "--head-first", "0.6", "--out", str(out)]) == 0
    recipe = json.loads(load_head(out)[1]["train_config"])
    assert recipe["tune_backbone"] is True and recipe["other_class_fraction"] == 0.5
    assert recipe["head_first"] == 0.6  # the blocks joined for the last 20 steps
    model, imagenet = NanoModel.load(out), build_backbone(pretrained=True).state_dict()
    tuned = model.backbone.state_dict()
    assert torch.equal(tuned["conv_stem.weight"], imagenet["conv_stem.weight"])  # frozen stem
    last = "blocks.6.0.conv_pw.weight"
    assert not torch.equal(tuned[last], imagenet[last])
    shipped = NanoModel.load().backbone.state_dict()  # the shipped weights tuned theirs too
    assert torch.equal(shipped["conv_stem.weight"], imagenet["conv_stem.weight"])
    assert not torch.equal(shipped[last], imagenet[last])


def test_eval_nano_reads_scenes_at_another_scale_and_normalises_them(
    shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = {}
    for flag in ("--normalise", "--no-normalise"):
        args = ["eval", "nano", "--class", "car", "--limit", "1", "--no-cross", "--coarsen", "2"]
        assert main([*args, flag, "--json"]) == 0
        runs[flag] = json.loads(capsys.readouterr().out)
    normalised, as_is = runs["--normalise"], runs["--no-normalise"]
    assert normalised["coarsen"] == 2 and normalised["normalised"] and not as_is["normalised"]
    car = normalised["classes"]["car"]
    # the same cars, at half their size: none of them is 35 px long any more
    assert car["iou50"]["truth"] > 0 and car["recall_by_size_iou50"]["35-70"]["truth"] == 0
    assert car["iou50"]["truth"] == as_is["classes"]["car"]["iou50"]["truth"]


def test_eval_nano_at_another_score_floor_keeps_fewer_and_says_which_floor(
    shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["eval", "nano", "--class", "car", "--limit", "1", "--no-cross"]
    assert main([*args, "--json"]) == 0
    product = json.loads(capsys.readouterr().out)
    assert main([*args, "--min-score", "0.95", "--json"]) == 0
    strict = json.loads(capsys.readouterr().out)
    assert (product["min_score"], strict["min_score"]) == (0.75, 0.95)
    kept, fewer = product["classes"]["car"]["iou50"], strict["classes"]["car"]["iou50"]
    assert fewer["truth"] == kept["truth"] and fewer["predicted"] < kept["predicted"]
    assert main([*args, "--min-score", "1.5"]) == 2  # a floor no probability reaches


def test_eval_nano_says_a_class_is_not_held_out_when_the_weights_learned_its_scenes(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from geomag_core.nano.checkpoint import save_head

    head, meta = load_head()
    val_frame = "MOS157.jpg"  # the first KIT frame of the car validation split
    feedback = {
        "verdicts": {"accept": 5, "correct": 0, "add": 3, "reject": 1},
        "scene_files": [{"scene": val_frame, "class": "car", "accept": 5, "add": 3, "reject": 1}],
    }
    weights = tmp_path / "nano.safetensors"
    save_head(head, weights, meta | {"feedback": json.dumps(feedback)})
    args = ["eval", "nano", "--class", "car", "--limit", "1", "--no-cross"]
    assert main([*args, "--weights", str(weights), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["feedback"] == feedback
    car = record["classes"]["car"]
    assert car["held_out"] is False and car["scenes_with_verdicts"] == [val_frame]
    assert main([*args, "--weights", str(weights)]) == 0
    assert "not held out" in " ".join(capsys.readouterr().out.split())
    assert main([*args, "--json"]) == 0  # the shipped weights learned from no verdicts
    shipped = json.loads(capsys.readouterr().out)
    assert shipped["feedback"] is None and shipped["classes"]["car"]["held_out"] is True
