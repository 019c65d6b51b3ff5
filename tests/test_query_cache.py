"""The query-vector cache: fixed texts (background questions, theme descriptions) are
embedded once per model, whatever the corpus and the index folder."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import FakeEmbedder
from index import query_cache
from ingest.build import build


class CountingEmbedder(FakeEmbedder):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.queries: list[str] = []

    def embed_queries(self, texts):
        self.queries += list(texts)
        return super().embed_queries(texts)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ESS_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_a_text_is_embedded_once_per_model(cache):
    embedder = CountingEmbedder()
    first = query_cache.embed_queries(embedder, ["Comment financer l'ESS ?", "Les communs"])
    again = query_cache.embed_queries(CountingEmbedder(), ["Les communs"])
    assert embedder.queries == ["Comment financer l'ESS ?", "Les communs"]
    assert np.array_equal(again[0], first[1])
    other = CountingEmbedder(name="other")  # another model: its own vectors
    query_cache.embed_queries(other, ["Les communs"])
    assert other.queries == ["Les communs"]
    mixed = CountingEmbedder()
    out = query_cache.embed_queries(mixed, ["Les communs", "Le genre"])
    assert mixed.queries == ["Le genre"] and out.shape == (2, 64)
    assert np.array_equal(out[1], FakeEmbedder().embed_queries(["Le genre"])[0])


def test_off_embeds_every_time(monkeypatch):
    monkeypatch.setenv("ESS_CACHE", "off")
    for _ in range(2):
        embedder = CountingEmbedder()
        query_cache.embed_queries(embedder, ["Les communs"])
        assert embedder.queries == ["Les communs"]


def test_a_damaged_or_unwritable_cache_is_ignored(cache, tmp_path, monkeypatch):
    cache.mkdir()
    query_cache.embed_queries(CountingEmbedder(), ["Les communs"])
    (stored,) = cache.glob("queries-*.npz")
    stored.write_bytes(b"not a numpy file")
    embedder = CountingEmbedder()
    out = query_cache.embed_queries(embedder, ["Les communs"])
    assert embedder.queries == ["Les communs"] and out.shape == (1, 64)
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder should be")
    monkeypatch.setenv("ESS_CACHE", str(blocked / "cache"))
    out = query_cache.embed_queries(CountingEmbedder(), ["Les communs"])
    assert np.array_equal(out[0], FakeEmbedder().embed_queries(["Les communs"])[0])


def test_a_second_index_embeds_no_calibration_or_theme_query(cache, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("## FINANCE\n\n1. Créer des fonds de garantie.\n",
                                 encoding="utf-8")
    (corpus / "themes.toml").write_text(
        '[[theme]]\nid = "finance"\nlabel = "Finance"\ndescription = "Financer l\'ESS"\n'
        'terms = ["fonds"]\n', encoding="utf-8")
    first = CountingEmbedder()
    build(corpus, tmp_path / "one", embedder=first, show_progress=False)
    assert len(first.queries) > 100  # the background questions and the theme
    second = CountingEmbedder()
    build(corpus, tmp_path / "two", embedder=second, show_progress=False)
    assert second.queries == []
