"""Reorder the first stage's best passages with a cross-encoder, when the user has one.

The search (index.search) ranks every passage cheaply: a query vector against stored
passage vectors, BM25, their fusion. A cross-encoder reads the question and one passage
together and scores the pair, which reads a paraphrase better but costs a model call
per passage: so it only reorders the first stage's top DEPTH candidates (30; more when
more results are asked for). A hit's score is then the cross-encoder's (between 0 and 1
for the usual one-output rerankers, whose logit goes through a sigmoid).

Optional and offline, like sentence-transformers embedders (index.embed): a model
folder, or a hub name already in the local Hugging Face cache (ESS_ONLINE=1 lets it
download). `--reranker` on `ess search`, `ess answer` and `ess eval` names it, and so
does ESS_RERANKER for every `Searcher` built without one (the page's included).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from index.errors import ModelUnavailable
from index.records import Hit, Passage
from index.settings import Settings
from index.text import with_context

log = logging.getLogger(__name__)

DEPTH = 30  # first-stage candidates a cross-encoder reorders


class Reranker:
    """A sentence-transformers `CrossEncoder` that reorders hits (see the module's docstring)."""

    def __init__(self, name: str, depth: int = DEPTH) -> None:
        from index.embed import load_sentence_transformers

        path = Path(name).expanduser()
        self._model = load_sentence_transformers(
            "CrossEncoder", name, str(path) if path.is_dir() else name, path.is_dir(),
            f"impossible de charger le reranker {name!r} : indiquez le dossier d'un "
            "cross-encoder sentence-transformers, ou le nom d'un cross-encoder déjà présent "
            "dans le cache Hugging Face local (ESS_ONLINE=1 autorise un téléchargement), "
            "ou cherchez sans reranker (ni --reranker ni ESS_RERANKER)")
        if self._model.num_labels != 1:
            raise ModelUnavailable(
                f"le modèle {name!r} donne {self._model.num_labels} scores par paire : un "
                "reranker n'en donne qu'un (un cross-encoder de pertinence, comme ceux de "
                "MS MARCO) ; indiquez-en un autre, ou cherchez sans reranker")
        self.name = str(path.resolve()) if path.is_dir() else name
        self.depth = depth

    def scores(self, query: str, passages: Sequence[Passage]) -> list[float]:
        """The cross-encoder's score of each passage for the query; the passage is read
        with its section path, as the embedding model reads it."""
        if not passages:
            return []
        pairs = [(query, with_context(p.section, p.text)) for p in passages]
        scores = self._model.predict(pairs, batch_size=len(pairs), convert_to_numpy=True,
                                     show_progress_bar=False)
        return [float(s) for s in scores]

    def rerank(self, query: str, hits: Sequence[Hit], k: int) -> list[Hit]:
        """The k best of `hits` by this model's scores, renumbered; ties keep the first
        stage's order."""
        return reorder(hits, self.scores(query, [h.passage for h in hits]), k)


def reorder(hits: Sequence[Hit], scores: Sequence[float], k: int) -> list[Hit]:
    """Hits sorted by new scores (ties in their old order), the best k renumbered.

    >>> a, b = (Passage(x, "f.txt", "T", "", None, 0, 1, x) for x in "ab")
    >>> [(h.rank, h.passage.id, h.score) for h in reorder([Hit(1, .9, a), Hit(2, .8, b)],
    ...                                                  [0.1, 0.7], 5)]
    [(1, 'b', 0.7), (2, 'a', 0.1)]
    """
    order = sorted(range(len(hits)), key=lambda i: -scores[i])[:k]
    return [Hit(rank, scores[i], hits[i].passage) for rank, i in enumerate(order, 1)]


def load_reranker(name: str, depth: int = DEPTH) -> Reranker:
    """The reranker named by a model folder or a hub name in the local cache."""
    return Reranker(name, depth)


def from_environment() -> Reranker | None:
    """The reranker ESS_RERANKER names, or None when it is unset, empty or `off`."""
    name = Settings.from_env().reranker
    return None if name is None else load_reranker(name)
