"""The dense half's FAISS index: exact search while it is fast enough, then HNSW.

The vectors are L2-normalised, so an inner product is a cosine, in both kinds:

- `flat`: `IndexFlatIP`, exact. One query scans every vector: about 1.3 ms at 10,000
  passages on 2 cores, 14 ms at 100,000, 140 ms at a million (docs/performance.md);
- `hnsw`: `IndexHNSWSQ`, a navigable small-world graph over vectors stored in 16-bit
  floats (half the memory, no measurable loss: with 8-bit storage recall@10 stalled at
  0.95 on PIAF vectors, where 16-bit reached 0.995). Its search depth grows with the
  corpus (`choose`): about 3 ms a query at 100,000 passages, 20 ms at a million.

`ess ingest` picks the kind from the number of passages (`auto`: exact up to
EXACT_LIMIT); `--vectors flat|hnsw` overrides it. The manifest records the kind and
its parameters under "vectors", and loading applies them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # faiss and numpy are imported when an index is built or read
    import numpy as np

KINDS = ("auto", "flat", "hnsw")
EXACT_LIMIT = 20_000  # passages; beyond, a flat scan costs more than 2.5 ms a query


@dataclass(frozen=True)
class VectorSettings:
    """Which FAISS index holds the vectors, with its parameters (recorded in the manifest)."""

    kind: str = "flat"
    m: int = 32  # HNSW: neighbours per node (64 on the bottom layer)
    ef_construction: int = 80  # HNSW: candidates considered while linking a new node
    ef_search: int = 128  # HNSW: candidates kept while searching (at least k)
    storage: str = "fp16"  # HNSW: how the vectors are stored

    def to_dict(self) -> dict:
        if self.kind == "flat":
            return {"kind": "flat"}
        return asdict(self)

    @classmethod
    def from_dict(cls, row: dict | None) -> VectorSettings:
        """The settings of a manifest; an index of format 2 or before was flat."""
        if not row or row.get("kind") == "flat":
            return cls()
        return cls(str(row["kind"]), int(row["m"]), int(row["ef_construction"]),
                   int(row["ef_search"]), str(row["storage"]))


def choose(passages: int, asked: str = "auto") -> VectorSettings:
    """The index kind for a corpus of that many passages, and HNSW's search depth.

    The depth (efSearch) keeps recall@10 against exact search at 0.95 or more in the
    hardest case measured (docs/performance.md): questions far from every passage, over
    a million vectors in tight clusters of near-duplicates. It costs about 3 ms a query
    at 100,000 passages (efSearch 1024) and 20 ms at a million (4096).

    >>> choose(90).kind, choose(20_000).kind, choose(20_001).kind, choose(90, "hnsw").kind
    ('flat', 'flat', 'hnsw', 'hnsw')
    >>> choose(5_000, "hnsw").ef_search, choose(100_000).ef_search, choose(1_000_000).ef_search
    (128, 1024, 4096)
    """
    if asked not in KINDS:
        raise ValueError(f"vector index kind must be one of {KINDS}, not {asked!r}")
    if asked == "auto":
        asked = "flat" if passages <= EXACT_LIMIT else "hnsw"
    depth = 128 if passages <= EXACT_LIMIT else 1024 if passages <= 200_000 else 4096
    return VectorSettings(kind=asked, ef_search=depth)


def build(vectors: np.ndarray, settings: VectorSettings):
    """A FAISS index holding `vectors` (n × dim, L2-normalised), row i at id i."""
    import os

    import faiss

    searching = faiss.omp_get_max_threads()  # a Searcher in this process asks for 1
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    try:
        return _build(vectors, settings)
    finally:
        faiss.omp_set_num_threads(searching)


def _build(vectors: np.ndarray, settings: VectorSettings):
    import faiss
    import numpy as np

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = int(vectors.shape[1])
    if settings.kind == "flat":
        index = faiss.IndexFlatIP(dim)
    elif settings.kind == "hnsw":
        if settings.storage != "fp16":
            raise ValueError(f"unknown HNSW storage {settings.storage!r}")
        index = faiss.IndexHNSWSQ(dim, faiss.ScalarQuantizer.QT_fp16, settings.m,
                                  faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = settings.ef_construction
        index.train(vectors)  # fp16 needs no statistics; faiss still wants the call
    else:
        raise ValueError(f"unknown vector index kind {settings.kind!r}")
    index.add(vectors)
    configure(index, settings)
    return index


def configure(index, settings: VectorSettings) -> None:
    """Apply the search-time parameters of a loaded index."""
    if settings.kind == "hnsw":
        index.hnsw.efSearch = settings.ef_search
