"""Analyst feedback in nano's training cache: judged scenes' crops and hard negatives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from geomag_core.nano.backbone import build_backbone
from geomag_core.nano.datasets import LabelledScene, ObjectBox
from geomag_core.nano.feedback import SceneFeedback, TrainingFeedback
from geomag_core.nano.recipe import DatasetMix, NanoTrainConfig
from geomag_core.nano.training import FeatureCache, build_cache
from tests.data.rasters import pattern, write_plain_image

CROP = 64
#: Two aircraft scenes for the recipe, one tank scene (another class: no feedback crops).
MIX = (
    DatasetMix("aircraft", 6, ((1.0, 0.5), (0.5, 0.5))),
    DatasetMix("oil-storage", 3, ((1.0, 1.0),)),
)
CLASS_OF: dict[str, str | None] = {"aircraft": "aircraft", "oil-storage": "oil-storage tank"}


@pytest.fixture(scope="module")
def backbone() -> torch.nn.Module:
    torch.manual_seed(0)
    return build_backbone(pretrained=False)


@pytest.fixture(scope="module")
def scenes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[LabelledScene]]:
    folder = tmp_path_factory.mktemp("scenes")
    boxes = (ObjectBox(20, 20, 40, 36), ObjectBox(150, 150, 170, 180))
    out: dict[str, list[LabelledScene]] = {"aircraft": [], "oil-storage": []}
    for i, dataset in enumerate(["aircraft", "aircraft", "oil-storage"]):
        path = write_plain_image(folder / f"{dataset}-{i}.jpg", pattern(3, 200, 200, "uint8", i))
        out[dataset].append(LabelledScene(path, boxes, dataset))
    return out


@pytest.fixture(scope="module")
def judged(tmp_path_factory: pytest.TempPathFactory) -> SceneFeedback:
    """A judged airport: two objects accepted, one result rejected far from them, one beside."""
    path = tmp_path_factory.mktemp("judged") / "airport.jpg"
    write_plain_image(path, pattern(3, 300, 300, "uint8", seed=7))
    return SceneFeedback(
        path=path,
        class_name="aircraft",
        targets=(ObjectBox(30, 30, 60, 50), ObjectBox(200, 40, 230, 70)),
        # far from any target (the crop centred on it is 64 px: nothing accepted in it) and
        # right beside an accepted one (that one is the crop's target)
        negatives=(ObjectBox(130, 230, 150, 250), ObjectBox(64, 30, 90, 50)),
        verdicts={"accept": 2, "reject": 2},
    )


def cache(
    scenes: dict[str, list[LabelledScene]],
    backbone: torch.nn.Module,
    feedback: tuple[SceneFeedback, ...] = (),
    **overrides: float,
) -> FeatureCache:
    config = NanoTrainConfig(mix=MIX, crop=CROP, seed=3, **overrides)  # type: ignore[arg-type]
    return build_cache(scenes, config, backbone, CLASS_OF, feedback=feedback)


def test_without_feedback_no_crop_is_hard(
    scenes: dict[str, list[LabelledScene]], backbone: torch.nn.Module
) -> None:
    plain = cache(scenes, backbone)
    assert plain.targets.shape[0] == 9 and plain.hard == [] and plain.feedback_crops == 0


def test_feedback_adds_crops_after_the_recipes_own_which_stay_the_same(
    scenes: dict[str, list[LabelledScene]], backbone: torch.nn.Module, judged: SceneFeedback
) -> None:
    plain = cache(scenes, backbone)
    fed = cache(scenes, backbone, (judged,), feedback_negative_crops=3)
    # a judged airport gets what an airport of the recipe gets (6 crops over 2 scenes: 3),
    # and 3 crops per rejected result
    assert fed.feedback_crops == 3 + 2 * 3
    assert fed.targets.shape[0] == 9 + 9
    assert torch.equal(fed.targets[:9], plain.targets)
    for mine, theirs in zip(fed.levels, plain.levels, strict=True):
        assert torch.equal(mine[:9], theirs)
    assert fed.classes[9:] == ["aircraft"] * 9
    assert fed.hard == [False] * 12 + [True] * 6
    # twice the weight, twice the judged scene's own crops
    assert cache(scenes, backbone, (judged,), feedback_weight=2.0).feedback_crops == 6 + 2 * 4


def test_a_hard_negative_crop_is_centred_on_the_rejected_result_with_only_accepted_targets(
    scenes: dict[str, list[LabelledScene]], backbone: torch.nn.Module, judged: SceneFeedback
) -> None:
    fed = cache(scenes, backbone, (judged,), feedback_negative_crops=4)
    hard = fed.targets[-8:].numpy()
    far, beside = hard[:4], hard[4:]
    # centred on the lone rejected result: nothing accepted within the 64-px crop
    assert not far.any()
    # beside an accepted aircraft: that aircraft is the target, in every crop
    assert all(t.any() for t in beside)
    # the target is that aircraft's ellipse, not the crop or the rejected box (26 × 20 px)
    fill = np.mean([t.mean() for t in beside])
    assert 0.0 < fill < 0.5


def test_feedback_of_a_class_outside_the_mix_is_refused(
    scenes: dict[str, list[LabelledScene]], judged: SceneFeedback, tmp_path: Path
) -> None:
    from geomag_core.errors import DatasetError
    from geomag_core.nano.training import train_nano

    cars = SceneFeedback(judged.path, "car", judged.targets, (), {"accept": 2})
    config = NanoTrainConfig(mix=MIX, crop=CROP)
    with pytest.raises(DatasetError, match="no data set of that class"):
        train_nano(tmp_path, config, feedback=(cars,))
    gone = SceneFeedback(tmp_path / "gone.jpg", "aircraft", judged.targets, (), {"accept": 2})
    with pytest.raises(DatasetError, match=r"gone\.jpg"):
        train_nano(tmp_path, config, feedback=(gone,))


def test_the_summary_counts_verdicts_per_class_and_names_validation_scenes(
    judged: SceneFeedback,
) -> None:
    val_airport = Path("/x/11928d1c-44c7-4d3d-b593-9cdfd5f6f367.jpg")  # an aircraft val scene
    feedback = TrainingFeedback(
        scenes=(judged, SceneFeedback(val_airport, "aircraft", (), (), {"add": 1})),
        ignored_labels={"hangar": 2},
    )
    summary = feedback.summary()
    assert summary["verdicts"] == {"accept": 2, "correct": 0, "add": 1, "reject": 2}
    assert summary["by_class"]["aircraft"]["scenes"] == 2
    assert summary["not_held_out"] == [
        {"scene": val_airport.name, "class": "aircraft", "split": "aircraft"}
    ]
    assert summary["ignored"]["not_a_nano_class"] == {"hangar": 2}


def test_a_hard_crop_is_always_asked_for_its_class_and_keeps_its_target() -> None:
    import random

    from geomag_core.nano.training import ask_crop

    ranges: dict[str | None, range] = {
        "aircraft": range(0, 3),
        "oil-storage tank": range(3, 6),
        "car": range(6, 9),
    }
    absent, config = range(9, 12), NanoTrainConfig()
    crops = FeatureCache(
        levels=[], targets=torch.zeros(2, 4, 4, dtype=torch.bool), classes=["aircraft"] * 2,
        asked=[None, None], hard=[False, True],
    )  # fmt: skip
    rng = random.Random(0)
    plain = [ask_crop(rng, crops, 0, ranges, absent, config) for _ in range(200)]
    hard = [ask_crop(rng, crops, 1, ranges, absent, config) for _ in range(200)]
    assert all(keep and prompt in ranges["aircraft"] for prompt, keep in hard)
    # a recipe crop of the same scene is asked for another class (or none) about a third of
    # the time, its target then dropped
    dropped = sum(not keep for _, keep in plain)
    assert 40 < dropped < 100
    assert all(keep == (prompt in ranges["aircraft"]) for prompt, keep in plain)


def test_a_class_a_scene_may_hold_unlabelled_is_never_asked_on_it() -> None:
    import random

    from geomag_core.nano.training import ask_crop

    ranges: dict[str | None, range] = {
        "aircraft": range(0, 3),
        "oil-storage tank": range(3, 6),
        "car": range(6, 9),
        "ship": range(9, 12),
    }
    absent, config = range(12, 15), NanoTrainConfig()
    crops = FeatureCache(
        levels=[], targets=torch.zeros(2, 4, 4, dtype=torch.bool),
        classes=["oil-storage tank", "ship"], asked=[None, None], hard=[],
    )  # fmt: skip
    rng = random.Random(0)
    refinery = [ask_crop(rng, crops, 0, ranges, absent, config)[0] for _ in range(400)]
    port = [ask_crop(rng, crops, 1, ranges, absent, config)[0] for _ in range(400)]
    # a refinery's quays hold tankers no one labelled, a port tank farms: never asked there
    assert not any(p in ranges["ship"] for p in refinery)
    assert not any(p in ranges["oil-storage tank"] for p in port)
    # the other classes still are
    assert any(p in ranges["car"] for p in refinery) and any(p in ranges["aircraft"] for p in port)
