"""The hybrid searcher: modes, fusion, foreign-language queries, no repeated text.

The embedder here is rigged: a text's vector marks the topics whose words it
holds, and each topic has a synonym that no passage uses (« cautionnement » for
« garantie »), so a query can reach a passage through the dense half alone.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from conftest import FakeEmbedder
from ess.cli import main
from index import store
from index.errors import IndexUnreadable
from index.search import Searcher
from ingest.build import build

TOPICS = [("garantie", "cautionnement"), ("microcrédit", "microfinance"),
          ("marchés", "commande"), ("quartier", "voisinage")]


class TopicEmbedder(FakeEmbedder):
    """Dense similarity follows topics (a word or its synonym), nothing else."""

    def _vector(self, text: str) -> np.ndarray:
        vector = np.full(self.dim, 0.01, dtype=np.float32)
        for i, synonyms in enumerate(TOPICS):
            if any(word in text for word in synonyms):
                vector[i] = 1.0
        return vector / np.linalg.norm(vector)


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.md").write_text(
        "## FINANCE\n\n"
        "1. Créer des fonds de garantie pour les coopératives.\n"
        "2. Soutenir le microcrédit des mutuelles.\n"
        "3. Former les élus aux marchés publics.\n"
        "4. Accompagner les associations de quartier.\n", encoding="utf-8")
    (folder / "b.md").write_text("## COPIE\n\n1. Soutenir le microcrédit des mutuelles.\n",
                                 encoding="utf-8")
    return folder


@pytest.fixture
def searcher(corpus, tmp_path):
    embedder = TopicEmbedder("topics")
    build(corpus, tmp_path / "index", embedder=embedder, show_progress=False)
    return Searcher(tmp_path / "index", embedder=embedder)


def items(hits):
    return [(h.passage.source, h.passage.item) for h in hits]


def test_each_mode_ranks_by_its_own_half(searcher):
    query = "cautionnement des mutuelles"  # dense: the guarantee (1); BM25: the mutuals (2)
    assert items(searcher.search(query, 1, "dense")) == [("a.md", 1)]
    assert items(searcher.search(query, 1, "lexical"))[0][1] == 2


def test_a_passage_found_by_only_one_half_still_surfaces(searcher):
    query = "cautionnement des élus"  # dense finds item 1 only, lexical finds item 3 only
    dense, lexical = searcher.search(query, 4, "dense"), searcher.search(query, 4, "lexical")
    assert items(lexical) == [("a.md", 3)]
    assert ("a.md", 3) not in items(dense)[:2]
    assert items(dense)[0] == ("a.md", 1)
    assert set(items(searcher.search(query, 2))) == {("a.md", 1), ("a.md", 3)}


def test_a_query_the_corpus_vocabulary_does_not_know_keeps_the_dense_order(searcher):
    query = "financiación del voisinage"  # no token known to BM25; dense: the neighbourhood
    assert searcher.search(query, 4, "lexical") == []
    assert items(searcher.search(query, 1)) == [("a.md", 4)]
    # The lexical half changes nothing; the section evidence (dense too) is set aside here.
    searcher.fusion = replace(searcher.fusion, section_weight=0.0)
    assert items(searcher.search(query, 4)) == items(searcher.search(query, 4, "dense"))


def test_the_same_text_is_never_shown_twice(searcher):
    hits = searcher.search("microcrédit des mutuelles", 5)
    texts = [h.passage.text for h in hits]
    assert texts.count("Soutenir le microcrédit des mutuelles.") == 1
    assert len(texts) == len(set(texts)) == 4  # five passages, one a copy of another
    assert [h.rank for h in hits] == [1, 2, 3, 4]


def test_hybrid_scores_are_fused_between_0_and_1_and_descend(searcher):
    scores = [h.score for h in searcher.search("garantie des coopératives", 4)]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores) and scores[0] > 0.5


def test_an_unknown_mode_is_refused(searcher):
    with pytest.raises(ValueError, match="mode must be one of"):
        searcher.search("garantie", 3, "semantic")


def test_cli_mode_flag(corpus, tmp_path, capsys, monkeypatch):
    import index.embed

    monkeypatch.setattr(index.embed, "load_embedder", lambda name=None: TopicEmbedder("fake"))
    index_dir = str(tmp_path / "cli-index")
    assert main(["ingest", str(corpus), "--index", index_dir, "--quiet"]) == 0
    capsys.readouterr()
    assert main(["search", "cautionnement des élus", "--index", index_dir, "--mode", "lexical",
                 "--json"]) == 0
    (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["item"] for r in row["results"]] == [3]
    with pytest.raises(SystemExit) as exit_:
        main(["search", "garantie", "--index", index_dir, "--mode", "semantic"])
    assert exit_.value.code == 2


def test_an_index_of_the_previous_format_says_to_rebuild(searcher, tmp_path):
    folder = store.current(tmp_path / "index")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    (folder / "manifest.json").write_text(json.dumps({**manifest, "format": 1}),
                                          encoding="utf-8")
    with pytest.raises(IndexUnreadable) as caught:
        store.load(tmp_path / "index")
    assert str(caught.value) == (f"l'index {folder} est au format 1, plus ancien que celui de "
                                 "cette version (4) : reconstruisez-le avec `ess ingest --rebuild`")


@pytest.mark.parametrize("damage", ["missing", "garbled"])
def test_a_damaged_lexical_index_says_to_rebuild(searcher, tmp_path, damage):
    folder = store.current(tmp_path / "index")
    vocab = folder / "lexical" / "vocab.index.json"
    if damage == "missing":
        vocab.unlink()
    else:
        vocab.write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexUnreadable) as caught:
        store.load(tmp_path / "index")
    assert str(caught.value) == (f"l'index lexical de {folder} est absent ou abîmé : "
                                 "reconstruisez-le avec `ess ingest --rebuild`")


def test_narrow_keeps_the_chosen_documents_and_sections_and_renumbers():
    from index.records import Hit, Passage
    from index.search import narrow, sections_of

    def hit(rank, title, section):
        return Hit(rank, 1 / rank, Passage(str(rank), "f.txt", title, section, None, 0, 1, "t"))

    hits = [hit(1, "A", "Finance"), hit(2, "B", "Genre"), hit(3, "A", "Genre"), hit(4, "A", "")]
    assert [h.passage.id for h in narrow(hits, ["A"])] == ["1", "3", "4"]
    assert [(h.rank, h.passage.id) for h in narrow(hits, ["A"], ["Genre"])] == [(1, "3")]
    assert [h.passage.id for h in narrow(hits, k=2)] == ["1", "2"]
    assert sections_of(hits) == ["Finance", "Genre"]
    assert sections_of(hits, ["B"]) == ["Genre"]
