"""How nano searches a scene for one class: where it looks, what it keeps, and what it refuses.

1. Small scenes are segmented whole at native resolution: up to the model's input size, or
   whenever reading all of it (magnified as the class is read) looks at no more pixels than
   the overview would (a KIT car frame, 0.4–0.8 MP: the overview cannot save anything there).
2. Larger ones are seen whole at ``overview`` px: that pass gives the PSC heat map (nano's
   gradient-weighted attention) *and* masks. The heat map is cut into blocks; the hottest are
   segmented at native resolution (:class:`BlockSearch`) and stitched per cluster of windows.
   Outside those windows the overview's own instances are kept (``resolution="coarse"``), as TMRA
   keeps the downsampled whole scene beside its crops. When it read hottest blocks, ``auto``
   then follows what it found there: the unread blocks near a group of found objects are
   read too, and near what they find, until nothing new is found (:class:`AutoSearch`).
   A scene much larger than the overview (a 20,000-px SPOT scene is 20× down at 1,024 px, a
   tank there is one view pixel) is zoomed into iteratively (:class:`ZoomLevels`): the
   overview's squares (every one, up to 10,240 px; else the hottest) are looked at again,
   finer, and the hottest of theirs finer again, until a view is fine enough to plan native
   windows on; each level's looks are reported as zoom steps. Native windows are segmented in
   batches (:func:`segment_windows`).
3. Every connected component of the thresholded probabilities is an instance; those smaller than
   a fragment, with a score under :data:`MIN_INSTANCE_SCORE` (the mean probability; for weights
   with a centre head, its geometric mean with the centre's peak, see
   :mod:`~geomag_core.nano.instances`), or of a physically
   impossible size for the class at the scene's GSD (:meth:`ObjectClass.plausible`) are not
   reported (the implausible ones are kept aside, so answers can say how many were refused).

One definition for ``geomag ask`` (``tools.capabilities.nano.find_objects``), ``geomag eval
nano`` and the small-object benchmark's strategy (d), so the numbers measure what the product
does.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

import numpy as np
from affine import Affine
from numpy.typing import NDArray
from PIL import Image

from geomag_core.boxes import PixelBox
from geomag_core.nano.classes import ObjectClass
from geomag_core.nano.heat import CoarseMasks, NanoHeatMapSource
from geomag_core.nano.instances import (
    SEED_THRESHOLD,
    TOKEN_STRIDE,
    PixelMaps,
)
from geomag_core.nano.outlines import OutlineScale, elongation
from geomag_core.polygons.paste import SceneMask, paste_crop_mask
from geomag_core.psc.heatmap import HeatMap
from geomag_core.psc.windows import ScoredWindow, block_windows
from geomag_core.scene import Scene

if TYPE_CHECKING:
    from geomag_core.nano.predictor import NanoModel

__all__ = [
    "MIN_INSTANCE_SCORE",
    "RESOLVED_VIEW_PX",
    "AutoSearch",
    "BlockSearch",
    "FoundInstance",
    "ReadMap",
    "SceneSearch",
    "SearchProgress",
    "ZoomLevels",
    "blocks_next_to",
    "coarse_instances",
    "magnified_segment",
    "merged_windows",
    "min_fragment_pixels",
    "search_scene",
    "segment_windows",
]

#: Components whose score is lower are dropped. Chosen when nano knew only aircraft (on 16
#: training scenes 0.75 kept recall and raised precision from 0.62 to 0.71) and kept unchanged
#: since: the shipped three-class figures (``geomag eval nano``) are measured with it.
MIN_INSTANCE_SCORE = 0.75


#: A box in scene pixels, ``(x0, y0, x1, y1)``.
XYXY = tuple[float, float, float, float]


def min_fragment_pixels(target: ObjectClass, gsd_m: float) -> int:
    """Smaller components are fragments: 30 % of the smallest plausible instance's square."""
    smallest = target.length_px(gsd_m)[0]
    return max(3, round(0.3 * smallest * smallest))


@dataclass(frozen=True)
class BlockSearch:
    """Adaptive block coverage of a heat map (sizes in scene pixels).

    Attributes:
        block: block side; 120 px holds a small aircraft at 50 cm and is three heat cells when a
            2560-px scene is seen at 1024 px.
        margin: context read around each window so objects on its edge are seen whole.
        coverage: stop once the blocks hold this share of the heat (1: only the budget stops).
        max_fraction: never read more than this share of the heat map's region (margins
            counted) for the heat's blocks. With the 1024-px heat map view (16 % of a 2560-px
            scene) and :class:`AutoSearch` following its finds, 0.16 keeps the whole search
            within 35 % of tiling's pixels on the tank validation split (34.6 %, recall at
            IoU 0.5 0.551 against tiling's 0.561; 0.18 read 36.5 % for 0.555).
        time_budget_s: wall-clock budget of the native-resolution reads (``None``: none); when
            it is spent no further window is read, the hottest having gone first, and the
            search reports only what it read (``GEOMAG_QUESTION_BUDGET_S``).
        min_score: the score floor: components whose score is lower are dropped,
            wherever the search meets them (overview, probes, native windows). The product's
            is :data:`MIN_INSTANCE_SCORE`; ``geomag eval nano --min-score`` sweeps it.

    """

    block: int = 120
    margin: int = 16
    coverage: float = 1.0
    max_fraction: float = 0.16
    time_budget_s: float | None = None
    min_score: float = MIN_INSTANCE_SCORE

    def windows(self, heat: HeatMap) -> list[tuple[ScoredWindow, PixelBox]]:
        """The chosen windows, hottest first: each with its scene box, margin included."""
        cell = abs(heat.to_scene.a)  # scene pixels per heat cell
        chosen = block_windows(
            heat.values,
            block=max(1, round(self.block / cell)),
            coverage=self.coverage,
            max_fraction=self.max_fraction,
            margin=self.margin / cell,
        )
        return [(w, heat.scene_box(w.cells).padded(self.margin, heat.bounds)) for w in chosen]

    def plan(
        self,
        heat: HeatMap,
        coarse: CoarseMasks,
        target: ObjectClass,
        gsd_m: float,
        min_px: int,
        outline: OutlineScale | None = None,
    ) -> tuple[list[tuple[ScoredWindow | None, PixelBox]], str]:
        """The hottest blocks to the budget, whatever the overview found (see :meth:`windows`)."""
        del coarse, target, gsd_m, min_px, outline  # the blocks follow the heat alone
        chosen: list[tuple[ScoredWindow | None, PixelBox]] = list(self.windows(heat))
        why = f"the {len(chosen)} hottest block(s), up to {self.max_fraction:.0%} of the scene"
        return chosen, why


#: What :class:`AutoSearch` trusts from the overview: an instance at least one image token
#: (16 view px) long. Smaller, the attention cannot separate it from its neighbours.
RESOLVED_VIEW_PX = float(TOKEN_STRIDE)


