from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from geomag_core.classifier import (
    LABELS,
    SHIPPED_HEAD,
    TEST_FILE,
    TRAIN_FILES,
    GranularityClassifier,
    GranularityHead,
    evaluate,
    get_classifier,
    keyword_granularity,
    load_head,
    read_corpus,
    save_head,
    train_head,
)
from geomag_core.classifier.templates import GENERATED_FILE, normalise
from geomag_core.classifier.templates import main as generate_main
from geomag_core.classifier.training import TrainConfig, metrics_path
from geomag_core.config import Settings
from geomag_core.errors import CheckpointError, CorpusError, EmptyQueryError
from geomag_core.granularity import Granularity

CLEAR = {
    Granularity.IMAGE: [
        "What kind of scene is this?",
        "Write a caption for this image.",
        "Is this an urban or a rural area?",
        "Classify the land use of the whole scene.",
        "Does this image show an airport?",
    ],
    Granularity.REGION: [
        "Where are the ships?",
        "How many cars are in the parking lot?",
        "Draw a bounding box around each storage tank.",
        "What colour is the truck next to the warehouse?",
        "Detect all the airplanes.",
    ],
    Granularity.PIXEL: [
        "Segment the buildings.",
        "Outline the lake.",
        "Give me a mask of every ship.",
        "What is the area of the forest in hectares?",
        "Describe the image and segment the objects you mention.",
    ],
}


@pytest.fixture(scope="session")
def classifier() -> GranularityClassifier:
    return get_classifier(Settings(classifier_encoder=None, classifier_head=None, device="cpu"))


@pytest.fixture(scope="session")
def train_slice(classifier: GranularityClassifier) -> tuple[torch.Tensor, torch.Tensor]:
    """Embeddings of 20 queries per class from the training corpus (computed once)."""
    queries = read_corpus(TRAIN_FILES)
    picked = [q for g in LABELS for q in [q for q in queries if q.granularity == g][:20]]
    x = classifier.encoder.encode([q.text for q in picked])
    y = torch.tensor([LABELS.index(q.granularity) for q in picked])
    return x, y


# --- the shipped model ---------------------------------------------------------------------


def test_shipped_head_loads_with_its_metadata() -> None:
    head, meta = load_head(SHIPPED_HEAD, expected_dim=384)
    assert meta["encoder"] == "all-MiniLM-L6-v2"
    assert json.loads(meta["labels"]) == ["image", "region", "pixel"]
    assert [m.out_features for m in head.layers if isinstance(m, torch.nn.Linear)] == [256, 128, 3]
    assert not head.training
    metrics = json.loads(metrics_path(SHIPPED_HEAD).read_text())
    assert metrics["test"]["accuracy"] >= 0.95
    assert metrics["sizes"]["test"] == len(read_corpus(TEST_FILE))
    corpus = hashlib.sha256(b"".join(p.read_bytes() for p in TRAIN_FILES)).hexdigest()
    assert meta["train_sha256"] == corpus, "corpus changed: retrain and ship the head"


@pytest.mark.parametrize("granularity", list(Granularity))
def test_clearly_worded_queries_are_classified_right(
    classifier: GranularityClassifier, granularity: Granularity
) -> None:
    predicted = [p.granularity for p in classifier.predict(CLEAR[granularity])]
    assert predicted == [granularity] * len(CLEAR[granularity])


def test_probabilities_sum_to_one_and_argmax_is_the_label(
    classifier: GranularityClassifier,
) -> None:
    for p in classifier.predict([t for texts in CLEAR.values() for t in texts]):
        assert set(p.probs) == set(LABELS)
        assert sum(p.probs.values()) == pytest.approx(1.0, abs=1e-5)
        assert all(0.0 <= v <= 1.0 for v in p.probs.values())
        assert p.granularity == max(p.probs, key=lambda g: p.probs[g])


def test_predictions_are_deterministic_and_batch_independent(
    classifier: GranularityClassifier,
) -> None:
    texts = ["Segment the river.", "Where is the bridge?", "Is this a harbour?"]
    first = [p.probs for p in classifier.predict(texts)]
    again = [p.probs for p in classifier.predict(texts)]
    assert first == again
    alone = classifier.classify(texts[1]).probs
    assert all(alone[g] == pytest.approx(first[1][g], abs=1e-5) for g in LABELS)
    assert [p.text for p in classifier.predict(texts)] == texts


@pytest.mark.parametrize("bad", ["", "   ", "\t\n"])
def test_empty_query_is_a_clear_error(classifier: GranularityClassifier, bad: str) -> None:
    with pytest.raises(EmptyQueryError, match="empty query"):
        classifier.classify(bad)
    with pytest.raises(EmptyQueryError, match=r"query #2"):
        classifier.predict(["Where is the ship?", bad])


def test_very_long_text_is_truncated_not_a_crash(classifier: GranularityClassifier) -> None:
    long_text = "Please segment the harbour and every ship in it. " * 800
    assert len(long_text.split()) > 10 * classifier.encoder.max_seq_length
    p = classifier.classify(long_text)
    assert p.granularity == Granularity.PIXEL
    assert sum(p.probs.values()) == pytest.approx(1.0, abs=1e-5)


def test_settings_can_point_at_another_head(tmp_path: Path) -> None:
    head = GranularityHead(embed_dim=384)
    path = save_head(head, tmp_path / "other.safetensors", encoder="all-MiniLM-L6-v2", extra={})
    other = get_classifier(Settings(classifier_head=path, device="cpu"))
    shipped = get_classifier(Settings(classifier_head=None, device="cpu"))
    assert other is not shipped and other.encoder is shipped.encoder
    assert other.classify("Segment the lake").probs != shipped.classify("Segment the lake").probs


