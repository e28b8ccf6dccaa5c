"""Seeded generator of the templated part of the training corpus (``data/train_generated.tsv``).

Hand-written phrase pieces (templates per granularity, remote-sensing object classes, places,
politeness, context sentences) are combined at random with a fixed seed; some outputs get a typo
or lose their capitals and punctuation, as typed queries do. Queries already in the hand-written
training file or in the held-out split are dropped, so the held-out split stays unseen.

Regenerate with ``python -m geomag_core.classifier.templates [--seed N] [--per-class N]``.
"""

from __future__ import annotations

import argparse
import random
import re
from collections.abc import Sequence
from pathlib import Path

from geomag_core.classifier.corpus import (
    DATA_DIR,
    LABELLING_RULE,
    TEST_FILE,
    read_corpus,
    write_corpus,
)
from geomag_core.granularity import Granularity

__all__ = ["GENERATED_FILE", "generate", "main", "normalise"]

GENERATED_FILE = DATA_DIR / "train_generated.tsv"

#: (singular, plural) object classes common in remote sensing.
OBJECTS: tuple[tuple[str, str], ...] = (
    ("airplane", "airplanes"),
    ("aircraft", "aircraft"),
    ("jet", "jets"),
    ("ship", "ships"),
    ("boat", "boats"),
    ("vessel", "vessels"),
    ("car", "cars"),
    ("vehicle", "vehicles"),
    ("truck", "trucks"),
    ("bus", "buses"),
    ("storage tank", "storage tanks"),
    ("oil tank", "oil tanks"),
    ("building", "buildings"),
    ("house", "houses"),
    ("warehouse", "warehouses"),
    ("factory", "factories"),
    ("road", "roads"),
    ("highway", "highways"),
    ("bridge", "bridges"),
    ("crop field", "crop fields"),
    ("lake", "lakes"),
    ("river", "rivers"),
    ("pond", "ponds"),
    ("forest patch", "forest patches"),
    ("tree", "trees"),
    ("tennis court", "tennis courts"),
    ("basketball court", "basketball courts"),
    ("baseball diamond", "baseball diamonds"),
    ("soccer pitch", "soccer pitches"),
    ("swimming pool", "swimming pools"),
    ("roundabout", "roundabouts"),
    ("runway", "runways"),
    ("helicopter", "helicopters"),
    ("wind turbine", "wind turbines"),
    ("solar panel array", "solar panel arrays"),
    ("greenhouse", "greenhouses"),
    ("parking lot", "parking lots"),
    ("stadium", "stadiums"),
    ("dam", "dams"),
    ("container", "containers"),
    ("railway line", "railway lines"),
    ("chimney", "chimneys"),
    ("silo", "silos"),
    ("pier", "piers"),
    ("hangar", "hangars"),
)
#: Where an object may be.
PLACES: tuple[str, ...] = (
    "near the river",
    "in the top left corner",
    "at the bottom of the image",
    "next to the warehouse",
    "on the left side",
    "in the middle of the scene",
    "by the dock",
    "close to the runway",
    "along the main road",
    "at the intersection",
    "on the right",
    "north of the lake",
    "behind the school",
    "in the upper half",
    "beside the parking lot",
)
#: Scene classes for image-level questions.
SCENES: tuple[str, ...] = (
    "airport",
    "harbour",
    "residential area",
    "industrial zone",
    "farmland",
    "forest",
    "desert",
    "beach",
    "river valley",
    "lake shore",
    "city centre",
    "parking lot",
    "stadium",
    "golf course",
    "railway station",
    "mountain area",
    "meadow",
    "wetland",
    "suburb",
    "commercial district",
    "dense residential area",
    "sparse residential area",
    "bare land",
    "tank farm",
    "park",
    "freeway",
    "school campus",
    "construction site",
    "orchard",
    "snowfield",
)
COVERS = ("vegetated", "built up", "water", "bare soil", "cropland", "forested", "paved")

