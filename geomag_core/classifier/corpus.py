"""The labelled query corpus: TSV files of ``label<TAB>prompt`` kept in the package.

Lines starting with ``#`` are comments (each file opens with the labelling rule); blank lines are
skipped. ``train.tsv`` is written by hand, ``train_generated.tsv`` by
:mod:`geomag_core.classifier.templates` (seeded), and ``test.tsv`` is a separately hand-written
held-out split that training never reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from geomag_core.errors import CorpusError
from geomag_core.granularity import Granularity

__all__ = [
    "DATA_DIR",
    "LABELLING_RULE",
    "TEST_FILE",
    "TRAIN_FILES",
    "LabelledQuery",
    "read_corpus",
    "write_corpus",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
#: The training corpus: the hand-written file and the seeded, generated one.
TRAIN_FILES: tuple[Path, ...] = (DATA_DIR / "train.tsv", DATA_DIR / "train_generated.tsv")
#: The held-out split (never used for training).
TEST_FILE = DATA_DIR / "test.tsv"

#: The header every corpus file carries (docs/architecture.md, mechanism 1).
LABELLING_RULE = """\
Labelling rule: the label is the spatial precision the ANSWER needs.
  image  - about the whole scene: scene class, caption, overall land use, scene-level yes/no
           (is there any X, is this urban, was it taken in winter).
  region - localised objects or areas as boxes/points (where is, locate, detect, ground),
           counts of objects, attributes of a located object, region captions.
  pixel  - masks, outlines, footprints, extents, areas or shares measured from shapes,
           "describe and segment" (grounded conversation).
Format: one query per line, label<TAB>prompt. Lines starting with # are comments."""


@dataclass(frozen=True)
class LabelledQuery:
    """One corpus line."""

    granularity: Granularity
    """The label."""
    text: str
    """The analyst's query, verbatim."""
    source: str
    """Where it came from, ``file:line``."""


def read_corpus(paths: Path | Iterable[Path]) -> list[LabelledQuery]:
    """Read one or more labelled TSV files, in order.

    Raises:
        CorpusError: a file is missing, a line has no tab, or a label is not image/region/pixel.

    """
    files = [paths] if isinstance(paths, Path) else list(paths)
    queries: list[LabelledQuery] = []
    valid = ", ".join(g.value for g in Granularity)
    for path in files:
        if not path.is_file():
            raise CorpusError(f"corpus file {str(path)!r} not found")
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            where = f"{path}:{number}"
            label, sep, text = raw.partition("\t")
            if not sep or not text.strip():
                raise CorpusError(f"{where}: expected 'label<TAB>prompt', got {raw!r}")
            try:
                granularity = Granularity(label.strip().lower())
            except ValueError:
                raise CorpusError(
                    f"{where}: label {label.strip()!r} is not one of {valid}"
                ) from None
            queries.append(LabelledQuery(granularity, text.strip(), where))
    if not queries:
        raise CorpusError(f"no labelled queries in {', '.join(map(str, files))}")
    return queries


def write_corpus(
    path: Path, rows: Sequence[tuple[Granularity, str]], *, header: str = LABELLING_RULE
) -> None:
    """Write ``rows`` as ``label<TAB>prompt`` under ``header`` (as ``#`` comments)."""
    lines = [f"# {h}".rstrip() for h in header.splitlines()]
    for granularity, text in rows:
        if "\t" in text or "\n" in text:
            raise CorpusError(f"query {text!r} contains a tab or newline")
        lines.append(f"{granularity.value}\t{text}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
