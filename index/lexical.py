"""The lexical half of the search: BM25 (bm25s) over French tokens (index.tokenize).

Built and saved by bm25s, as its own folder of named, non-pickled files (`lexical/` in a
build); read here without bm25s. A query's `coverage` is the share of its tokens that occur
in the corpus: a question in another language, or full of typos, has low coverage,
and the fusion then leans on the dense half (index.fusion).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.tokenize import tokenize

FOLDER = "lexical"
TOKENIZER = "fr-fold-stop-snowball6-v1"
EXACT_METHODS = ("lucene", "robertson", "atire")  # BM25 variants that give absent tokens 0


@dataclass(frozen=True)
class LexicalScores:
    scores: np.ndarray  # BM25 score of every passage, in passage order
    coverage: float  # share of the query's tokens found in the corpus vocabulary


class LexicalIndex:
    """BM25 scores of every (token, passage) pair, as a sparse matrix by token.

    bm25s builds and saves it; loading reads bm25s's files directly (JSON, and .npy
    arrays mapped from disk), so a search imports neither bm25s nor scipy.
    """

    def __init__(self, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray,
                 vocab: dict[str, int], params: dict, bm25=None) -> None:
        if params.get("method") not in EXACT_METHODS:
            raise ValueError(f"unsupported BM25 variant {params.get('method')!r}")
        self._data, self._indices, self._indptr = data, indices, indptr
        self._vocab, self._params, self._bm25 = vocab, params, bm25
        self._by_initial: dict[str, list[str]] | None = None  # for `knows`, made when needed

    @classmethod
    def build(cls, texts: list[str], k1: float = 1.5, b: float = 0.75) -> LexicalIndex:
        bm25s = _bm25s()
        bm25 = bm25s.BM25(k1=k1, b=b, method="lucene")
        documents = [tokenize(t) for t in texts]
        # The vocabulary in sorted order, not bm25s's (a set's: it changes with the process's
        # hash seed): the same texts give the same files in any process, a cluster ingest's
        # included (tests/test_cluster.py).
        vocab = {token: i for i, token in enumerate(sorted({t for d in documents for t in d}))}
        bm25.index(([[vocab[t] for t in d] for d in documents], vocab), show_progress=False)
        params = {"k1": bm25.k1, "b": bm25.b, "method": bm25.method,
                  "num_docs": int(bm25.scores["num_docs"])}
        return cls(bm25.scores["data"], bm25.scores["indices"], bm25.scores["indptr"],
                   bm25.vocab_dict, params, bm25)

    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder / FOLDER), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """Read a saved index; OSError, ValueError or KeyError if it is damaged."""
        place = folder / FOLDER
        params = json.loads((place / "params.index.json").read_text(encoding="utf-8"))
        vocab = json.loads((place / "vocab.index.json").read_text(encoding="utf-8"))
        # mapped: a query reads only its tokens' postings, the rest stays on disk
        data, indices, indptr = (np.load(place / f"{name}.csc.index.npy", mmap_mode="r",
                                         allow_pickle=False)
                                 for name in ("data", "indices", "indptr"))
        # bm25s keeps "" in the vocabulary without a column: one column fewer is fine
        if not isinstance(vocab, dict) or not len(vocab) - 1 <= len(indptr) - 1 <= len(vocab):
            raise ValueError("vocabulary and matrix disagree")
        return cls(data, indices, indptr, vocab, params)

    @property
    def size(self) -> int:
        return int(self._params["num_docs"])

    def settings(self) -> dict:
        return {"library": "bm25s", "tokenizer": TOKENIZER, "k1": self._params["k1"],
                "b": self._params["b"], "method": self._params["method"]}

    def score(self, query: str) -> LexicalScores:
        tokens = tokenize(query)
        known = [t for t in tokens if t in self._vocab]
        if not known:
            return LexicalScores(np.zeros(self.size, dtype=np.float32), 0.0)
        return LexicalScores(self._scores(known), len(known) / len(tokens))

    def ceiling(self, query: str) -> float:
        """The highest BM25 score the query could reach: each of its known tokens' idf (a
        token's term-frequency part tends to 1 as it repeats, in these BM25 variants).

        >>> index = LexicalIndex.build(["Les coopératives.", "Le crédit."])
        >>> round(index.ceiling("coopératives et crédit"), 3) == round(2 * index.idf("cooper"), 3)
        True
        """
        return float(sum(self.idf(t) for t in tokenize(query) if t in self._vocab))

    def knows(self, token: str, typos: int = 0) -> bool:
        """Is the token in the corpus vocabulary, or (typos=1) one edit away from a token
        that is?

        >>> index = LexicalIndex.build(["La Belgique et la France."])
        >>> index.knows("belgiq"), index.knows("belgik", typos=1), index.knows("espagn", typos=1)
        (True, True, False)
        """
        if token in self._vocab:
            return True
        if not typos or len(token) < 4:
            return False
        if self._by_initial is None:  # made whole, then shared: searches may run at once
            by_initial: dict[str, list[str]] = {}
            for known in self._vocab:
                by_initial.setdefault(known[:1], []).append(known)
            self._by_initial = by_initial
        return any(_one_edit(token, known) for known in self._by_initial.get(token[:1], ()))

    def idf(self, token: str) -> float:
        """How rare a token is in the corpus (BM25's idf; a token the corpus lacks gets the
        highest value, that of a token in no passage)."""
        token_id = self._vocab.get(token)
        found = 0 if token_id is None or token_id + 1 >= len(self._indptr) else int(
            self._indptr[token_id + 1] - self._indptr[token_id])
        return float(np.log(1 + (self.size - found + 0.5) / (found + 0.5)))

    def _scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 of every passage, summed over the query's tokens (a repeated token counts
        again, as in bm25s). Each token's postings hold a passage once, so a plain
        fancy-indexed add is exact, and several times faster than bm25s's np.add.at on
        large corpora."""
        scores = np.zeros(self.size, dtype=np.float32)
        for token in tokens:
            token_id = self._vocab[token]
            start, end = int(self._indptr[token_id]), int(self._indptr[token_id + 1])
            scores[self._indices[start:end]] += self._data[start:end]
        return scores


def _one_edit(a: str, b: str) -> bool:
    """Are the two words one insertion, deletion or substitution apart (or equal)?

    >>> _one_edit("irlande", "irlannde"), _one_edit("belgiq", "espagn")
    (True, False)
    """
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = j = edits = 0
    while i < len(a) and j < len(b):
        if a[i] != b[j]:
            edits += 1
            if edits > 1:
                return False
            if len(a) == len(b):
                i += 1
            j += 1
        else:
            i += 1
            j += 1
    return edits + (len(b) - j) + (len(a) - i) <= 1


def _bm25s():
    """bm25s, imported when needed; it sets its logger to DEBUG on import, which would
    print its progress notes through the CLI's logging."""
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s
