from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.cli.main import main
from geomag_core.classifier import load_head


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_classify_json_is_one_object_per_line_in_input_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    queries = tmp_path / "queries.txt"
    queries.write_text("Outline every swimming pool.\n\nIs this a desert?\n")
    code, out, _ = run(
        ["classify", "Where are the ships?", "Segment the roads", "--file", str(queries), "--json"],
        capsys,
    )
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["text"] for r in rows] == [
        "Where are the ships?",
        "Segment the roads",
        "Outline every swimming pool.",
        "Is this a desert?",
    ]
    assert [r["granularity"] for r in rows] == ["region", "pixel", "pixel", "image"]
    for r in rows:
        assert set(r) == {"text", "granularity", "probs"}
        assert list(r["probs"]) == ["image", "region", "pixel"]
        assert sum(r["probs"].values()) == pytest.approx(1.0, abs=1e-4)


def test_classify_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["classify", "How many aircraft are parked?"], capsys)
    assert code == 0 and "region" in out and "How many aircraft" in out


@pytest.mark.parametrize("argv", [["classify", "  "], ["classify"], ["classify", "ok?", ""]])
def test_classify_empty_text_is_a_one_line_error(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(argv, capsys)
    assert code == 2 and out == ""
    assert err.startswith("error: empty query") and err.count("\n") == 1


def test_eval_classifier_on_held_out_split_meets_the_bar(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(["eval", "classifier", "--json"], capsys)
    assert code == 0
    report = json.loads(out)
    model, baseline = report["classifier"], report["keyword_baseline"]
    assert model["n"] >= 150
    assert model["accuracy"] >= 0.95
    assert sum(map(sum, model["confusion"]["rows_true_cols_predicted"])) == model["n"]
    assert baseline["accuracy"] < model["accuracy"]


def test_train_then_eval_a_new_head(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "small.tsv"
    corpus.write_text(
        "# tiny corpus\n"
        "image\tWhat kind of scene is this?\nimage\tCaption the image.\n"
        "region\tWhere are the cars?\nregion\tCount the ships.\n"
        "pixel\tSegment the lake.\npixel\tOutline the buildings.\n"
    )
    out = tmp_path / "head.safetensors"
    argv = ["train", "classifier", "--train-file", str(corpus), "--test-file", str(corpus)]
    code, stdout, _ = run([*argv, "--out", str(out), "--epochs", "3", "--seed", "1"], capsys)
    assert code == 0 and "train accuracy" in stdout
    _, meta = load_head(out, expected_dim=384)
    assert meta["seed"] == "1" and meta["epochs"] == "3"
    metrics = json.loads(out.with_name("head.metrics.json").read_text())
    assert metrics["sizes"]["train"] == 6 and len(metrics["losses"]) == 3
    code, stdout, _ = run(["eval", "classifier", "--file", str(corpus), "--head", str(out)], capsys)
    assert code == 0 and "accuracy" in stdout and "keyword baseline" in stdout


def test_train_and_eval_groups_list_their_commands(capsys: pytest.CaptureFixture[str]) -> None:
    for group in ("train", "eval"):
        code, out, _ = run([group, "--help"], capsys)
        assert code == 0 and "classifier" in out


def test_eval_missing_file_is_a_user_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["eval", "classifier", "--file", str(tmp_path / "no.tsv")], capsys)
    assert code == 2 and "not found" in err