@dataclass(frozen=True)
class AutoSearch:
    """Magnify only where it pays: the overview pass decides where native resolution is read.

    The overview's instances are sorted into *trusted* (confident, at least ``resolve_px`` long
    at the overview's scale, of a possible size) and *doubtful* (too small, too uncertain or of
    an impossible size, such as two aircraft merged nose to tail). Then:

    * when the trusted instances are well resolved (their median length at the overview scale
      at least twice ``resolve_px``), the asked objects are large enough for the overview, and
      native resolution is read only around the doubtful instances;
    * otherwise (objects near or below the overview's resolution, or none resolved at all) the
      hottest blocks of the heat map not explained by trusted instances are read too, as
      :class:`BlockSearch` reads them (tank farms, parking lots), up to ``blocks.max_fraction``.

    Then, when hottest blocks were read (objects the overview cannot resolve), it **follows
    what it found**: a block not read yet that lies within ``reach`` of their own lengths of
    at least ``follow`` objects found at native resolution (of a possible size and shape: what
    the answer would report) is read too, and so on around what those find, until nothing more
    is found or the reads following finds reach twice ``blocks.max_fraction`` of the scene
    (see :func:`blocks_next_to`). Tanks and cars stand in groups (farms, car parks) that the
    heat of a coarse overview covers only in part: on the tank validation split this took
    recall at IoU 0.5 from 0.447 to 0.524 (tiling reads every pixel for 0.520) at 41 % of
    tiling's pixels instead of 33 %; reading the same extra pixels where the heat points
    (``max_fraction`` 0.30) gave 0.494.

    Attributes:
        blocks: block size, margin and pixel budget of the native reads (``max_fraction``
            bounds the doubtful windows too).
        resolve_px: shortest instance, in overview pixels, the overview is trusted with.
        follow: how many objects found near a block make it worth reading (0: never follow).
            Two: a group, not a coincidence (a lone false find, a round pond, costs nothing).
        reach: how near, in lengths of the object found: objects of a group stand a few of
            their own lengths apart (tanks of a farm, cars of a row), so a block farther from
            every find than that is not the group's. Measured on the tank validation split
            against the first rule (a find counted for the eight blocks around its own, three
            needed: 0.524 at 42.9 % of tiling's pixels): 3 lengths and two finds 0.524 at
            41.4 %; 2 lengths 0.517 at 38.4 %; 4 lengths and three finds 0.523 at 41.0 %.

    """

    blocks: BlockSearch = field(default_factory=BlockSearch)
    resolve_px: float = RESOLVED_VIEW_PX
    follow: int = 2
    reach: float = 3.0

    @property
    def time_budget_s(self) -> float | None:
        """The native reads' wall-clock budget (the blocks')."""
        return self.blocks.time_budget_s

    @property
    def min_score(self) -> float:
        """The score floor (the blocks')."""
        return self.blocks.min_score

    def resolves(
        self,
        coarse: CoarseMasks,
        target: ObjectClass,
        gsd_m: float,
        min_px: int,
        outline: OutlineScale | None = None,
    ) -> bool:
        """Whether the overview resolves ``target`` (see :meth:`plan`).

        Its windows then go around the doubtful instances only: the heat chooses none of them.
        """
        return self._resolved(self._sorted(coarse, target, gsd_m, min_px, outline)[2])

    def _resolved(self, lengths: list[float]) -> bool:
        """Well resolved: the trusted instances' median length is twice ``resolve_px``."""
        return bool(lengths) and float(np.median(lengths)) >= 2 * self.resolve_px

    def _sorted(
        self,
        coarse: CoarseMasks,
        target: ObjectClass,
        gsd_m: float,
        min_px: int,
        outline: OutlineScale | None,
    ) -> tuple[
        list[XYXY],
        list[XYXY],
        list[float],
    ]:
        """The overview's instances: trusted and doubtful scene boxes, trusted lengths.

        Lengths are in overview pixels, grown as the outlines are.
        """
        outline = outline or OutlineScale()
        grow = outline.grow
        scale = abs(coarse.to_scene.a)  # scene pixels per view pixel
        trusted: list[XYXY] = []
        doubtful: list[XYXY] = []
        lengths: list[float] = []
        for inst in coarse.maps.instances(min_pixels=max(3, round(min_px / scale**2))):
            c0, r0, c1, r1 = inst.box
            x0, y0 = coarse.to_scene @ (c0, r0)
            x1, y1 = coarse.to_scene @ (c1, r1)
            cx, cy, hw, hh = (
                (x0 + x1) / 2,
                (y0 + y1) / 2,
                (x1 - x0) * grow / 2,
                (y1 - y0) * grow / 2,
            )
            box = (cx - hw, cy - hh, cx + hw, cy + hh)
            length = max(c1 - c0, r1 - r0) * grow
            sure = inst.score >= self.min_score and length >= self.resolve_px
            if sure and target.plausible(box, gsd_m, outline.spread):
                trusted.append(box)
                lengths.append(length)
            else:
                doubtful.append(box)
        return trusted, doubtful, lengths

    def plan(
        self,
        heat: HeatMap,
        coarse: CoarseMasks,
        target: ObjectClass,
        gsd_m: float,
        min_px: int,
        outline: OutlineScale | None = None,
    ) -> tuple[list[tuple[ScoredWindow | None, PixelBox]], str]:
        """The windows to read at native resolution, hottest first, and why (one sentence).

        Args:
            heat: the overview's heat map.
            coarse: the overview's mask probabilities.
            target: the class asked for (its plausible sizes).
            gsd_m: metres per scene pixel.
            min_px: fragment size in scene pixels (smaller components are ignored).
            outline: how the model's outlines grow to the objects (cores: by
                ``outline.grow``), and the spread the size rule allows.

        """
        trusted, doubtful, lengths = self._sorted(coarse, target, gsd_m, min_px, outline)
        median = float(np.median(lengths)) if lengths else 0.0
        budget = self.blocks.max_fraction * heat.bounds.area
        windows: list[tuple[ScoredWindow | None, PixelBox]] = []
        spent = 0
        for box in doubtful:
            window = _around(box, self.blocks.block, self.blocks.margin, heat.bounds)
            if spent + window.area > budget:
                break
            windows.append((None, window))
            spent += window.area
        if self._resolved(lengths):
            why = (
                f"the overview resolves {target.plural} (median {median:.0f} px long at its "
                f"scale, {len(lengths)} trusted): native resolution only around "
                f"{len(windows)} doubtful instance(s)"
            )
            return windows, why
        residual = _without(heat, trusted)
        left = BlockSearch(
            block=self.blocks.block,
            margin=self.blocks.margin,
            coverage=self.blocks.coverage,
            max_fraction=max(0.0, (budget - spent) / heat.bounds.area),
        )
        blocks = left.windows(residual) if left.max_fraction > 0 else []
        seen = (
            f"{target.plural} are small at the overview's scale (median {median:.0f} px long, "
            f"{len(lengths)} trusted)"
            if lengths
            else f"the overview resolves no {target.name}"
        )
        why = (
            f"{seen}: native resolution at the {len(blocks)} hottest block(s) and around "
            f"{len(windows)} doubtful instance(s)"
        )
        return windows + blocks, why


