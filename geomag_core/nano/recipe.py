"""The recipe of ``geomag train nano``: crops, scales and how they are learned.

Plain dataclasses, so the CLI shows these defaults without loading torch.
"""

from __future__ import annotations

from dataclasses import dataclass

from geomag_core.nano.classes import class_named

__all__ = ["DEFAULT_MIX", "DatasetMix", "NanoTrainConfig"]


@dataclass(frozen=True)
class DatasetMix:
    """How many crops one data set gives, and at which scales (scale: crop px per scene px).

    Attributes:
        dataset: key of :data:`~geomag_core.nano.datasets.DATASETS`.
        crops: cached crops drawn from its training split.
        scales: ``(scale, weight)`` pairs; 1 = native resolution.

    """

    dataset: str
    crops: int
    scales: tuple[tuple[float, float], ...]


#: Aircraft as before (40 % native, the rest as a 2560-px airport looks at 1024 px or smaller);
#: tanks mostly native and the rest as in the 1,024-px overview (~8 px: only tank farms show);
#: cars native and as a 1,764-px KIT frame looks at 1024 px; NAIP native. (Magnified tank crops
#: with core targets did better on tanks but made the car class collapse: see the README.)
DEFAULT_MIX: tuple[DatasetMix, ...] = (
    DatasetMix("aircraft", 2000, ((1.0, 0.4), (0.4, 0.35), (0.3, 0.25))),
    DatasetMix("oil-storage", 2000, ((1.0, 0.6), (0.4, 0.4))),
    DatasetMix("cars", 1500, ((1.0, 0.6), (0.6, 0.4))),
    DatasetMix("naip", 500, ((1.0, 1.0),)),
)


@dataclass(frozen=True)
class NanoTrainConfig:
    """Hyper-parameters of ``geomag train nano``.

    Attributes:
        mix: crops and scales per data set.
        crop: crop side (pixels the model sees).
        steps: optimiser steps; ``batch_size`` samples each.
        lr: peak learning rate (one-cycle).
        other_class_fraction: samples asking for another nano class (empty target).
        absent_fraction: samples asking for a class nano never learns (empty target).
        attention_weight: weight of the attention-to-target loss.
        target_shrink: targets are the inscribed ellipses shrunk by this factor (cores), so
            neighbours (parked cars, tanks in a farm) stay apart; the search grows them back.
        whole_classes: classes whose targets stay whole ellipses whatever ``target_shrink``
            (their cores would be too small for the stride-4 decoder to learn).
        magnify: native-resolution crops of a class with a ``zoom``
            (:class:`~geomag_core.nano.classes.ObjectClass`) are seen magnified by it, as the
            search then magnifies its windows (recorded in the weights' metadata).
        zoom: with ``magnify``, ``(class, factor)`` pairs that replace a class's own ``zoom``
            (e.g. ``(("car", 2.0),)``: cars magnified too); recorded in the weights, which the
            search then reads each class at.
        zoom_negatives: with ``magnify``, each other data set adds this share of its crop count
            as crops seen at a magnified class's zoom, asked only for that class (empty
            targets), so tanks are not found on airports looked at ×2.
        grad_clip: each step's gradient norm is clipped to this (``None``, the shipped
            recipe: not clipped; a four-class run diverged without it, see the README).
        tune_backbone: also train the backbone's blocks from
            :data:`~geomag_core.nano.backbone.TUNED_FROM` on (the cache then holds the frozen
            stem's output; each step runs the rest; ~5× slower), at ``backbone_lr`` × ``lr``;
            the tuned backbone is saved in the weights beside the head.
        backbone_lr: the tuned blocks' learning rate as a share of ``lr``.
        head_first: with ``tune_backbone``, the share of the steps the head trains alone on the
            frozen backbone before the blocks join it (tuned together from the first step, a
            run's masks came out the same whatever was asked: see the README).
        small_weight: a target object's pixels weigh up to this many times more in the mask
            BCE the smaller it is (``sqrt(SMALL_OBJECT_AREA / area)`` bounded to
            ``[1, small_weight]``, :func:`~geomag_core.nano.training.small_object_weights`);
            1: every pixel once.
        finest_stride: the decoder's finest level, 4 or 2 (2: the backbone's stride-2 stem is
            a fourth pyramid level, see :class:`~geomag_core.nano.model.NanoHead`).
        centre_weight: above 0, the head also learns where each target object's centre is
            (:func:`~geomag_core.nano.training.centre_loss`), with this weight in the loss;
            0: no centre head (the shipped recipe).
        seed: seed of crops, prompts and initialisation.
        feedback_weight: with analyst feedback (``geomag train nano --feedback``), each scene
            with verdicts gives this many times the crops a training scene of its class gives
            (1: as many).
        feedback_negative_crops: crops centred on each rejected result (asked for its class;
            target: only the accepted objects in the crop).

    """

    mix: tuple[DatasetMix, ...] = DEFAULT_MIX
    crop: int = 256
    steps: int = 4000
    batch_size: int = 8
    lr: float = 1e-3
    other_class_fraction: float = 0.25
    absent_fraction: float = 0.1
    attention_weight: float = 1.0
    target_shrink: float = 1.0
    whole_classes: tuple[str, ...] = ()
    magnify: bool = False
    zoom: tuple[tuple[str, float], ...] = ()
    zoom_negatives: float = 0.0
    grad_clip: float | None = None
    tune_backbone: bool = False
    backbone_lr: float = 0.1
    head_first: float = 0.5
    small_weight: float = 1.0
    finest_stride: int = 4
    centre_weight: float = 0.0
    seed: int = 0
    feedback_weight: float = 1.0
    feedback_negative_crops: int = 4

    def zoom_of(self, name: str | None) -> float:
        """How much native crops of class ``name`` are magnified (1.0 without ``magnify``)."""
        if not self.magnify or name is None:
            return 1.0
        return dict(self.zoom).get(name, class_named(name).zoom)

    @property
    def crops(self) -> int:
        """Cached crops over all data sets."""
        return sum(m.crops for m in self.mix)
