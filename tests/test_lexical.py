"""The BM25 half: the project's own scoring loop gives exactly bm25s's scores."""

from __future__ import annotations

import os

import numpy as np
import pytest

from index.lexical import LexicalIndex
from index.tokenize import tokenize

TEXTS = [
    "Créer des fonds de garantie pour les coopératives et les mutuelles.",
    "L’égalité femmes-hommes dans les organisations de l’ESS.",
    "Les coopératives d'habitants et les communs urbains.",
    "Financer les entreprises sociales : fonds, garantie, microcrédit.",
    "",
]


@pytest.mark.parametrize("query", [
    "Comment financer les coopératives ?",
    "fonds fonds garantie",  # a repeated token counts twice, as in bm25s
    "l'égalité des femmes",
    "communs",
])
def test_scores_equal_bm25s(query):
    index = LexicalIndex.build(TEXTS)
    known = [t for t in tokenize(query) if t in index._vocab]
    expected = np.asarray(index._bm25.get_scores(known), dtype=np.float32)
    got = index.score(query)
    assert got.scores.dtype == np.float32 and got.scores.shape == (len(TEXTS),)
    assert np.allclose(got.scores, expected) and got.scores.max() > 0


def test_unknown_words_score_nothing():
    got = LexicalIndex.build(TEXTS).score("blockchain quantique")
    assert got.coverage == 0.0 and not got.scores.any()


def test_a_saved_index_reads_back_without_bm25s(tmp_path):
    built = LexicalIndex.build(TEXTS)
    built.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path)
    assert loaded._bm25 is None and loaded.size == len(TEXTS)
    assert loaded.settings() == built.settings()
    for query in ("fonds de garantie", "l’ESS et les communs", "rien"):
        a, b = built.score(query), loaded.score(query)
        assert a.coverage == b.coverage and np.array_equal(a.scores, b.scores)


@pytest.mark.slow  # subprocesses
def test_the_same_texts_give_the_same_files_whatever_the_hash_seed(tmp_path):
    """bm25s orders its vocabulary as a set does, which changes with PYTHONHASHSEED; the
    index sorts it, so ingests in two processes (or on a cluster) write the same bytes."""
    import subprocess
    import sys

    script = ("import sys; from pathlib import Path; from index.lexical import LexicalIndex; "
              "LexicalIndex.build(['Financer les coopératives d’épargne', 'Égalité "
              "femmes-hommes dans l’ESS', 'Les communs numériques']).save(Path(sys.argv[1]))")
    for seed in ("1", "2"):
        (tmp_path / seed).mkdir()
        subprocess.run([sys.executable, "-c", script, str(tmp_path / seed)], check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}, timeout=120)
    written = [{p.relative_to(tmp_path / seed): p.read_bytes()
                for p in sorted((tmp_path / seed).rglob("*")) if p.is_file()}
               for seed in ("1", "2")]
    assert written[0] and written[0] == written[1]