def _around(box: XYXY, side: int, margin: int, bounds: PixelBox) -> PixelBox:
    """A window of at least ``side`` px centred on ``box``, ``margin`` around it, in ``bounds``."""
    w = max(side, box[2] - box[0] + 2 * margin)
    h = max(side, box[3] - box[1] + 2 * margin)
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    x0 = int(max(bounds.x0, min(cx - w / 2, bounds.x1 - w)))
    y0 = int(max(bounds.y0, min(cy - h / 2, bounds.y1 - h)))
    return PixelBox(x0, y0, min(bounds.x1, int(x0 + w)), min(bounds.y1, int(y0 + h)))


def _without(heat: HeatMap, boxes: list[XYXY]) -> HeatMap:
    """``heat`` with the cells under ``boxes`` (scene pixels) set to zero."""
    values = heat.values.copy()
    inverse = ~heat.to_scene
    rows, cols = values.shape
    for x0, y0, x1, y1 in boxes:
        c0, r0 = inverse @ (x0, y0)
        c1, r1 = inverse @ (x1, y1)
        values[
            max(0, int(r0)) : min(rows, int(np.ceil(r1))),
            max(0, int(c0)) : min(cols, int(np.ceil(c1))),
        ] = 0.0
    return replace(heat, values=values)


@dataclass(frozen=True)
class ZoomLevels:
    """Iterative zoom: intermediate looks between a coarse overview and native resolution.

    Native windows are planned on a view at most ``max_scale`` scene pixels per view pixel
    (at 4, the blocks are a few heat cells and a 19-px tank is ~5 view pixels: the heat can
    point at a tank farm). A coarser view is not planned on: its squares, each ``step`` times
    smaller than the view's region (never smaller than one look), are looked at again at the
    overview's size, and so on. A 2,560-px scene (2.5× down) keeps the one-level search.

    Which squares: when a grid of at most ``step`` × ``step`` squares has looks no coarser than
    ``breadth_scale`` (scenes up to 10,240 px), the overview is cut into the coarsest such grid
    and **every** square is looked at (``breadth``): 2 × 2 on a 5,120² scene, 4 × 4 on a
    10,240² one (16 % of their pixels; a 6,000² scene 3 × 3, 26 %). The overview is then too
    coarse to see the class (a tank is one or two view pixels at 10× down), so its heat cannot
    choose among them — measured on a dense 10,240² tank mosaic, the square with 274 tanks held
    none of it. A square was
    not chosen for its heat, so it is searched only on evidence: its look shows the class (a
    probability over ``shows``), or, when it shows none, the hottest block of its look read at
    native resolution does (a look 2.5× down missed whole tank farms that native resolution
    finds; farmland, sea or a blank look show nothing either way and get no native window).
    Larger scenes, and the deeper levels they need, look again only at the hottest squares, up
    to ``max_fraction`` of a view's region or ``coverage`` of its heat: every square at every
    level would cost more looks than a question's time allows (64 at depth 2 of a 20,000²
    scene).

    Attributes:
        max_scale: the coarsest view native windows are planned on.
        step: how much finer each level is.
        max_fraction: at most this share of a view's region is looked at again (selective).
        coverage: stop once the squares hold this share of the view's heat (selective).
        breadth: look at every square of the overview when those looks are fine enough.
        breadth_scale: how coarse those looks may be: 2.5×, as ``auto`` sees the 2,560²
            validation scenes it was measured on. Coarser, the looks miss what it finds: at
            3.3× (a 3 × 3 grid of the 10,240² mosaics) dense recall fell from 0.410 to 0.360
            and the sparse mosaic's one tank scene showed nothing (recall 0).
        shows: a breadth look shows the class where a mask probability passes this (the
            model's own threshold); one that shows none is probed (see above).

    """

    max_scale: float = 4.0
    step: float = 4.0
    max_fraction: float = 0.25
    coverage: float = 0.9
    breadth: bool = True
    breadth_scale: float = 2.5
    shows: float = 0.5


def _hot_squares(
    heat: HeatMap, side: int, max_fraction: float, coverage: float, every: bool = False
) -> list[tuple[float, PixelBox]]:
    """The hottest ``side``-px squares of ``heat``'s region (a grid), hottest first.

    Taken until they hold ``coverage`` of the heat or the next would pass ``max_fraction`` of
    the region (the hottest always, so a zoom never reads nothing); a square without heat is
    never taken. With ``every``, all the squares, heat or not. Returns ``(heat mass, square)``
    pairs.
    """
    region = heat.bounds
    inverse = ~heat.to_scene
    total = float(heat.values.sum())
    if total <= 0 and not every:
        return []
    squares = []
    for y in range(region.y0, region.y1, side):
        for x in range(region.x0, region.x1, side):
            box = PixelBox(x, y, min(region.x1, x + side), min(region.y1, y + side))
            c0, r0 = inverse @ (box.x0, box.y0)
            c1, r1 = inverse @ (box.x1, box.y1)
            cells = heat.values[
                max(0, int(r0)) : max(0, int(np.ceil(r1))),
                max(0, int(c0)) : max(0, int(np.ceil(c1))),
            ]
            squares.append((float(cells.sum()), box))
    squares.sort(key=lambda sq: -sq[0])
    if every:
        return squares
    chosen: list[tuple[float, PixelBox]] = []
    held, spent = 0.0, 0
    for mass, box in squares:
        if mass <= 0 or held >= coverage * total:
            break
        if chosen and spent + box.area > max_fraction * region.area:
            break  # (the hottest is always looked at, even when one square is over budget)
        chosen.append((mass, box))
        held, spent = held + mass, spent + box.area
    return chosen


class SearchProgress(Protocol):
    """Who follows a search while it runs (the agent's step trail)."""

    def planned(self, heat: HeatMap | None, decision: str, windows: int) -> None:
        """The search chose ``windows`` windows on ``heat`` (``None``: segmented whole)."""

    def zoomed(self, depth: int, region: PixelBox, heat: HeatMap, score: float) -> None:
        """An intermediate level: ``region`` was looked at again, finer.

        ``heat`` is that look's heat map; ``score`` the region's share of the coarser heat.
        """

    def read(self, number: int, window: ScoredWindow | None, box: PixelBox) -> None:
        """Window ``box`` (the ``number``-th read) was just read at native resolution."""


@dataclass(frozen=True)
class FoundInstance:
    """One instance found in a scene.

    Attributes:
        mask: the component, in scene pixels over its own box.
        score: the component's score (:class:`~geomag_core.nano.instances.Instance`).
        resolution: ``native`` (a searched window) or ``coarse`` (the overview only).

    """

    mask: SceneMask
    score: float
    resolution: str

    @property
    def box(self) -> XYXY:
        """XYXY in scene pixels."""
        return tuple(float(v) for v in self.mask.box.as_tuple())  # type: ignore[return-value]


