"""Answer queries from a built index, in one of three modes.

- `dense`: embed the query and rank passages by cosine similarity (the vectors are
  L2-normalised, so FAISS's inner product is the cosine);
- `lexical`: BM25 over French tokens (index.lexical);
- `hybrid` (the default): both, fused as index.fusion describes, each passage's
  cosine first lowered by its closeness to unrelated questions (its hubness,
  index.background), so that general paragraphs stop coming first for every question,
  and its section's closeness to the question added (index.sections), so that a
  question about financing lifts the finance section's recommendations.

With a reranker (index.rerank, a cross-encoder), the mode's best candidates are then
reordered by it.

Results never show the same text twice: a passage whose text (in
`index.text.match_form`) or span repeats an earlier result's is dropped.
A `Searcher` loads the index and its model once and then answers many queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index import sections, store
from index.errors import ModelMismatch
from index.fusion import FusionConfig, fuse
from index.records import Hit, Passage
from index.text import match_form
from index.themes import current_themes

MODES = ("hybrid", "dense", "lexical")


@dataclass(frozen=True)
class Retrieval:
    """One search and the evidence it computed, which the answer reuses (answer.compose):
    nothing is searched or embedded twice."""

    question: str  # as searched: stripped
    hits: list[Hit]
    vector: np.ndarray | None = None  # the question's embedding (None in lexical mode)
    nearest: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    # ^ the highest cosines of the query with any passage, best first (the dense candidates)
    cosines: dict[int, float] = field(default_factory=dict)  # row -> cosine, every candidate
    lexical: object = None  # index.lexical.LexicalScores of every passage (None: not computed)


class Searcher:
    """The index at `index_dir` with the model it was built with, ready to query."""

    def __init__(self, index_dir: Path, model: str | None = None, embedder=None,
                 reranker=None) -> None:
        """`reranker`: an index.rerank.Reranker (or anything with `depth` and
        `rerank(query, hits, k)`); without one, the one ESS_RERANKER names, if any."""
        import faiss

        from index.embed import canonical_name

        # One query at a time needs no FAISS threads, and idle OpenMP threads spin-wait
        # for work: they took a third of the cores from the next query's embedding
        # (27 ms a search at 10,000 passages instead of 18; docs/performance.md).
        faiss.omp_set_num_threads(1)
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
        self._index_dir = index_dir
        self._embedder = embedder
        self._reranker = reranker
        self._themes = None
        self.fusion = FusionConfig.from_dict(self.store.manifest["fusion"])
        self._vectors: dict[str, np.ndarray] = {}
        self._rows: dict[str, int] | None = None  # every passage's row, made when first needed
        self._found: dict[str, int] = {}  # rows of the passages search returned
        if embedder is not None:
            self._check(embedder)

    @property
    def embedder(self):
        """The model the index was built with, loaded when a query is first embedded: a
        command that lists themes or related passages of a stored vector never loads it."""
        if self._embedder is None:
            from index.embed import load_embedder, use_recorded

            built_with = self.store.manifest["model"]
            self._embedder = self._check(use_recorded(load_embedder(built_with["name"]),
                                                      built_with))
        return self._embedder

    def _check(self, embedder):
        dim = self.store.manifest["model"]["dim"]
        if embedder.dim != dim:
            raise ModelMismatch(
                f"le modèle {embedder.name!r} donne des vecteurs de dimension "
                f"{embedder.dim}, l'index {self._index_dir} en contient de dimension "
                f"{dim} : reconstruisez-le avec `ess ingest --rebuild`"
            )
        return embedder

    @property
    def themes(self):
        """The theme catalogue and its passages (index.themes), read when first asked for."""
        if self._themes is None:
            vectors = self.store.vectors
            self._themes = current_themes(self.store.themes, self.store.passages,
                                          lambda: vectors.reconstruct_n(0, vectors.ntotal),
                                          lambda: self.embedder)
        return self._themes

    @property
    def reranker(self):
        """The reranker given, else the one ESS_RERANKER names (loaded at the first search)."""
        if self._reranker is None:
            from index import rerank

            self._reranker = rerank.from_environment() or False
        return self._reranker or None

    def row_of(self, passage_id: str) -> int:
        """The passage's position in the index; KeyError if it has none.

        A passage a search returned is found at once; any other makes the map of
        every passage's row (a second on a million passages), once.
        """
        row = self._found.get(passage_id)
        if row is None:
            if self._rows is None:
                self._rows = {p.id: row for row, p in enumerate(self.store.passages)}
            row = self._rows[passage_id]
        return row

    def passage_vector(self, passage: Passage) -> np.ndarray:
        """The stored embedding of a passage of this index."""
        return self.store.vectors.reconstruct(self.row_of(passage.id))

    def query_vector(self, query: str) -> np.ndarray:
        """The query's embedding, computed once per query (the page asks several times)."""
        vector = self._vectors.get(query)
        if vector is None:
            if len(self._vectors) >= 256:
                self._vectors.clear()
            vector = self._vectors[query] = self.embedder.embed_queries([query])[0]
        return vector

    @property
    def passages(self) -> list[Passage]:
        return self.store.passages

    def search(self, question: str, k: int = 5, mode: str = "hybrid",
               theme: str | None = None) -> list[Hit]:
        """The k best passages for the question, best first, without repeats; with `theme`,
        only the passages of that theme. With a reranker, the first stage's best
        max(k, reranker.depth) are reordered by it."""
        return self.retrieve(question, k, mode, theme).hits

    def retrieve(self, question: str, k: int = 5, mode: str = "hybrid",
                 theme: str | None = None) -> Retrieval:
        """`search`, with the evidence the search computed on the way (Retrieval)."""
        if self.reranker is None or not question.strip() or k <= 0:
            return self._search(question, k, mode, theme)
        found = self._search(question, max(k, self.reranker.depth), mode, theme)
        hits = self.reranker.rerank(question.strip(), found.hits, k)
        return Retrieval(found.question, hits, found.vector, found.nearest, found.cosines,
                         found.lexical)

    def _search(self, question: str, k: int, mode: str, theme: str | None) -> Retrieval:
        """The first stage: `retrieve` without the reranker."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        if theme is not None:
            members = self.themes.members(theme)
            every = self._search(question, len(self.passages), mode, None)
            hits = [Hit(rank, h.score, h.passage) for rank, h in
                    enumerate((h for h in every.hits if h.passage.id in members), 1)][:k]
            return Retrieval(every.question, hits, every.vector, every.nearest, every.cosines,
                             every.lexical)
        question = question.strip()
        depth = min(len(self.passages), max(self.fusion.candidates, 2 * k))
        if not question or k <= 0 or depth == 0:
            return Retrieval(question, [])
        if mode == "lexical":
            lexical = self.store.lexical.score(question)
            ranked = [(int(row), float(lexical.scores[row]))
                      for row in top_positive(lexical.scores, depth)]
            return Retrieval(question, self._distinct(ranked, k), lexical=lexical)
        vector = self.query_vector(question)[None]
        dense = nearest_rows(self.store.vectors, vector[0], depth)
        nearest = np.array(list(dense.values()), dtype=np.float32)
        if mode == "dense":
            return Retrieval(question, self._distinct(list(dense.items()), k), vector[0],
                             nearest, dense)
        lexical = self.store.lexical.score(question)
        dense = with_lexical(self.store.vectors, vector[0], dense, lexical.scores, depth)
        cosines = dict(dense)
        if self.fusion.hub_weight:  # passages close to every question weigh less
            rows = np.fromiter(dense, dtype=np.int64, count=len(dense))
            damped = np.fromiter(dense.values(), dtype=np.float32, count=len(dense))
            damped -= self.fusion.hub_weight * self.store.hubness[rows]
            dense = dict(zip(rows.tolist(), damped.tolist(), strict=True))
        evidence = None
        if self.fusion.section_weight and self.store.sections is not None:
            candidates = np.fromiter(dense, dtype=np.int64, count=len(dense))
            evidence = sections.evidence(*self.store.sections, vector[0], candidates)
        hits = self._distinct(fuse(dense, lexical.scores, lexical.coverage, self.fusion,
                                   evidence), k)
        return Retrieval(question, hits, vector[0], nearest, cosines, lexical)

    def _distinct(self, ranked: list[tuple[int, float]], k: int) -> list[Hit]:
        hits: list[Hit] = []
        seen_texts: set[str] = set()
        for row, score in ranked:
            passage = self.passages[row]
            form = match_form(passage.text)
            if form in seen_texts or any(passage.overlaps(h.passage) for h in hits):
                continue
            seen_texts.add(form)
            if len(self._found) >= 65_536:
                self._found.clear()
            self._found[passage.id] = row
            hits.append(Hit(len(hits) + 1, score, passage))
            if len(hits) == k:
                break
        return hits


def nearest_rows(vectors, vector: np.ndarray, depth: int) -> dict[int, float]:
    """Row -> cosine of the `depth` stored vectors nearest to a unit `vector` (FAISS),
    nearest first: the dense half of a hybrid search, and of index.related."""
    scores, rows = vectors.search(vector[None], depth)
    return {int(r): float(s) for s, r in zip(scores[0], rows[0], strict=True) if r >= 0}


def with_lexical(vectors, vector: np.ndarray, dense: dict[int, float],
                 lexical: np.ndarray, depth: int) -> dict[int, float]:
    """`dense` and the `depth` best BM25 rows (`lexical`: every passage's score) it does
    not hold, with their cosine computed exactly from the stored vectors: every candidate
    of either half, as index.fusion.fuse wants them. `dense` is left as it is."""
    extra = [int(r) for r in top_positive(lexical, depth) if int(r) not in dense]
    merged = dict(dense)
    if extra:
        found = vectors.reconstruct_batch(np.array(extra, dtype=np.int64))
        merged.update(zip(extra, (found @ vector).tolist(), strict=True))
    return merged


def top_rows(scores: np.ndarray, n: int) -> np.ndarray:
    """Indices of the n highest scores, highest first."""
    n = min(n, scores.size)
    part = np.argpartition(-scores, n - 1)[:n]
    return part[np.argsort(-scores[part], kind="stable")]


def top_positive(scores: np.ndarray, n: int) -> np.ndarray:
    """Indices of the n highest positive scores, highest first. BM25 gives most passages
    0 for a given query, so selecting among the others first is much faster on large
    corpora.

    >>> top_positive(np.array([0.0, 2.0, 0.0, 3.0, 1.0]), 2).tolist()
    [3, 1]
    """
    rows = np.flatnonzero(scores > 0)
    if rows.size > n:
        rows = rows[np.argpartition(-scores[rows], n - 1)[:n]]
    return rows[np.argsort(-scores[rows], kind="stable")]



def narrow(hits: list[Hit], titles: list[str] | None = None,
           sections: list[str] | None = None, k: int | None = None) -> list[Hit]:
    """The hits from the chosen documents and sections (none chosen: all), renumbered."""
    kept = [h for h in hits if (not titles or h.passage.title in titles)
            and (not sections or h.passage.section in sections)][:k]
    return [Hit(rank, h.score, h.passage) for rank, h in enumerate(kept, 1)]


def sections_of(hits: list[Hit], titles: list[str] | None = None) -> list[str]:
    """The sections the hits come from, within the chosen documents, sorted."""
    return sorted({h.passage.section for h in hits
                   if h.passage.section and (not titles or h.passage.title in titles)})
