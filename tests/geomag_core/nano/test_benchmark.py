from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from geomag_core.nano.benchmark import STRATEGIES, BenchmarkConfig, StrategyTotals, run_scene
from geomag_core.nano.predictor import NanoModel, instances_from_probs
from geomag_core.nano.search import BlockSearch
from geomag_core.scene import Scene


def test_instances_are_components_with_boxes() -> None:
    probs = np.zeros((20, 30), dtype=np.float32)
    probs[2:6, 3:9] = 0.9
    probs[10:12, 20:21] = 0.8  # 2 px: dropped
    probs[14:18, 24:30] = 0.7
    found = instances_from_probs(probs, min_pixels=3)
    assert [i.box for i in found] == [(3, 2, 9, 6), (24, 14, 30, 18)]
    assert found[0].score == pytest.approx(0.9) and found[0].pixels == 24


def test_every_strategy_runs_and_counts_pixels(random_model: NanoModel, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    path = tmp_path / "scene.jpg"
    Image.fromarray(rng.integers(0, 255, (256, 384, 3), dtype=np.uint8)).save(path)
    cfg = BenchmarkConfig(
        overview=128,
        input_size=128,
        tile=128,
        window=96,
        window_stride=32,
        top_k=2,
        search=BlockSearch(block=96, max_fraction=0.18),
    )
    totals: dict[str, StrategyTotals] = {}
    run_scene(random_model, Scene(path), [(10.0, 10.0, 40.0, 40.0)], cfg, totals)
    assert set(totals) == set(STRATEGIES)
    assert totals["b-tiling"].pixels == 256 * 384
    assert totals["a-downsampled"].pixels == 128 * 85
    # c: the 128×85 heat-map view plus two ~96-px windows (cells rounded outward) at native res
    assert 128 * 85 + 2 * 96 * 96 <= totals["c-geomag-topk"].pixels <= 128 * 85 + 2 * 97 * 97
    # d: the same view plus 96-px blocks (2 cells of 48 px) read with 16 px of context, at most
    # 18 % of the scene counting the context: a random model's heat is everywhere, so the cap
    # binds after one block (two would cost more than 18 % of 256 × 384 px).
    view = 128 * 85
    assert view + 96 * 96 < totals["d-geomag-adaptive"].pixels <= view + 128 * 128
    assert all(t.score.counts[0.5].truth == 1 for t in totals.values())
    row = totals["e-auto"].as_dict()
    assert set(row["recall_by_size"]) == {"<12", "12-20", "20-35", "35-70", ">=70"}
    assert row["recall_by_size"]["20-35"]["truth"] == 1  # the 30-px box
    assert row["iou30"]["truth"] == 1 and row["pixels_per_scene"] >= 128 * 85