@dataclass
class SceneSearch:
    """What one search of a scene for one class did and found.

    Attributes:
        instances: reported instances, largest first.
        implausible: instances refused for their size at ``gsd_m``.
        misshapen: instances of a possible size refused for their shape: more elongated than
            the class's outlines measured on training scenes (``OutlineScale.elongation``).
        windows: the native-resolution windows (scene pixels), with their heat scores.
        heat: the overview's heat map (``None`` when the scene was segmented whole).
        gsd_m: metres per pixel used for the size rule.
        native_pixels: pixels read at native resolution (windows, overlaps counted).
        searched_pixels: distinct scene pixels seen at native resolution.
        scene_pixels: the scene's pixels.
        out_of_time: the time budget stopped the search before every chosen window was read.
        decision: where native resolution was read, and why (one sentence, for the trail).
        planned: windows chosen before reading (``len(windows)`` unless time ran out).
        scale: the windows were resampled by this factor so objects had the pixel size the
            model learned (:meth:`ObjectClass.reading_scale`; 1.0: read as they are).

    """

    instances: list[FoundInstance]
    implausible: list[FoundInstance]
    windows: list[tuple[ScoredWindow | None, PixelBox]]
    heat: HeatMap | None
    gsd_m: float
    misshapen: list[FoundInstance] = field(default_factory=list)
    native_pixels: int = 0
    searched_pixels: int = 0
    scene_pixels: int = 1
    view_pixels: int = field(default=0)
    out_of_time: bool = False
    decision: str = ""
    planned: int = 0
    scale: float = 1.0

    @property
    def searched_fraction(self) -> float:
        """Share of the scene seen at native resolution."""
        return self.searched_pixels / self.scene_pixels


def coarse_instances(
    coarse: CoarseMasks,
    searched: list[PixelBox],
    min_native_pixels: int,
    min_score: float = MIN_INSTANCE_SCORE,
) -> list[tuple[NDArray[np.float32], Affine, float]]:
    """The overview's own instances whose centre lies outside every searched window.

    Inside the windows the native-resolution masks are better and are used instead; outside
    them these are all GeoMag has (the global view of TMRA). Components whose mean
    probability is under ``min_score`` are dropped.

    Returns:
        per instance: its component's probabilities over its box in view pixels (zero outside
        the component), that box's view → scene affine, and its score.

    """
    scale = abs(coarse.to_scene.a)  # scene pixels per view pixel
    min_px = max(3, round(min_native_pixels / scale**2))
    out = []
    for inst in coarse.maps.instances(min_pixels=min_px, with_masks=True):
        if inst.score < min_score or inst.mask is None:
            continue
        c0, r0, c1, r1 = inst.box
        to_scene = coarse.to_scene @ Affine.translation(c0, r0)
        x0, y0 = to_scene @ (0, 0)
        x1, y1 = to_scene @ (c1 - c0, r1 - r0)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        if any(b.x0 <= cx < b.x1 and b.y0 <= cy < b.y1 for b in searched):
            continue
        probs = np.where(inst.mask, coarse.probs[r0:r1, c0:c1], 0.0).astype(np.float32)
        out.append((probs, to_scene, inst.score))
    return out


def merged_windows(
    windows: list[tuple[ScoredWindow | None, PixelBox]], max_side: int
) -> list[tuple[ScoredWindow | None, PixelBox]]:
    """``windows`` with each pair merged into its bounding box wherever that reads no more pixels.

    Neighbouring windows overlap by their margins (two blocks one above the other read the
    strip between them twice): a pair whose bounding box is no larger than the two areas
    together is read as that box, so every pixel they covered is read, once, with at least
    the context it had. A merged box longer than ``max_side`` (one look, in scene pixels) is
    not made: the look would be tiled with overlaps again. The merged window keeps the place
    of the earlier (hotter) one and its heat score, or the other's where it has none (a block
    of heat merged with a window around a doubtful instance is still the heat's). Repeated
    until no pair merges.
    """
    out = list(windows)
    i = 0
    while i < len(out):
        a = out[i][1]
        for j in range(len(out)):
            b = out[j][1]
            x0, y0, x1, y1 = min(a.x0, b.x0), min(a.y0, b.y0), max(a.x1, b.x1), max(a.y1, b.y1)
            fits = max(x1 - x0, y1 - y0) <= max_side
            if j != i and fits and (x1 - x0) * (y1 - y0) <= a.area + b.area:
                keep, drop = min(i, j), max(i, j)
                score = out[keep][0] if out[keep][0] is not None else out[drop][0]
                out[keep] = (score, PixelBox(x0, y0, x1, y1))
                del out[drop]
                i = 0  # the larger box may now merge with one already passed
                break
        else:
            i += 1
    return out


def _clusters(boxes: list[PixelBox]) -> list[list[PixelBox]]:
    """Group boxes that overlap or touch (directly or via others); each group is stitched alone."""
    groups: list[list[PixelBox]] = []
    for box in boxes:
        touching = [g for g in groups if any(_touch(box, b) for b in g)]
        merged = [box] + [b for g in touching for b in g]
        groups = [g for g in groups if g not in touching] + [merged]
    return groups


def _touch(a: PixelBox, b: PixelBox) -> bool:
    # Touching counts: a component on the shared edge must be stitched whole.
    return a.x0 <= b.x1 and b.x0 <= a.x1 and a.y0 <= b.y1 and b.y0 <= a.y1