REGION_IMPERATIVE = (
    "locate the {objs}",
    "find every {obj}",
    "detect all the {objs}",
    "draw bounding boxes around the {objs}",
    "give me a box for each {obj}",
    "count the {objs}",
    "count the {objs} {place}",
    "describe the {obj} {place}",
    "point to the {obj} {place}",
    "give the coordinates of the {obj} {place}",
    "caption the region containing the {obj} {place}",
    "ground the phrase 'the {obj} {place}'",
    "return the bbox of the {obj} {place}",
    "mark each {obj} with a point",
    "list the positions of the {objs}",
    "find the {obj} {place}",
    "detect the {objs} and report their boxes",
    "tell me how many {objs} there are",
    "describe the area {place}",
    "identify the {obj} {place}",
)
REGION_QUESTION = (
    "where is the {obj}?",
    "where are the {objs}?",
    "where are the {objs} {place}?",
    "how many {objs} are there?",
    "how many {objs} are {place}?",
    "how many {objs} can you count?",
    "what is the number of {objs} in this image?",
    "what colour is the {obj} {place}?",
    "what color is the roof of the {obj} {place}?",
    "which {obj} is the largest?",
    "which {obj} is closest to the {obj2}?",
    "what is the {obj} {place} used for?",
    "is the {obj} {place} bigger than the {obj2} next to it?",
    "what kind of {obj} is {place}?",
    "what is the object {place}?",
    "in which part of the image is the {obj}?",
    "what is next to the {obj} {place}?",
    "is the {obj} {place} damaged?",
)
PIXEL_IMPERATIVE = (
    "segment the {objs}",
    "segment the {obj} {place}",
    "give me a mask of the {obj} {place}",
    "outline the {objs}",
    "draw the outline of every {obj}",
    "trace the boundary of the {obj} {place}",
    "extract the footprint of the {obj} {place}",
    "extract the footprints of the {objs}",
    "compute the total area of the {objs} in square meters",
    "delineate the extent of the {objs}",
    "produce polygons for the {objs}",
    "create a pixel-wise mask of the {objs}",
    "describe the image and segment the {objs}",
    "describe the scene, then segment the {objs} you mention",
    "precisely cut out the {obj} {place}",
    "vectorize the {objs} as polygons",
    "mask every {obj}",
    "measure the area of the {obj} {place}",
    "map the extent of the {objs}",
    "generate instance masks for the {objs}",
    "delineate the {obj} {place}",
)
PIXEL_QUESTION = (
    "what is the area of the {obj} {place}?",
    "how many hectares do the {objs} cover?",
    "how many square meters does the {obj} {place} occupy?",
    "what share of the image is covered by {objs}?",
    "what percentage of the scene is {cover}?",
    "which pixels belong to the {objs}?",
    "what is the exact shape of the {obj} {place}?",
    "can you give me the outline of the {obj}?",
    "how large is the {obj} {place}, measured from its outline?",
    "what is the combined footprint of the {objs}?",
    "how much of this image is taken up by {objs}?",
)
IMAGE_IMPERATIVE = (
    "classify the scene",
    "describe the image",
    "caption this image",
    "give a short description of the whole image",
    "give a detailed description of this scene",
    "summarise what this image shows",
    "tell me what kind of scene this is",
    "name the land-use class of this image",
    "label this scene as one of {scene}, {scene2} or {scene3}",
    "write a one-line caption for the picture",
    "describe the overall land use",
    "tell me whether this is a {scene}",
)
IMAGE_QUESTION = (
    "is this a {scene}?",
    "does this image show a {scene}?",
    "is this scene a {scene} or a {scene2}?",
    "what kind of scene is this?",
    "is there any {obj} in this image?",
    "are there {objs} in the scene?",
    "does the picture contain {objs}?",
    "what is the land use of this scene?",
    "would you label this image as {scene}?",
    "which class fits this image best: {scene}, {scene2} or {scene3}?",
    "is the area mostly {cover}?",
    "what does this image show?",
    "is this scene urban or rural?",
    "what is the main land cover here?",
    "can you see any {objs} at all?",
    "does this scene look like a {scene}?",
)
POLITE_PREFIX = (
    "",
    "",
    "",
    "please ",
    "could you ",
    "can you please ",
    "hey, ",
    "I'd like you to ",
    "would you kindly ",
    "quick task: ",
)
QUESTION_PREFIX = ("", "", "", "hey, ", "quick question: ", "tell me, ", "hi! ", "so, ")
SUFFIX = ("", "", "", " please", " thanks", ", thank you!", " for my report", " asap")
CONTEXT = (
    "",
    "",
    "",
    "",
    "This tile comes from yesterday's acquisition. ",
    "We are monitoring this site for a client. ",
    "For the weekly situation report: ",
    "I am new to remote sensing, sorry if this is basic. ",
    "Looking at the 30 cm imagery from the last pass, ",
    "Context: this is an orthophoto of a coastal town. ",
)

