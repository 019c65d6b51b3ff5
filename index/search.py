"""Answer queries from a built index: embed the query, rank passages by cosine.

The vectors are L2-normalised, so FAISS's inner product is the cosine similarity.
A `Searcher` loads the index and its model once and then answers many queries.
"""

from __future__ import annotations

from pathlib import Path

from index import store
from index.errors import ModelMismatch
from index.records import Hit


class Searcher:
    """The index at `index_dir` with the model it was built with, ready to query."""

    def __init__(self, index_dir: Path, model: str | None = None, embedder=None) -> None:
        from ingest.embed import canonical_name, load_embedder

        self.store = store.load(index_dir)
        built_with = self.store.manifest["model"]
        asked = model or (embedder.name if embedder is not None else None)
        asked = canonical_name(asked) if asked else None
        if asked is not None and asked != built_with["name"]:
            raise ModelMismatch(
                f"l'index {index_dir} a été construit avec le modèle {built_with['name']!r}, "
                f"pas avec {asked!r} : reconstruisez-le avec `ess ingest --model {asked}`, "
                "ou cherchez sans --model"
            )
        self.embedder = embedder or load_embedder(built_with["name"])
        if self.embedder.dim != built_with["dim"]:
            raise ModelMismatch(
                f"le modèle {self.embedder.name!r} donne des vecteurs de dimension "
                f"{self.embedder.dim}, l'index {index_dir} en contient de dimension "
                f"{built_with['dim']} : reconstruisez-le avec `ess ingest`"
            )

    @property
    def passages(self):
        return self.store.passages

    def search(self, query: str, k: int = 5) -> list[Hit]:
        """The k passages closest to the query, best first."""
        query = query.strip()
        k = min(k, len(self.store.passages))
        if not query or k <= 0:
            return []
        vector = self.embedder.embed_queries([query])
        scores, rows = self.store.vectors.search(vector, k)
        return [Hit(rank, float(score), self.store.passages[row])
                for rank, (score, row) in enumerate(zip(scores[0], rows[0], strict=True), 1)
                if row >= 0]
