from __future__ import annotations

import numpy as np
import pytest

from geomag_core.boxes import PixelBox
from geomag_core.nano.heat import NanoHeatMapSource
from geomag_core.nano.predictor import NanoModel
from geomag_core.scene import Scene


def _image() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 255, (80, 96, 3), dtype=np.uint8)


def test_heat_is_gradient_weighted_and_depends_on_the_query(random_model: NanoModel) -> None:
    a, weighted_a = random_model.heat(_image(), "segment the aircraft")
    b, weighted_b = random_model.heat(_image(), "where are the ships?")
    assert a.shape == (5, 6)
    assert weighted_a and weighted_b
    assert (a >= 0).all() and a.sum() > 0
    assert not np.allclose(a / a.sum(), b / b.sum())


def test_heat_source_maps_cells_to_scene_pixels(random_model: NanoModel, sample_scene) -> None:
    scene = Scene(sample_scene)
    box = PixelBox(0, 0, 320, 256)
    heat = NanoHeatMapSource(random_model, input_size=160)(scene, box, "aircraft")
    assert heat.shape == (8, 10)  # 160×128 view, 16-px cells
    assert heat.view_shape == (128, 160)
    assert heat.to_scene.a == pytest.approx(32.0)  # one cell = 16 view px = 32 scene px
    assert heat.source == "nano-attention"


def test_a_heat_that_chooses_nothing_is_not_weighted(random_model: NanoModel, sample_scene) -> None:
    # Asked with the view's masks, ``weigh`` says whether the heat will choose anything: when
    # not, the backward pass is saved and the heat is the plain attention, said so.
    scene = Scene(sample_scene)
    box = PixelBox(0, 0, 320, 256)
    source = NanoHeatMapSource(random_model, input_size=160)
    seen = []

    def weigh(coarse) -> bool:
        seen.append(coarse.probs.shape)
        return False

    weighted, masks = source.look(scene, box, "aircraft")
    plain, plain_masks = source.look(scene, box, "aircraft", weigh)
    assert seen == [(128, 160)]
    assert (weighted.source, plain.source) == ("nano-attention", "nano-attention-plain")
    np.testing.assert_allclose(plain_masks.probs, masks.probs, atol=1e-6)  # the same pass
    assert plain.values.shape == weighted.values.shape and plain.values.sum() > 0
    assert not np.allclose(plain.values, weighted.values)
    again, _ = source.look(scene, box, "aircraft", lambda coarse: True)
    np.testing.assert_allclose(again.values, weighted.values)
