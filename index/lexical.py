"""The lexical half of the search: BM25 (bm25s) over French tokens (index.tokenize).

Saved as bm25s's own folder of named, non-pickled files (`lexical/` in a build),
written and read here. A query's `coverage` is the share of its tokens that occur
in the corpus: a question in another language, or full of typos, has low coverage,
and the fusion then leans on the dense half (index.fusion).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.tokenize import tokenize

FOLDER = "lexical"
TOKENIZER = "fr-fold-stop-snowball6-v1"


@dataclass(frozen=True)
class LexicalScores:
    scores: np.ndarray  # BM25 score of every passage, in passage order
    coverage: float  # share of the query's tokens found in the corpus vocabulary


class LexicalIndex:
    def __init__(self, bm25) -> None:
        self._bm25 = bm25
        self._vocab = bm25.vocab_dict

    @classmethod
    def build(cls, texts: list[str], k1: float = 1.5, b: float = 0.75) -> LexicalIndex:
        bm25s = _bm25s()
        bm25 = bm25s.BM25(k1=k1, b=b, method="lucene")
        bm25.index([tokenize(t) for t in texts], show_progress=False)
        return cls(bm25)

    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder / FOLDER), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        # mapped: a query reads only its tokens' postings, the rest stays on disk
        return cls(_bm25s().BM25.load(str(folder / FOLDER), mmap=True, show_progress=False,
                                      verbosity=0))

    @property
    def size(self) -> int:
        return int(self._bm25.scores["num_docs"])

    def settings(self) -> dict:
        return {"library": "bm25s", "tokenizer": TOKENIZER, "k1": self._bm25.k1,
                "b": self._bm25.b, "method": self._bm25.method}

    def score(self, query: str) -> LexicalScores:
        tokens = tokenize(query)
        known = [t for t in tokens if t in self._vocab]
        if not known:
            return LexicalScores(np.zeros(self.size, dtype=np.float32), 0.0)
        return LexicalScores(self._scores(known), len(known) / len(tokens))

    def _scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 of every passage, summed over the query's tokens (a repeated token counts
        again, as in bm25s). Each token's postings hold a passage once, so a plain
        fancy-indexed add is exact, and several times faster than bm25s's np.add.at on
        large corpora."""
        bm25 = self._bm25
        if bm25.nonoccurrence_array is not None:  # variants that score absent tokens
            return np.asarray(bm25.get_scores(tokens), dtype=np.float32)
        data, indices, indptr = (bm25.scores[k] for k in ("data", "indices", "indptr"))
        scores = np.zeros(self.size, dtype=np.float32)
        for token in tokens:
            token_id = self._vocab[token]
            start, end = indptr[token_id], indptr[token_id + 1]
            scores[indices[start:end]] += data[start:end]
        return scores


def _bm25s():
    """bm25s, imported when needed; it sets its logger to DEBUG on import, which would
    print its progress notes through the CLI's logging."""
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s
