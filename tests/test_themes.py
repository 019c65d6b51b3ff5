"""Themes: the catalogue, the assignment, its quality on hand-judged lists, the CLI."""

from __future__ import annotations

import json

import pytest

from conftest import ROOT, FakeEmbedder
from ess.cli import main
from index.search import Searcher
from index.themes import CatalogueError, load_catalogue
from ingest.build import build

GOLD = json.loads((ROOT / "tests" / "data" / "themes_gold.json").read_text(encoding="utf-8"))


def ids_of(searcher, snippets):
    found = [[p.id for p in searcher.passages if s in p.text] for s in snippets]
    assert all(len(ids) == 1 for ids in found), "each snippet names exactly one passage"
    return {ids[0] for ids in found}


@pytest.mark.parametrize("theme", ["finance", "genre"])
def test_a_theme_finds_every_passage_a_reader_puts_in_it_and_few_others(real_searcher, theme):
    required = ids_of(real_searcher, GOLD[theme]["required"])
    borderline = ids_of(real_searcher, GOLD[theme]["borderline"])
    found = real_searcher.themes.members(theme)
    assert required <= found  # recall 1
    assert len(found - required - borderline) <= 2  # at most a few outside the reader's list


def test_the_shipped_catalogue_has_the_corpus_themes():
    themes = load_catalogue(ROOT / "corpus" / "themes.toml")
    assert [t.id for t in themes] == [
        "finance", "emploi", "genre", "education", "communs", "numerique", "alimentation",
        "politiques-publiques", "reconnaissance-internationale", "sante-soins",
        "developpement-local", "democratie-gouvernance", "transition-ecologique"]
    assert all(t.label and t.description and t.terms for t in themes)


@pytest.mark.parametrize(("text", "message"), [
    ("[[theme]]\nid = 'x'\n", "thème n° 1 : il faut id, label et description (textes)"),
    ("[[theme]\n", "TOML invalide"),
    ("", "ne contient aucun thème : ajoutez des blocs [[theme]]"),
    ("[[theme]]\nid='a'\nlabel='A'\ndescription='d'\n[[theme]]\nid='a'\nlabel='B'\n"
     "description='e'\n", "thème n° 2 : l'identifiant 'a' est déjà pris"),
    ("[[theme]]\nid='a'\nlabel='A'\ndescription='d'\nterms='x'\n",
     "terms doit être une liste de textes"),
])
def test_a_catalogue_mistake_names_the_file_and_the_fix(tmp_path, text, message):
    path = tmp_path / "themes.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    assert str(path) in str(caught.value) and message in str(caught.value)


CATALOGUE = """[[theme]]
id = "credit"
label = "Crédit"
description = "Le crédit et les banques"
terms = ["crédit"]

[[theme]]
id = "femmes"
label = "Femmes"
description = "Les femmes"
terms = ["femmes"]
"""


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.md").write_text("## RECOMMANDATIONS\n\n1. Ouvrir le crédit aux coopératives.\n"
                                 "2. Soutenir les femmes entrepreneures.\n3. Planter des arbres.\n",
                                 encoding="utf-8")
    (folder / "themes.toml").write_text(CATALOGUE, encoding="utf-8")
    return folder


def test_changing_only_the_catalogue_reassigns_without_embedding_passages(corpus, tmp_path):
    build(corpus, tmp_path / "index", embedder=FakeEmbedder(), show_progress=False)
    embedder = FakeEmbedder()
    searcher = Searcher(tmp_path / "index", embedder=embedder)
    assert searcher.themes.counts() == {"credit": 1, "femmes": 1}
    (corpus / "themes.toml").write_text(CATALOGUE + '\n[[theme]]\nid = "nature"\nlabel = '
                                        '"Nature"\ndescription = "Les arbres"\nterms = '
                                        '["arbres"]\n', encoding="utf-8")
    reloaded = Searcher(tmp_path / "index", embedder=embedder)
    assert reloaded.themes.counts() == {"credit": 1, "femmes": 1, "nature": 1}
    assert embedder.embedded == 0  # no passage embedded again


def test_search_within_a_theme(corpus, tmp_path):
    build(corpus, tmp_path / "index", embedder=FakeEmbedder(), show_progress=False)
    searcher = Searcher(tmp_path / "index", embedder=FakeEmbedder())
    hits = searcher.search("Ouvrir le crédit", 5, theme="femmes")
    assert [h.passage.item for h in hits] == [2] and hits[0].rank == 1
    with pytest.raises(CatalogueError, match="thème inconnu : 'x' ; thèmes du catalogue : "
                                             "credit, femmes"):
        searcher.search("crédit", 5, theme="x")


def test_cli_themes_and_theme(corpus, tmp_path, capsys, fake_model):
    index_dir = str(tmp_path / "cli-index")
    assert main(["ingest", str(corpus), "--index", index_dir, "--quiet"]) == 0
    capsys.readouterr()
    assert main(["themes", "--index", index_dir, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["id"], r["label"], r["passages"]) for r in rows] == [("credit", "Crédit", 1),
                                                                   ("femmes", "Femmes", 1)]
    assert main(["themes", "--index", index_dir]) == 0
    assert capsys.readouterr().out.splitlines() == ["credit     1  Crédit", "femmes     1  Femmes"]
    assert main(["theme", "femmes", "--index", index_dir, "--json"]) == 0
    (group,) = json.loads(capsys.readouterr().out)["groups"]
    assert (group["section"], [p["item"] for p in group["passages"]]) == ("Recommandations", [2])
    assert main(["theme", "nope", "--index", index_dir]) == 1
    assert capsys.readouterr().err.startswith("Erreur : thème inconnu : 'nope'")
    assert main(["search", "crédit", "--theme", "credit", "--index", index_dir, "--json"]) == 0
    (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["item"] for r in row["results"]] == [1]