class _Levels:
    """Plans native windows through intermediate looks (:class:`ZoomLevels`), depth first."""

    def __init__(
        self,
        source: NanoHeatMapSource,
        scene: Scene,
        target: ObjectClass,
        levels: ZoomLevels,
        progress: SearchProgress | None,
        zoom: float,
    ) -> None:
        self.source, self.scene, self.target = source, scene, target
        self.zoom = zoom  # how native windows (and probes) are magnified
        self.levels, self.progress = levels, progress
        self.view_pixels = 0
        self.looks: list[int] = []  # looks per depth
        self.every = False  # the overview's squares were all looked at
        self.empty = 0  # of them, looks without a pixel of the class: no native window
        self.finest = math.inf  # scene pixels per view pixel of the finest look

    def _probe(
        self,
        heat: HeatMap,
        looking: AutoSearch | BlockSearch,
        min_px: int,
        judged: tuple[float, OutlineScale],
    ) -> bool:
        """Whether the hottest block of a look that shows nothing shows the class when read.

        A look 2.5× down can miss a whole tank farm that native resolution finds, while its
        heat, tiny but relative, still points at it: one block read as the windows are (at the
        model's scale) tells a square worth searching from farmland for 0.4 % of its pixels
        (a 152² block of a 2,560² square), counted with the looks' pixels. Shows: something
        the answer would report (``judged``: the GSD and outline scale of the size and shape
        rules), as following counts finds; an elongated blob in farmland does not wake it.
        """
        gsd_m, outline = judged
        blocks = looking.blocks if isinstance(looking, AutoSearch) else looking
        hottest = replace(blocks, max_fraction=1e-9, time_budget_s=None).windows(heat)[:1]
        for _, box in hottest:
            self.view_pixels += box.area
            maps = magnified_segment(
                self.source.model, self.scene.read(box), self.target.prompt, self.zoom
            )
            for inst in maps.instances(min_pixels=min_px, with_masks=True):
                if inst.score < blocks.min_score or inst.mask is None:
                    continue
                c0, r0, c1, r1 = inst.box
                where = PixelBox(box.x0 + c0, box.y0 + r0, box.x0 + c1, box.y0 + r1)
                core = SceneMask(inst.mask, where)
                if _reportable(core, self.target, gsd_m, outline, self.scene.size):
                    return True
        return False

    def needed(self, coarse: CoarseMasks) -> bool:
        """The view is too coarse to plan native windows on."""
        return abs(coarse.to_scene.a) > self.levels.max_scale

    def plan(
        self,
        heat: HeatMap,
        coarse: CoarseMasks,
        looking: AutoSearch | BlockSearch,
        gsd_m: float,
        min_px: int,
        outline: OutlineScale,
        depth: int = 1,
    ) -> tuple[list[tuple[ScoredWindow | None, PixelBox]], str]:
        """The native windows for ``heat``'s region, and why (one sentence)."""
        if not self.needed(coarse):
            return looking.plan(heat, coarse, self.target, gsd_m, min_px, outline)
        region = heat.bounds
        longest = max(region.width, region.height)
        side = max(self.source.input_size, math.ceil(longest / self.levels.step))
        every = False
        if self.levels.breadth and depth == 1:  # the coarsest grid seen as auto sees 2,560²
            for k in range(2, int(self.levels.step) + 1):
                if math.ceil(longest / k) / self.source.input_size <= self.levels.breadth_scale:
                    side, every = math.ceil(longest / k), True
                    break
        squares = _hot_squares(
            heat, side, self.levels.max_fraction, self.levels.coverage, every=every
        )
        self.every = self.every or every
        total = float(heat.values.sum()) or 1.0
        windows: list[tuple[ScoredWindow | None, PixelBox]] = []
        while len(self.looks) < depth:
            self.looks.append(0)
        for mass, square in squares:
            finer, finer_coarse = self.source.look(self.scene, square, self.target.prompt)
            self.view_pixels += finer.view_pixels
            self.looks[depth - 1] += 1
            self.finest = min(self.finest, abs(finer_coarse.to_scene.a))
            if self.progress is not None:
                self.progress.zoomed(depth, square, finer, mass / total)
            if (
                every
                and finer_coarse.probs.max() <= self.levels.shows
                and not self._probe(finer, looking, min_px, (gsd_m, outline))
            ):
                self.empty += 1  # not chosen for its heat, and nothing there at any scale
                continue
            more, _ = self.plan(
                finer, finer_coarse, looking, gsd_m, min_px, outline, depth=depth + 1
            )
            windows += more
        if depth > 1:
            return windows, ""
        scale = abs(coarse.to_scene.a)
        finest = self.finest if self.looks else scale
        levels = ", ".join(f"{n} look(s) at depth {d}" for d, n in enumerate(self.looks, 1))
        which = (
            f"every one of its squares, {self.empty} showing no {self.target.name}"
            if self.every
            else "its hottest squares"
        )
        why = (
            f"the overview is {scale:.0f}× down, too coarse for {self.target.plural}: zoomed "
            f"into {which} ({levels}; the finest about {max(finest, 1):.1f}× down), "
            f"then native resolution at {len(windows)} window(s) chosen on those looks"
        )
        return windows, why


