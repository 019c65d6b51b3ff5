"""Fuse the dense and lexical rankings into one.

A convex combination of normalised scores, not reciprocal rank fusion: on the
development sets RRF (k = 10 to 60) fell below dense search alone on hit@5, while
this was at least as good as the better half on every metric (docs/evaluation.md).

    fused = w · dense' + (1 − w) · coverage · lexical'

- dense' is the cosine min-max normalised over the dense candidates;
- lexical' is the BM25 score divided by the query's best BM25 score;
- coverage is the share of the query's tokens the corpus knows: a question in
  Spanish or English, or full of typos, leans on the dense half instead of letting
  a stray lexical match push the dense results down.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is imported by the searcher; `ess --help` need not load it
    import numpy as np


SECTION_WEIGHT = 0.05


@dataclass(frozen=True)
class FusionConfig:
    dense_weight: float = 0.7
    candidates: int = 100  # taken from each half before fusing
    method: str = "convex-minmax-coverage"
    hub_weight: float = 0.4  # times a passage's hubness, taken from its cosine (index.search)
    section_weight: float = SECTION_WEIGHT  # times its section's evidence (index.sections)

    def to_dict(self) -> dict:
        return {"method": self.method, "dense_weight": self.dense_weight,
                "candidates": self.candidates, "hub_weight": self.hub_weight,
                "section_weight": self.section_weight}

    @classmethod
    def from_dict(cls, row: dict) -> FusionConfig:
        """The settings a build recorded (one made before a setting existed goes without)."""
        return cls(float(row["dense_weight"]), int(row["candidates"]), str(row["method"]),
                   float(row.get("hub_weight", 0.0)), float(row.get("section_weight", 0.0)))


def fuse(dense: dict[int, float], lexical: np.ndarray, coverage: float,
         config: FusionConfig, sections: np.ndarray | None = None) -> list[tuple[int, float]]:
    """Rank the union of candidates by fused score, best first.

    `dense` maps passage rows to cosine similarities (every candidate of either
    half must be in it); `lexical` holds the BM25 score of every passage; `sections`,
    when given, each candidate's section evidence in [0, 1], in `dense`'s order
    (index.sections), weighed by `config.section_weight`.

    >>> import numpy as np
    >>> dense = {0: 0.90, 1: 0.89, 2: 0.88, 3: 0.80}
    >>> fuse(dense, np.array([0.0, 0.0, 5.0, 0.0]), 1.0, FusionConfig())
    [(2, 0.86), (0, 0.7), (1, 0.63), (3, 0.0)]
    >>> fuse(dense, np.array([0.0, 0.0, 5.0, 0.0]), 0.0, FusionConfig())  # a foreign query
    [(0, 0.7), (1, 0.63), (2, 0.56), (3, 0.0)]
    """
    import numpy as np

    rows = list(dense)
    cosines = np.array([dense[r] for r in rows], dtype=np.float32)
    low, high = float(cosines.min()), float(cosines.max())
    dense_norm = (cosines - low) / (high - low) if high > low else np.ones_like(cosines)
    best = float(lexical.max()) if lexical.size else 0.0
    lexical_norm = lexical[rows] / best if best > 0 else np.zeros(len(rows), dtype=np.float32)
    weight = config.dense_weight
    fused = weight * dense_norm + (1 - weight) * coverage * lexical_norm
    if sections is not None:  # scaled back into [0, 1]
        fused = (fused + config.section_weight * sections) / (1 + config.section_weight)
    order = sorted(range(len(rows)), key=lambda i: (-fused[i], -cosines[i]))
    return [(rows[i], round(float(fused[i]), 6)) for i in order]
