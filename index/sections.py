"""Section evidence: how close a question is to the whole section a passage belongs to.

A recommendation is short, and a paraphrase of it can miss its words and its meaning
both (« financer les coopératives » against « Adopter un cadre juridique… » under « ESS
et un système financier… »), while the section as a whole is plainly about the
question. So the hybrid search (index.search, index.fusion) adds, to each candidate's
fused score, FusionConfig.section_weight times its section's evidence: the question's
mean cosine with the section's passages, min-max normalised over the candidates that
have a section. A passage outside any section (a document's untitled text) gets none.

The mean cosine is the question's inner product with the mean of the section's passage
vectors, so the build keeps one such centroid per section (`sections.npy`, not
normalised) and each passage's section number (`section_of.npy`, -1 for none): a
query costs one product with the centroids.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from index.records import Passage

CENTROIDS = "sections.npy"
MEMBERS = "section_of.npy"


def build(passages: list[Passage], vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the sections' mean vectors, each passage's section number or -1).

    >>> import numpy as np
    >>> from index.records import Passage
    >>> p = [Passage(str(i), "a.txt", "A", s, None, 0, 1, "t") for i, s in enumerate("xx ")]
    >>> centroids, members = build(p, np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]))
    >>> centroids.tolist(), members.tolist()
    ([[0.5, 0.5]], [0, 0, -1])
    """
    import numpy as np

    numbers: dict[tuple[str, str], int] = {}
    members = np.full(len(passages), -1, dtype=np.int32)
    for row, passage in enumerate(passages):
        if passage.section.strip():
            members[row] = numbers.setdefault((passage.source, passage.section), len(numbers))
    centroids = np.zeros((len(numbers), vectors.shape[1] if vectors.ndim == 2 else 0),
                         dtype=np.float32)
    if len(numbers):
        np.add.at(centroids, members[members >= 0], vectors[members >= 0])
        centroids /= np.bincount(members[members >= 0], minlength=len(numbers))[:, None]
    return centroids, members


def evidence(centroids: np.ndarray, members: np.ndarray, query: np.ndarray,
             rows: np.ndarray) -> np.ndarray:
    """The candidates' section evidence in [0, 1] (0 without a section).

    >>> import numpy as np
    >>> centroids = np.array([[0.9, 0.0], [0.5, 0.0]], dtype=np.float32)
    >>> evidence(centroids, np.array([0, 1, -1]), np.array([1.0, 0.0]), np.array([0, 1, 2]))
    array([1., 0., 0.], dtype=float32)
    """
    import numpy as np

    out = np.zeros(len(rows), dtype=np.float32)
    numbers = members[rows]
    inside = numbers >= 0
    if not inside.any():
        return out
    means = centroids[numbers[inside]] @ query
    low, high = float(means.min()), float(means.max())
    out[inside] = (means - low) / (high - low) if high > low else 0.0
    return out


def save(folder: Path, centroids: np.ndarray, members: np.ndarray) -> None:
    import numpy as np

    np.save(folder / CENTROIDS, centroids.astype(np.float32), allow_pickle=False)
    np.save(folder / MEMBERS, members.astype(np.int32), allow_pickle=False)


def load(folder: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """The build's centroids and section numbers (mapped), or None for a build without."""
    import numpy as np

    if not (folder / CENTROIDS).is_file():
        return None
    return (np.load(folder / CENTROIDS, allow_pickle=False),
            np.load(folder / MEMBERS, mmap_mode="r", allow_pickle=False))
