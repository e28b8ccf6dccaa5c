"""Nano's windows are stitched per cluster, so memory never scales with the scene."""

from __future__ import annotations

from geomag_core.boxes import PixelBox
from geomag_core.nano.search import _clusters


def test_overlapping_and_touching_windows_stitch_together_far_ones_do_not() -> None:
    a, b, c = PixelBox(0, 0, 640, 640), PixelBox(640, 0, 1280, 640), PixelBox(600, 600, 900, 900)
    far = PixelBox(19_000, 19_000, 19_640, 19_640)
    groups = _clusters([a, far, b, c])
    assert sorted(map(len, groups)) == [1, 3]
    (near,) = [g for g in groups if len(g) == 3]
    assert set(near) == {a, b, c}
    # The far window's cluster is just itself: its stitching array is 640×640, not the scene.
    assert [far] in groups
