"""Adding documents: the upload's safe names, and the page using a new index without restart."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, FakeEmbedder
from ingest.build import build
from ingest.upload import UploadError, safe_name, save_upload


@pytest.mark.parametrize(("name", "saved"), [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("/etc/cron.d/rapport.md", "rapport.md"),
    ("C:\\Users\\moi\\Bilan 2024.pdf", "Bilan 2024.pdf"),
    ("rap\x00port\x07.docx", "rapport.docx"),
    ("  Synthèse  Genève .html", "Synthèse Genève .html"),
    ("e\u0301té.txt", "été.txt"),
])
def test_an_uploaded_name_stays_inside_the_corpus(tmp_path, name, saved):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    path = save_upload(corpus, name, b"# Titre\n")
    assert path == corpus / saved and path.read_bytes() == b"# Titre\n"
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [saved]


@pytest.mark.parametrize(("name", "message"), [
    ("..", "« (sans nom) » : seuls les fichiers .txt, .md, .pdf, .docx, .html, .htm sont "
           "acceptés"),
    ("script.sh", "« script.sh » : seuls les fichiers"),
    ("\x00", "« (sans nom) » : seuls les fichiers"),
])
def test_names_without_a_document_suffix_are_refused(tmp_path, name, message):
    with pytest.raises(UploadError) as caught:
        save_upload(tmp_path, name, b"x")
    assert str(caught.value).startswith(message)
    assert list(tmp_path.iterdir()) == []


def test_an_existing_file_is_never_overwritten(tmp_path):
    (tmp_path / "rapport.md").write_bytes(b"original")
    with pytest.raises(UploadError, match="« rapport.md » existe déjà dans le corpus"):
        save_upload(tmp_path, "rapport.md", b"nouveau")
    assert (tmp_path / "rapport.md").read_bytes() == b"original"


def test_safe_name_keeps_accents_and_spaces():
    assert safe_name("Feuille de route – Carthagène.txt") == "Feuille de route – Carthagène.txt"


def test_the_page_answers_from_a_new_index_without_a_restart(tmp_path, monkeypatch):
    import ingest.embed

    monkeypatch.setattr(ingest.embed, "load_embedder", lambda name=None: FakeEmbedder(name))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("## FINANCE\n\n1. Créer des fonds de garantie.\n",
                                 encoding="utf-8")
    index_dir = tmp_path / "index"
    build(corpus, index_dir, embedder=FakeEmbedder(), show_progress=False)
    monkeypatch.setenv("ESS_INDEX", str(index_dir))
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.run()
    app.text_input(key="question").input("semences paysannes")
    app.button[0].click()
    app.run()
    assert not any("semences" in m.value for m in app.markdown if "ess-card" in m.value)
    (corpus / "b.md").write_text("## ALIMENTATION\n\n1. Protéger les semences paysannes.\n",
                                 encoding="utf-8")
    build(corpus, index_dir, embedder=FakeEmbedder(), show_progress=False)  # an ingest ends
    app.run()  # the next question, in the same session
    assert not app.exception
    assert any("Protéger les semences paysannes." in m.value for m in app.markdown
               if "ess-card" in m.value)
