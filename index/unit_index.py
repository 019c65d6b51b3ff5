"""The answer units of every passage, with their vectors, kept in the build.

An answer quotes units of its best passages (index.units: a sentence with its verb,
a short recommendation whole). Embedding them when a question comes cost most of an
answer's time on long passages (about 0.6 s a question on PIAF), so each unit is
embedded at ingest, as its passage is (the model reads it with its section,
index.text.with_context), and an answer only takes inner products with the question.

    unit_vectors.npy   float16, one row per unit, passage by passage (float16 halves
                       the disk; the cosines move by less than 0.001)
    unit_spans.npy     int32 (start, end, sentences) of each unit: its place in its
                       passage's text and how many sentences it joins
    unit_offsets.npy   int64, one more than the passages: the units of passage row r
                       are rows offsets[r]:offsets[r + 1]

A unit that is its whole passage (most recommendations) takes the passage's vector.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from index.text import with_context
from index.units import Unit, units

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np

    from index.records import Passage

VECTORS = "unit_vectors.npy"
SPANS = "unit_spans.npy"
OFFSETS = "unit_offsets.npy"
VERSION = 1  # of index.units' cutting, recorded in the manifest


@dataclass(frozen=True)
class Cut:
    """The units of a list of passages, before their vectors are known."""

    offsets: np.ndarray  # int64, len(passages) + 1
    spans: np.ndarray  # int32, (units, 3): start, end, sentences
    texts: list[str | None]  # what the model reads for each unit; None: the passage's vector
    owners: np.ndarray  # int64, each unit's passage row


def cut(passages: Sequence[Passage]) -> Cut:
    """Every passage's units, in passage order.

    >>> from index.records import Passage
    >>> p = Passage("x", "a.txt", "Doc", "Finance", None, 0, 16, "Créer des fonds.")
    >>> c = cut([p])
    >>> c.offsets.tolist(), c.spans.tolist(), c.texts
    ([0, 1], [[0, 16, 1]], [None])
    """
    import numpy as np

    offsets = np.zeros(len(passages) + 1, dtype=np.int64)
    spans: list[tuple[int, int, int]] = []
    texts: list[str | None] = []
    owners: list[int] = []
    for row, passage in enumerate(passages):
        for unit in units(passage.text):
            spans.append((unit.start, unit.end, unit.sentences))
            whole = unit.start == 0 and unit.end == len(passage.text)
            texts.append(None if whole else with_context(passage.section, unit.text))
            owners.append(row)
        offsets[row + 1] = len(spans)
    return Cut(offsets, np.array(spans, dtype=np.int32).reshape(-1, 3), texts,
               np.array(owners, dtype=np.int64))


def save(folder: Path, vectors: np.ndarray, spans: np.ndarray, offsets: np.ndarray) -> None:
    import numpy as np

    np.save(folder / VECTORS, vectors.astype(np.float16), allow_pickle=False)
    np.save(folder / SPANS, spans.astype(np.int32), allow_pickle=False)
    np.save(folder / OFFSETS, offsets.astype(np.int64), allow_pickle=False)


class UnitIndex:
    """The units of a loaded build (arrays mapped from disk: a question reads the rows of
    its five best passages)."""

    def __init__(self, vectors: np.ndarray, spans: np.ndarray, offsets: np.ndarray) -> None:
        self.vectors, self.spans, self.offsets = vectors, spans, offsets

    @classmethod
    def load(cls, folder: Path) -> UnitIndex:
        """OSError or ValueError when a part is missing or damaged."""
        import numpy as np

        parts = [np.load(folder / name, mmap_mode="r", allow_pickle=False)
                 for name in (VECTORS, SPANS, OFFSETS)]
        index = cls(*parts)
        vectors, spans, offsets = parts
        if (vectors.ndim != 2 or spans.shape != (len(vectors), 3) or offsets.ndim != 1
                or int(offsets[-1]) != len(vectors)):
            raise ValueError("the unit arrays disagree")
        return index

    @property
    def passages(self) -> int:
        return len(self.offsets) - 1

    def of(self, row: int, text: str) -> list[Unit]:
        """The units of the passage at `row`, whose text is `text`."""
        first, last = int(self.offsets[row]), int(self.offsets[row + 1])
        return [Unit(int(a), int(b), text[a:b], int(n)) for a, b, n in self.spans[first:last]]

    def cosines(self, row: int, query: np.ndarray) -> np.ndarray:
        """The cosine of each unit of the passage at `row` with the query vector."""
        import numpy as np

        first, last = int(self.offsets[row]), int(self.offsets[row + 1])
        return np.asarray(self.vectors[first:last], dtype=np.float32) @ query
