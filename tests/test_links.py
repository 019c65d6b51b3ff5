"""The corpus stays inside the corpus: symbolic links (ingest.read.walk).

A link out of the corpus folder is left out with its reason unless --follow-links; a
file reached twice (by its path and through a link) is read once; link loops end.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest.read import find_files, read_corpus, walk

OUTSIDE_FILE = ("lien symbolique vers un fichier hors du dossier du corpus : copiez-le dans le "
                "corpus, ou relancez avec --follow-links pour suivre ces liens")
OUTSIDE_FOLDER = OUTSIDE_FILE.replace("un fichier", "un dossier")
SECRET = "Mot de passe du serveur : hirondelle-42.\n"
FONDS = "# Fonds\n\nCréer des fonds de garantie solidaires pour les coopératives.\n"


@pytest.fixture
def places(tmp_path) -> tuple[Path, Path]:
    """(corpus, a folder beside it that is not part of it)."""
    corpus, outside = tmp_path / "corpus", tmp_path / "dehors"
    corpus.mkdir()
    outside.mkdir()
    (corpus / "fonds.md").write_text(FONDS, encoding="utf-8")
    (outside / "secret.txt").write_text(SECRET, encoding="utf-8")
    return corpus, outside


def sources(corpus: Path, **options) -> list[str]:
    return [p.relative_to(corpus).as_posix() for p in find_files(corpus, **options)]


def test_a_link_to_a_file_outside_the_corpus_is_left_out_with_its_reason(places):
    corpus, outside = places
    os.symlink(outside / "secret.txt", corpus / "passwd.txt")
    documents, skipped = read_corpus(corpus)
    assert [d.source for d in documents] == ["fonds.md"]
    assert [(s.source, s.reason) for s in skipped] == [("passwd.txt", OUTSIDE_FILE)]

    documents, skipped = read_corpus(corpus, follow_links=True)
    assert {d.source: d.text for d in documents} == {"fonds.md": FONDS, "passwd.txt": SECRET}
    assert skipped == []


def test_a_link_to_a_folder_outside_the_corpus_is_left_out_with_its_reason(places):
    corpus, outside = places
    os.symlink(outside, corpus / "archives")
    found, skipped = walk(corpus)
    assert found == [corpus / "fonds.md"]
    assert [(s.source, s.reason) for s in skipped] == [("archives", OUTSIDE_FOLDER)]
    assert sources(corpus, follow_links=True) == ["fonds.md", "archives/secret.txt"]


def test_a_file_reached_by_its_path_and_by_a_link_is_read_once_by_its_path(places):
    corpus, _ = places
    (corpus / "sous").mkdir()
    os.symlink(corpus / "fonds.md", corpus / "a-lien.md")  # sorts before the file itself
    os.symlink(Path("..") / "fonds.md", corpus / "sous" / "relatif.md")
    os.symlink(corpus / "sous", corpus / "0-raccourci")  # a folder, sorting first too
    (corpus / "sous" / "note.txt").write_text("Une note sur l'emploi.\n", encoding="utf-8")
    assert sources(corpus) == ["fonds.md", "sous/note.txt"]
    documents, skipped = read_corpus(corpus)
    assert [d.source for d in documents] == ["fonds.md", "sous/note.txt"] and skipped == []


def test_a_file_only_reachable_by_a_link_inside_the_corpus_is_read_by_the_link(places):
    corpus, _ = places
    (corpus / ".brouillons").mkdir()  # hidden: never walked
    (corpus / ".brouillons" / "plan.md").write_text(FONDS.replace("Fonds", "Plan"),
                                                     encoding="utf-8")
    os.symlink(corpus / ".brouillons" / "plan.md", corpus / "plan.md")
    assert sources(corpus) == ["fonds.md", "plan.md"]


def test_link_loops_end_and_say_why(places):
    corpus, _ = places
    (corpus / "sous").mkdir()
    (corpus / "sous" / "note.txt").write_text("Une note.\n", encoding="utf-8")
    os.symlink(corpus, corpus / "sous" / "retour")  # a folder linked to its parent
    os.symlink(corpus / "sous", corpus / "sous" / "moi-meme")  # to itself
    os.symlink(corpus / "b.md", corpus / "a.md")  # a -> b -> a: no target at all
    os.symlink(corpus / "a.md", corpus / "b.md")
    found, skipped = walk(corpus)
    assert [p.relative_to(corpus).as_posix() for p in found] == ["fonds.md", "sous/note.txt"]
    assert [(s.source, s.reason) for s in skipped] == [
        ("a.md", "lien symbolique en boucle : corrigez ce lien ou supprimez-le"),
        ("b.md", "lien symbolique en boucle : corrigez ce lien ou supprimez-le")]
    assert walk(corpus, follow_links=True)[0] == found


def test_ess_ingest_never_indexes_a_link_out_of_the_corpus_unless_asked(places, tmp_path,
                                                                        capsys, fake_model):
    from ess.cli import main
    from index.search import Searcher

    corpus, outside = places
    os.symlink(outside / "secret.txt", corpus / "passwd.txt")
    os.symlink(outside / "secret.txt", corpus / "README.md")  # the titles table, too
    index = tmp_path / "index"
    assert main(["ingest", str(corpus), "--index", str(index), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert err == (f"Ignoré : README.md ({OUTSIDE_FILE})\n"
                   f"Ignoré : passwd.txt ({OUTSIDE_FILE})\n")
    searcher = Searcher(index)
    assert [p.source for p in searcher.passages] == ["fonds.md"]
    assert searcher.search("mot de passe hirondelle", 5, mode="lexical") == []

    assert main(["ingest", str(corpus), "--index", str(index), "--quiet",
                 "--follow-links"]) == 0
    assert capsys.readouterr().err == ""
    (hit,) = Searcher(index).search("mot de passe hirondelle", 1, mode="lexical")
    assert hit.passage.source == "passwd.txt"