TEMPLATES: dict[Granularity, tuple[tuple[str, ...], tuple[str, ...]]] = {
    Granularity.IMAGE: (IMAGE_IMPERATIVE, IMAGE_QUESTION),
    Granularity.REGION: (REGION_IMPERATIVE, REGION_QUESTION),
    Granularity.PIXEL: (PIXEL_IMPERATIVE, PIXEL_QUESTION),
}


def normalise(text: str) -> str:
    """Lower case, letters and digits only: the key used to spot duplicates."""
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _typo(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) > 3 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w = words[i]
    j = rng.randrange(len(w) - 1)
    kind = rng.random()
    if kind < 0.4:  # swap two letters
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    elif kind < 0.7:  # drop a letter
        w = w[:j] + w[j + 1 :]
    else:  # double a letter
        w = w[:j] + w[j] + w[j:]
    words[i] = w
    return " ".join(words)


def _one(rng: random.Random, granularity: Granularity) -> str:
    imperative, question = TEMPLATES[granularity]
    is_question = rng.random() < 0.5
    template = rng.choice(question if is_question else imperative)
    (obj, objs), (obj2, _) = rng.sample(OBJECTS, 2)
    scene, scene2, scene3 = rng.sample(SCENES, 3)
    body = template.format(
        obj=obj,
        objs=objs,
        obj2=obj2,
        place=rng.choice(PLACES),
        scene=scene,
        scene2=scene2,
        scene3=scene3,
        cover=rng.choice(COVERS),
    )
    if is_question:
        text = rng.choice(QUESTION_PREFIX) + body
    else:
        text = rng.choice(POLITE_PREFIX) + body + rng.choice(SUFFIX)
        if text.startswith(("could", "can", "would")):
            text += "?"
        elif not text.endswith("!") and rng.random() < 0.5:
            text += "."
    text = rng.choice(CONTEXT) + text
    if rng.random() < 0.15:
        text = _typo(rng, text)
    # Typed queries: capitalised and punctuated, or all lower case with no final mark.
    text = text[0].upper() + text[1:] if rng.random() < 0.6 else text.rstrip("?.!")
    return re.sub(r"\s+", " ", text).strip()


def generate(
    seed: int = 0, per_class: int = 170, exclude: Sequence[str] = ()
) -> list[tuple[Granularity, str]]:
    """``per_class`` distinct queries per granularity, none equal to one in ``exclude``."""
    rng = random.Random(seed)
    seen = {normalise(t) for t in exclude}
    rows: list[tuple[Granularity, str]] = []
    for granularity in Granularity:
        made = 0
        for _ in range(per_class * 50):
            if made == per_class:
                break
            text = _one(rng, granularity)
            key = normalise(text)
            if key in seen:
                continue
            seen.add(key)
            rows.append((granularity, text))
            made += 1
    return rows


def main(argv: Sequence[str] | None = None) -> Path:
    """Write ``data/train_generated.tsv`` (command-line entry point)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--per-class", type=int, default=170)
    parser.add_argument("--out", type=Path, default=GENERATED_FILE)
    args = parser.parse_args(argv)
    known = [q.text for q in read_corpus([DATA_DIR / "train.tsv", TEST_FILE])]
    rows = generate(args.seed, args.per_class, exclude=known)
    header = (
        f"{LABELLING_RULE}\n\nGENERATED by 'python -m geomag_core.classifier.templates "
        f"--seed {args.seed} --per-class {args.per_class}': do not edit by hand."
    )
    write_corpus(args.out, rows, header=header)
    return Path(args.out)


if __name__ == "__main__":
    print(main())