# --- checkpoints ---------------------------------------------------------------------------


def test_head_shapes() -> None:
    head = GranularityHead(embed_dim=16)
    assert head(torch.zeros(5, 16)).shape == (5, 3)
    probs = head.probabilities(torch.randn(4, 16))
    assert torch.allclose(probs.sum(dim=-1), torch.ones(4))
    with pytest.raises(ValueError, match=r"\(N, 16\)"):
        head(torch.zeros(5, 8))


def test_loading_reports_missing_and_unexpected_keys(tmp_path: Path) -> None:
    path = save_head(
        GranularityHead(embed_dim=8), tmp_path / "h.safetensors", encoder="x", extra={}
    )
    meta = load_head(path)[1]
    tensors = load_file(str(path))
    tensors["layers.9.weight"] = tensors.pop("layers.6.weight")
    broken = tmp_path / "broken.safetensors"
    save_file(tensors, str(broken), metadata=meta)
    with pytest.raises(CheckpointError) as err:
        load_head(broken)
    assert "missing keys ['layers.6.weight']" in str(err.value)
    assert "unexpected keys ['layers.9.weight']" in str(err.value)


def test_loading_rejects_wrong_encoder_size_and_missing_files(tmp_path: Path) -> None:
    path = save_head(
        GranularityHead(embed_dim=8), tmp_path / "h.safetensors", encoder="x", extra={}
    )
    with pytest.raises(CheckpointError, match="8-d embeddings"):
        load_head(path, expected_dim=384)
    with pytest.raises(CheckpointError, match="not found"):
        load_head(tmp_path / "nope.safetensors")
    plain = tmp_path / "plain.safetensors"
    save_file({"w": torch.zeros(2)}, str(plain))
    with pytest.raises(CheckpointError, match="metadata"):
        load_head(plain)


# --- training ------------------------------------------------------------------------------


def test_training_reduces_loss_is_seeded_and_writes_loadable_weights(
    train_slice: tuple[torch.Tensor, torch.Tensor], tmp_path: Path
) -> None:
    x, y = train_slice
    config = TrainConfig(seed=3, epochs=4)
    trained = train_head(x, y, config, progress=False)
    assert len(trained.losses) == 4
    assert trained.losses[-1] < trained.losses[0]
    again = train_head(x, y, config, progress=False)
    for a, b in zip(trained.head.parameters(), again.head.parameters(), strict=True):
        assert torch.equal(a, b)
    path = save_head(trained.head, tmp_path / "head.safetensors", encoder="e", extra={"k": "v"})
    loaded, meta = load_head(path, expected_dim=x.shape[1])
    assert meta["k"] == "v" and meta["encoder"] == "e"
    assert torch.equal(loaded.probabilities(x), trained.head.probabilities(x))


# --- corpus --------------------------------------------------------------------------------


def test_corpus_is_sized_balanced_and_has_the_labelling_rule() -> None:
    train = read_corpus(TRAIN_FILES)
    test = read_corpus(TEST_FILE)
    assert len(train) >= 600 and len(test) >= 150
    for split in (train, test):
        counts = {g: sum(q.granularity == g for q in split) for g in Granularity}
        assert min(counts.values()) >= len(split) // 4
    for path in (*TRAIN_FILES, TEST_FILE):
        assert path.read_text().startswith("# Labelling rule:")


def test_held_out_split_is_unseen_by_training() -> None:
    train = {normalise(q.text) for q in read_corpus(TRAIN_FILES)}
    overlap = [q.text for q in read_corpus(TEST_FILE) if normalise(q.text) in train]
    assert overlap == []


def test_generated_corpus_is_reproducible(tmp_path: Path) -> None:
    out = tmp_path / "generated.tsv"
    generate_main(["--out", str(out)])
    assert out.read_text() == GENERATED_FILE.read_text()


def test_corpus_errors_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("# header\nimage\tWhat is this?\nobject\tWhere is it?\n")
    with pytest.raises(CorpusError, match=r"bad.tsv:3: label 'object'"):
        read_corpus(bad)
    bad.write_text("region no tab here\n")
    with pytest.raises(CorpusError, match="label<TAB>prompt"):
        read_corpus(bad)


# --- evaluation and the keyword baseline ---------------------------------------------------


def test_evaluate_confusion_precision_recall() -> None:
    i, r, p = LABELS
    m = evaluate([i, i, r, p, p], [i, r, r, p, i], ["a", "b", "c", "d", "e"])
    assert m.accuracy == pytest.approx(3 / 5)
    assert m.confusion == [[1, 1, 0], [0, 1, 0], [1, 0, 1]]
    assert m.per_class[i].precision == pytest.approx(1 / 2)
    assert m.per_class[i].recall == pytest.approx(1 / 2)
    assert m.per_class[r].precision == pytest.approx(1 / 2)
    assert m.per_class[r].recall == 1.0
    assert m.per_class[p].precision == 1.0 and m.per_class[p].support == 2
    assert [(t, y, q) for t, y, q in m.errors] == [("b", i, r), ("e", p, i)]


def test_keyword_baseline() -> None:
    assert keyword_granularity("Segment the river") == Granularity.PIXEL
    assert keyword_granularity("How many planes are there?") == Granularity.REGION
    assert keyword_granularity("What kind of scene is this?") == Granularity.IMAGE