def search_scene(
    model: NanoModel,
    scene: Scene,
    target: ObjectClass,
    *,
    gsd_m: float,
    search: AutoSearch | BlockSearch | None = None,
    input_size: int = 640,
    overview: int = 1024,
    progress: SearchProgress | None = None,
    scale: float | None = None,
    levels: ZoomLevels | None = None,
) -> SceneSearch:
    """Search ``scene`` for ``target`` (see the module docstring).

    Args:
        model: the nano model.
        scene: the scene.
        target: the class asked for; its ``prompt`` is the model's text.
        gsd_m: metres per pixel for the size rule (the scene's, or the class's training GSD).
        search: where to read native resolution: :class:`AutoSearch` (the default) or
            :class:`BlockSearch` (the hottest blocks whatever the overview found), and the
            score floor (``min_score``) of every component met.
        input_size: scenes whose longer side fits are segmented whole.
        overview: longer side of the heat map's whole-scene view; a scene whose whole read
            (at ``zoom``) looks at no more than ``overview²`` pixels is segmented whole too.
        progress: told the plan once it is made and each window as soon as it is read (the
            trail fills in while the search runs).
        scale: resample the windows by this factor (default: the class's
            :meth:`~ObjectClass.reading_scale` at ``gsd_m``; 1.0 reads them as they are).
        levels: iterative zoom for scenes the overview sees too coarsely (default
            :class:`ZoomLevels`; with ``levels.max_scale`` ``inf`` the one-level search).

    """
    whole = PixelBox(0, 0, scene.width, scene.height)
    # Fragments are judged on the model's cores (shrunk targets), before they grow back.
    shrink = model.shrink_for(target.name)
    outline = model.outline_scale(target.name)
    # Whole outlines (not cores) touch where objects do: separate them at the model's cores.
    seeds = SEED_THRESHOLD if shrink == 1.0 else None
    min_px = max(3, round(min_fragment_pixels(target, gsd_m) * shrink**2))
    heat: HeatMap | None = None
    coarse: CoarseMasks | None = None
    windows: list[tuple[ScoredWindow | None, PixelBox]]
    looking = search or AutoSearch()
    view_px = 0  # pixels of the intermediate levels' looks (and their probes)
    scale = target.reading_scale(gsd_m) if scale is None else scale
    zoom = scale * model.zoom_for(target)
    looked_whole = scene.width * scene.height * zoom * zoom  # pixels a whole read looks at
    if max(scene.width, scene.height) <= input_size:
        windows = [(None, whole)]
        decision = "the scene fits one look: segmented whole at native resolution"
    elif looked_whole <= overview * overview:
        # The overview alone would look at as many pixels: it cannot save any. Read it all.
        windows = [(None, whole)]
        decision = (
            f"reading all of it at native resolution looks at {looked_whole / 1e6:.1f} MP, "
            f"no more than the overview would: segmented whole"
        )
    else:
        source = NanoHeatMapSource(model, input_size=overview)
        zoom_in = _Levels(source, scene, target, levels or ZoomLevels(), progress, zoom)

        def weighs(view: CoarseMasks) -> bool:  # does the heat choose anything?
            return not (
                isinstance(looking, AutoSearch)
                and not zoom_in.needed(view)
                and looking.resolves(view, target, gsd_m, min_px, outline)
            )

        heat, coarse = source.look(scene, whole, target.prompt, weighs)
        windows, decision = zoom_in.plan(heat, coarse, looking, gsd_m, min_px, outline)
        view_px += zoom_in.view_pixels
        planned_windows = len(windows)
        windows = merged_windows(windows, _one_look_side(zoom))
        if len(windows) < planned_windows:
            decision += f", read as {len(windows)} window(s) where neighbours overlap"
    if progress is not None:
        progress.planned(heat, decision, len(windows))
    budget = looking.time_budget_s
    deadline = None if budget is None else time.monotonic() + budget
    fragments = (min_px, seeds, looking.min_score)
    reader = _Reader(model, scene, target.prompt, zoom, fragments, deadline, progress)
    reader.read(windows)
    planned = len(windows)  # windows read: a merged pair is one
    # Following finds is auto's: only when it read hottest blocks (objects the overview cannot
    # resolve; around doubtful instances alone, the overview saw their neighbours).
    blocks_read = any(w is not None for w, _ in windows)
    if (
        isinstance(looking, AutoSearch)
        and looking.follow
        and blocks_read
        and not reader.out_of_time
    ):

        def reported(f: FoundInstance) -> bool:  # evidence: what the answer would report
            return _reportable(f.mask, target, gsd_m, outline, scene.size)

        followed, more = _follow_finds(reader, whole, looking, reported, heat, decision)
        if followed:
            decision += f"; then {followed} block(s) next to what was found there"
            planned += more
    windows = reader.windows
    if coarse is not None:
        outside = []
        read = [b for _, b in windows]
        for probs_c, to_scene, score in coarse_instances(coarse, read, min_px, looking.min_score):
            tight = _tight(paste_crop_mask(probs_c, to_scene, scene.size))
            if tight is not None:
                outside.append(FoundInstance(tight, score, "coarse"))
        # An object whose centre lies outside the windows may still have been read in part by
        # one of them: it is kept once, as an object on the edge of two windows is.
        reader.keep_once(outside)
    found = reader.found
    native_px, searched_px = reader.native_px, reader.searched_px
    out_of_time = reader.out_of_time
    if outline.grow != 1.0:  # the model outlines cores: grow them to the objects
        found = [
            FoundInstance(_grow(f.mask, outline.grow, scene.size), f.score, f.resolution)
            for f in found
        ]
    found.sort(key=lambda f: -f.mask.pixel_count)
    rules = [_judged(f.mask, target, gsd_m, outline) for f in found]
    return SceneSearch(
        instances=[f for f, (ok, sh) in zip(found, rules, strict=True) if ok and sh],
        implausible=[f for f, (ok, _) in zip(found, rules, strict=True) if not ok],
        misshapen=[f for f, (ok, sh) in zip(found, rules, strict=True) if ok and not sh],
        windows=windows,
        heat=heat,
        gsd_m=gsd_m,
        native_pixels=native_px,
        searched_pixels=searched_px,
        scene_pixels=scene.width * scene.height,
        view_pixels=(heat.view_pixels if heat is not None else 0) + view_px,
        out_of_time=out_of_time,
        decision=decision,
        planned=planned,
        scale=scale,
    )


#: Longest side, in looked-at pixels, that one forward pass of a native window may have. The
#: fusion layers attend over every token of a look, so memory grows with the square of its
#: area; larger (or magnified) windows are looked at in overlapping tiles of this side instead
#: (a magnified 1,000-px block window peaked at 3.4 GB on a 1 m/px 20,000² scene).
MAX_LOOK_SIDE = 1024


def _one_look_side(zoom: float) -> int:
    """The longest window side, in scene pixels, that one look reads magnified ``zoom`` times."""
    return max(TOKEN_STRIDE, int(MAX_LOOK_SIDE / zoom))


#: Overlap of those tiles, in looked-at pixels: an object cut by one tile's edge is whole in
#: its neighbour (the largest aircraft at the search's scale are about 220 px long).
LOOK_OVERLAP = 256


#: Looked-at pixels of the native windows read together (:func:`segment_windows`, in passes of
#: :meth:`NanoModel.segment_many`'s size): as many as one ``MAX_LOOK_SIDE``² look, so they need
#: no more memory than the largest single look, and the time budget is checked between them.
BATCH_PIXELS = MAX_LOOK_SIDE * MAX_LOOK_SIDE


