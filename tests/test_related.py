"""Related passages and near-duplicates (index.related), and `ess related`."""

from __future__ import annotations

import json

import pytest

from conftest import ROOT, FakeEmbedder
from ess.cli import main
from index.related import UnknownPassage, duplicates, related
from index.search import Searcher
from ingest.build import build

PAIRS = json.loads((ROOT / "tests" / "data" / "related_pairs.json").read_text(encoding="utf-8"))


def passage(searcher, snippet):
    (found,) = [p for p in searcher.passages if snippet in p.text]
    return found


def top(searcher, p, k):
    return [r.hit.passage.id for r in related(searcher, p.id, k)]


def test_the_blockchain_recommendations_of_finance_and_commons_are_related(real_searcher):
    finance = passage(real_searcher, "Des technologies telles que les blockchains")
    commons = passage(real_searcher, "système d'échange de valeurs utilisant la blockchain")
    assert commons.id in top(real_searcher, finance, 5)


def test_pairs_a_reader_judges_related_are_found_and_unrelated_ones_are_not(real_searcher):
    found = [passage(real_searcher, b).id in top(real_searcher, passage(real_searcher, a), 10)
             or passage(real_searcher, a).id in top(real_searcher, passage(real_searcher, b), 10)
             for a, b, _ in PAIRS["related"]]
    assert sum(found) >= len(found) - 1, found  # measured: 8 of 9
    for a, b, _ in PAIRS["unrelated"]:
        assert passage(real_searcher, b).id not in top(real_searcher, passage(real_searcher, a),
                                                       10)


def test_related_never_returns_the_passage_itself_and_flags_where_it_comes_from(real_searcher):
    origin = passage(real_searcher, "Des technologies telles que les blockchains")
    found = related(real_searcher, origin.id, 8)
    assert [r.hit.rank for r in found] == list(range(1, 9))
    assert origin.id not in [r.hit.passage.id for r in found]
    for r in found:
        p = r.hit.passage
        assert r.other_document == (p.source != origin.source)
        assert r.other_section == ((p.source, p.section) != (origin.source, origin.section))
    assert any(r.other_document for r in found)
    row = found[0].to_dict()
    assert {"rank", "score", "id", "text", "source", "title", "section", "item", "start", "end",
            "other_section", "other_document"} <= set(row)


@pytest.fixture
def searcher(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text(
        "## FINANCE\n\n1. Créer des fonds de garantie pour les coopératives agricoles.\n"
        "2. Former les élus au microcrédit solidaire.\n", encoding="utf-8")
    (corpus / "b.md").write_text(
        "## CRÉDIT\n\n1. Créer des fonds de garantie pour les coopératives agricoles locales.\n"
        "2. Planter des arbres fruitiers.\n", encoding="utf-8")
    (corpus / "c.md").write_text("## COPIE\n\n1. Former les élus au microcrédit solidaire.\n",
                                 encoding="utf-8")
    build(corpus, tmp_path / "index", embedder=FakeEmbedder(), show_progress=False)
    return Searcher(tmp_path / "index", embedder=FakeEmbedder())


def test_near_duplicates_across_documents_are_listed_once(searcher):
    pairs = [(a.source, a.item, b.source, b.item) for a, b, _ in duplicates(searcher)]
    assert sorted(pairs) == [("a.md", 1, "b.md", 1), ("a.md", 2, "c.md", 1)]


def test_the_same_text_elsewhere_is_not_offered_as_related(searcher):
    origin = next(p for p in searcher.passages if p.source == "a.md" and p.item == 2)
    texts = [r.hit.passage.text for r in related(searcher, origin.id, 5)]
    assert origin.text not in texts


def test_an_unknown_passage_id_says_where_ids_come_from(searcher):
    with pytest.raises(UnknownPassage, match="aucun passage n'a l'identifiant 'nope' : les "
                                             "identifiants sont dans la sortie de"):
        related(searcher, "nope")


def test_cli_related(searcher, tmp_path, capsys, fake_model):
    index_dir = str(tmp_path / "index")
    origin = next(p for p in searcher.passages if p.source == "a.md" and p.item == 1)
    assert main(["related", origin.id, "-k", "2", "--index", index_dir, "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["passage"] == origin.id and answer["results"][0]["source"] == "b.md"
    assert answer["results"][0]["other_document"] is True
    assert main(["related", origin.id, "-k", "1", "--index", index_dir]) == 0
    assert "(autre document)" in capsys.readouterr().out.splitlines()[0]
    assert main(["related", "--duplicates", "--index", index_dir, "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2
    assert main(["related", "--index", index_dir]) == 1
    assert capsys.readouterr().err == ("Erreur : donnez soit un identifiant de passage, soit "
                                       "--duplicates\n")