class _Reader:
    """Reads windows at native resolution and keeps what they find (see :func:`search_scene`).

    Each call reads its windows stitched per cluster of overlapping ones, hottest cluster
    first, in batches (:func:`segment_windows`): the hottest window alone first and each batch
    then twice the last, up to ``BATCH_PIXELS``, so a time budget spent at once still reads
    the hottest window and the trail shows it as soon as it is read. Memory stays bounded by
    the windows, never by the scene. A cluster becomes instances as soon as its last window is
    read. An object also found by an earlier call (on the edge of its windows) is kept once:
    the larger outline, the one its neighbour's window saw whole (:meth:`keep_once`).
    """

    def __init__(
        self,
        model: NanoModel,
        scene: Scene,
        prompt: str,
        zoom: float,
        fragments: tuple[int, float | None, float],
        deadline: float | None,
        progress: SearchProgress | None,
    ) -> None:
        self.model, self.scene, self.prompt, self.zoom = model, scene, prompt, zoom
        self.min_px, self.seeds, self.min_score = fragments  # see search_scene
        self.deadline, self.progress = deadline, progress
        self.found: list[FoundInstance] = []
        self.windows: list[tuple[ScoredWindow | None, PixelBox]] = []  # read, in order
        self.native_px = 0
        self.searched_px = 0
        self.out_of_time = False

    def read(self, windows: list[tuple[ScoredWindow | None, PixelBox]]) -> list[FoundInstance]:
        """Read ``windows`` (hottest first) until done or out of time; return what is new."""
        boxes = [b for _, b in windows]
        rank = {id(b): i for i, b in enumerate(boxes)}
        done_ids: set[int] = set()
        clusters = [
            sorted(group, key=lambda b: rank[id(b)])
            for group in sorted(_clusters(boxes), key=lambda g: min(rank[id(b)] for b in g))
        ]
        queue = [(g, box) for g, group in enumerate(clusters) for box in group]
        stitched: dict[int, tuple[PixelBox, PixelMaps, NDArray[np.bool_]]] = {}
        new: list[FoundInstance] = []
        done, batch = 0, 1
        while done < len(queue):
            if self.deadline is not None and time.monotonic() >= self.deadline:
                self.out_of_time = True
                break
            chunk: list[tuple[int, PixelBox]] = []
            looked = 0
            for item in queue[done : done + batch]:
                looked += round(item[1].area * self.zoom * self.zoom)
                if chunk and looked > BATCH_PIXELS:
                    break
                chunk.append(item)
            batch *= 2
            crops = segment_windows(
                self.model, [self.scene.read(b) for _, b in chunk], self.prompt, self.zoom
            )
            for (g, box), crop_maps in zip(chunk, crops, strict=True):
                if g not in stitched:
                    group = clusters[g]
                    union = PixelBox(
                        min(b.x0 for b in group),
                        min(b.y0 for b in group),
                        max(b.x1 for b in group),
                        max(b.y1 for b in group),
                    )
                    shape = (union.height, union.width)
                    maps = PixelMaps.empty(shape, self.model.has_centres)
                    stitched[g] = (union, maps, np.zeros(shape, bool))
                union, maps, covered = stitched[g]
                rows = slice(box.y0 - union.y0, box.y1 - union.y0)
                cols = slice(box.x0 - union.x0, box.x1 - union.x0)
                maps.merge(rows, cols, crop_maps)
                covered[rows, cols] = True
                self.native_px += box.area
                done_ids.add(rank[id(box)])
                self.windows.append(windows[rank[id(box)]])
                if self.progress is not None:
                    self.progress.read(len(self.windows), windows[rank[id(box)]][0], box)
            done += len(chunk)
            for g in [g for g in stitched if all(rank[id(b)] in done_ids for b in clusters[g])]:
                new += self._close(*stitched.pop(g))
        for g in list(stitched):  # the time budget stopped inside these: what was read counts
            new += self._close(*stitched.pop(g))
        return self.keep_once(new)

    def _close(
        self, union: PixelBox, maps: PixelMaps, covered: NDArray[np.bool_]
    ) -> list[FoundInstance]:
        self.searched_px += int(covered.sum())
        out = []
        for inst in maps.instances(
            min_pixels=self.min_px, with_masks=True, seed_threshold=self.seeds
        ):
            if inst.score < self.min_score or inst.mask is None:
                continue
            c0, r0, c1, r1 = inst.box
            box = PixelBox(union.x0 + c0, union.y0 + r0, union.x0 + c1, union.y0 + r1)
            out.append(FoundInstance(SceneMask(inst.mask, box), inst.score, "native"))
        return out

    def keep_once(self, new: list[FoundInstance]) -> list[FoundInstance]:
        """Add ``new`` to what was found, each object once; return those of ``new`` kept.

        Of two outlines of one object (:func:`_same_object`) the larger is kept.
        """
        kept = []
        for f in new:
            twins = [o for o in self.found if _same_object(o.box, f.box)]
            if twins and not all(f.mask.pixel_count > o.mask.pixel_count for o in twins):
                continue
            self.found = [o for o in self.found if not any(o is t for t in twins)]
            kept.append(f)
        self.found += kept
        return kept


def _same_object(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Two XYXY boxes are one object seen twice: they share half of the smaller box."""
    ix = min(a[2], b[2]) - max(a[0], b[0])
    iy = min(a[3], b[3]) - max(a[1], b[1])
    if ix <= 0 or iy <= 0:
        return False
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return ix * iy >= 0.5 * smaller


class ReadMap:
    """Which scene pixels of a region were read at native resolution, in 8-px cells."""

    CELL = 8

    def __init__(self, region: PixelBox) -> None:
        self.region = region
        rows, cols = -(-region.height // self.CELL), -(-region.width // self.CELL)
        self.cells = np.zeros((max(1, rows), max(1, cols)), bool)

    def _slices(self, box: PixelBox) -> tuple[slice, slice]:
        c, r = self.region.x0, self.region.y0
        return (
            slice(max(0, (box.y0 - r) // self.CELL), max(0, -(-(box.y1 - r) // self.CELL))),
            slice(max(0, (box.x0 - c) // self.CELL), max(0, -(-(box.x1 - c) // self.CELL))),
        )

    def mark(self, box: PixelBox) -> None:
        """``box`` was read."""
        self.cells[self._slices(box)] = True

    def share(self, box: PixelBox) -> float:
        """How much of ``box`` was read (0 to 1)."""
        part = self.cells[self._slices(box)]
        return float(part.mean()) if part.size else 1.0


def blocks_next_to(
    finds: list[XYXY],
    region: PixelBox,
    block: int,
    need: int,
    read: ReadMap,
    reach: float,
) -> list[PixelBox]:
    """The unread ``block``-px squares of ``region``'s grid near at least ``need`` finds.

    Near: the square meets the find's box (XYXY) grown on every side by ``reach`` times its
    longer side. A square more than half read already is left out. Most finds near first.
    """
    votes: dict[tuple[int, int], int] = {}
    for x0, y0, x1, y1 in finds:
        grow = reach * max(x1 - x0, y1 - y0)
        cols = range(
            int((x0 - grow - region.x0) // block), int((x1 + grow - region.x0) // block) + 1
        )
        rows = range(
            int((y0 - grow - region.y0) // block), int((y1 + grow - region.y0) // block) + 1
        )
        for row in rows:
            for col in cols:
                votes[(row, col)] = votes.get((row, col), 0) + 1
    out = []
    for (row, col), n in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0])):
        x, y = region.x0 + col * block, region.y0 + row * block
        if n < need or row < 0 or col < 0 or x >= region.x1 or y >= region.y1:
            continue
        square = PixelBox(x, y, min(region.x1, x + block), min(region.y1, y + block))
        if read.share(square) <= 0.5:
            out.append(square)
    return out


def _follow_finds(
    reader: _Reader,
    region: PixelBox,
    looking: AutoSearch,
    counts: Callable[[FoundInstance], bool],
    heat: HeatMap | None,
    decision: str,
) -> tuple[int, int]:
    """Read the blocks near what was found, and near what they find (:class:`AutoSearch`).

    ``counts``: which finds count (those the answer would report: a candidate refused for its
    size or shape is no evidence of a group). Stops when a round finds nothing new, or when
    these reads reach twice ``looking.blocks.max_fraction`` of ``region``. Returns the blocks
    chosen and the windows they were read as (neighbours merged, :func:`merged_windows`).
    """
    blocks = looking.blocks
    read = ReadMap(region)
    for _, box in reader.windows:
        read.mark(box)
    cap = reader.native_px + 2 * blocks.max_fraction * region.area
    frontier = [f.box for f in reader.found if counts(f)]
    followed = windows = 0
    while frontier and not reader.out_of_time:
        chosen: list[tuple[ScoredWindow | None, PixelBox]] = []
        spent = reader.native_px
        near = blocks_next_to(frontier, region, blocks.block, looking.follow, read, looking.reach)
        for square in near:
            window = square.padded(blocks.margin, region)
            if spent + window.area > cap:
                break
            chosen.append((None, window))
            spent += window.area
            read.mark(square)
        if not chosen:
            break
        blocks_chosen = len(chosen)
        chosen = merged_windows(chosen, _one_look_side(reader.zoom))
        if reader.progress is not None:
            planned = len(reader.windows) + len(chosen)
            reader.progress.planned(heat, f"{decision}; following what was found", planned)
        followed += blocks_chosen
        windows += len(chosen)
        frontier = [f.box for f in reader.read(chosen) if counts(f)]
    return followed, windows


def segment_windows(
    model: NanoModel, images: list[NDArray[np.uint8]], prompt: str, zoom: float
) -> list[PixelMaps]:
    """:func:`magnified_segment` of each image, the ones that fit one look in one batch.

    Per pass, a small window costs the model ~7 ms on CPU whatever its size (a 128² window
    11 ms, a 640² tile 95 ms): the search's many small windows go through it together
    (:meth:`NanoModel.segment_many`); a window larger than one look is tiled as before.
    """
    out: list[PixelMaps | None] = [None] * len(images)
    batch: list[int] = []
    tile = _one_look_side(zoom)
    for i, image in enumerate(images):
        if max(image.shape[:2]) > tile:
            out[i] = magnified_segment(model, image, prompt, zoom)
        else:
            batch.append(i)
    looked = [_magnified(images[i], zoom) for i in batch]
    for i, maps in zip(batch, model.segment_many(looked, prompt), strict=True):
        out[i] = _at_size(maps, images[i].shape, zoom)
    return [m for m in out if m is not None]


def _magnified(image: NDArray[np.uint8], zoom: float) -> NDArray[np.uint8]:
    """``image`` resized ``zoom`` times (bilinear); itself at 1."""
    if zoom == 1.0:
        return image
    h, w = image.shape[:2]
    big = Image.fromarray(image).resize(
        (max(1, round(w * zoom)), max(1, round(h * zoom))), Image.Resampling.BILINEAR
    )
    return np.array(big)


def _at_size(maps: PixelMaps, shape: tuple[int, ...], zoom: float) -> PixelMaps:
    """The maps of a :func:`_magnified` image back in the image's own ``shape``.

    Probabilities are averaged down (box) or interpolated up; a centre map shrinks by its
    maximum, so a peak one magnified pixel wide is not averaged away.
    """
    if zoom == 1.0:
        return maps
    back = Image.fromarray(maps.probs.astype(np.float32), mode="F").resize(
        (shape[1], shape[0]), Image.Resampling.BOX if zoom > 1 else Image.Resampling.BILINEAR
    )
    probs = np.asarray(back, dtype=np.float32)
    if maps.centres is None:
        return PixelMaps(probs)
    return PixelMaps(probs, _resized_peaks(maps.centres, (shape[0], shape[1])))


def _resized_peaks(values: NDArray[np.float32], shape: tuple[int, int]) -> NDArray[np.float32]:
    """``values`` resized to ``shape``: each pixel the maximum of the pixels it covers.

    Growing, each pixel takes its nearest source pixel.
    """
    out = values
    for axis, size in enumerate(shape):
        n = out.shape[axis]
        if size < n:  # bins [floor(i n / size), floor((i + 1) n / size)): the max of each
            out = np.maximum.reduceat(out, (np.arange(size) * n) // size, axis=axis)
        elif size > n:
            out = np.take(out, np.minimum((np.arange(size) * n) // size, n - 1), axis=axis)
    return np.ascontiguousarray(out, dtype=np.float32)


def magnified_segment(
    model: NanoModel,
    image: NDArray[np.uint8],
    prompt: str,
    zoom: float,
    max_side: int = MAX_LOOK_SIDE,
) -> PixelMaps:
    """The model's maps of ``image`` in its own pixels, looked at ``zoom`` times its size.

    A look longer than ``max_side`` (after magnifying) is made of overlapping tiles whose
    maps are merged by their maximum, as the search merges overlapping windows: memory is
    bounded by ``max_side``, never by the window.
    """
    h, w = image.shape[:2]
    tile = max(TOKEN_STRIDE, int(max_side / zoom))
    if max(h, w) > tile:
        step = max(TOKEN_STRIDE, tile - int(LOOK_OVERLAP / zoom))
        maps = PixelMaps.empty((h, w), model.has_centres)
        for y in _starts(h, tile, step):
            for x in _starts(w, tile, step):
                part = magnified_segment(model, image[y : y + tile, x : x + tile], prompt, zoom)
                maps.merge(slice(y, y + tile), slice(x, x + tile), part)
        return maps
    return _at_size(model.maps(_magnified(image, zoom), prompt), image.shape, zoom)


def _starts(length: int, tile: int, step: int) -> list[int]:
    """Tile origins along one axis: every ``step``, the last flush with the end."""
    if length <= tile:
        return [0]
    starts = list(range(0, length - tile, step))
    return [*starts, length - tile]


def _judged(
    mask: SceneMask, target: ObjectClass, gsd_m: float, outline: OutlineScale
) -> tuple[bool, bool]:
    """``(possible, shaped)``: the size and shape rules on a final (grown) outline.

    The size rule refuses only what no measured growth makes possible; the shape rule what is
    more elongated than the class's true outlines were measured (``OutlineScale.elongation``;
    none for most classes).
    """
    b = mask.box
    possible = target.plausible((b.x0, b.y0, b.x1, b.y1), gsd_m, outline.spread)
    return possible, outline.elongation is None or elongation(mask.mask) <= outline.elongation


def _reportable(
    core: SceneMask, target: ObjectClass, gsd_m: float, outline: OutlineScale, size: tuple[int, int]
) -> bool:
    """Whether the answer would report what the model outlined as ``core`` (grown, judged)."""
    grown = _grow(core, outline.grow, size) if outline.grow != 1.0 else core
    return all(_judged(grown, target, gsd_m, outline))


def _grow(mask: SceneMask, factor: float, size: tuple[int, int]) -> SceneMask:
    """``mask`` scaled by ``factor`` about its box centre (nearest), clipped to ``size``."""
    b = mask.box
    new_w, new_h = max(1, round(b.width * factor)), max(1, round(b.height * factor))
    x0 = round((b.x0 + b.x1) / 2 - new_w / 2)
    y0 = round((b.y0 + b.y1) / 2 - new_h / 2)
    grown = np.asarray(
        Image.fromarray(mask.mask).resize((new_w, new_h), Image.Resampling.NEAREST), dtype=bool
    )
    cx0, cy0 = max(0, -x0), max(0, -y0)
    cx1, cy1 = min(new_w, size[0] - x0), min(new_h, size[1] - y0)
    box = PixelBox(x0 + cx0, y0 + cy0, x0 + cx1, y0 + cy1)
    return SceneMask(np.ascontiguousarray(grown[cy0:cy1, cx0:cx1]), box)


def _tight(mask: SceneMask) -> SceneMask | None:
    """``mask`` cropped to its set pixels (``None`` when empty)."""
    rows = np.flatnonzero(mask.mask.any(1))
    cols = np.flatnonzero(mask.mask.any(0))
    if rows.size == 0:
        return None
    r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    b = mask.box
    return SceneMask(mask.mask[r0:r1, c0:c1], PixelBox(b.x0 + c0, b.y0 + r0, b.x0 + c1, b.y0 + r1))
