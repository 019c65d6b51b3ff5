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
    import index.embed

    monkeypatch.setattr(index.embed, "load_embedder", lambda name=None: FakeEmbedder(name))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("## FINANCE\n\n1. Créer des fonds de garantie.\n",
                                 encoding="utf-8")
    index_dir = tmp_path / "index"
    build(corpus, index_dir, embedder=FakeEmbedder(), show_progress=False)
    monkeypatch.setenv("ESS_INDEX", str(index_dir))
    app = AppTest.from_file(str(ROOT / "ess" / "page.py"), default_timeout=60)
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


# Adding a document from the page: an upload is kept only when it gives passages.

NEW = "1. Protéger les semences paysannes.\n".encode()
REFUSED = ("Le fichier a été mis de côté ; corrigez-le ou enregistrez-le dans un autre format, "
           "puis réessayez.")


def truncated_docx() -> bytes:
    """A Word file whose main part stops in the middle of its XML."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml",
                         '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
                         'openxmlformats.org/package/2006/content-types"><Default Extension='
                         '"rels" ContentType="application/vnd.openxmlformats-package.'
                         'relationships+xml"/><Default Extension="xml" ContentType="application'
                         '/xml"/><Override PartName="/word/document.xml" ContentType="application'
                         '/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"'
                         '/></Types>')
        archive.writestr("_rels/.rels",
                         '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://'
                         'schemas.openxmlformats.org/package/2006/relationships"><Relationship '
                         'Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                         'relationships/officeDocument" Target="word/document.xml"/>'
                         '</Relationships>')
        archive.writestr("word/document.xml", "<w:document>tronqué")
    return buffer.getvalue()


@pytest.fixture
def indexed(tmp_path, fake_model):
    """A corpus of one document, indexed (fake embedder): (corpus, index folder)."""
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "a.md").write_text("## FINANCE\n\n1. Créer des fonds de garantie solidaires.\n",
                                 encoding="utf-8")
    build(corpus, index_dir, show_progress=False)
    return corpus, index_dir


def still_answers(index_dir, build_before) -> None:
    from index import store
    from index.search import Searcher

    assert store.current(index_dir) == build_before
    (hit,) = Searcher(index_dir).search("fonds de garantie solidaires", 1)
    assert hit.passage.source == "a.md"


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("vide.txt", b"  \r\n\n\t \n", "fichier vide : ajoutez-y du texte"),
    ("rapport.pdf", b"not a pdf", "ce n'est pas un PDF : exportez le document d'origine en PDF"),
    ("faux.pdf", b"%PDF-1.4\n1 0 obj << /Type", "PDF abîmé ou illisible : ré-enregistrez-le "
                                               "depuis son application d'origine"),
    ("Bilan 2024.docx", truncated_docx(), "fichier Word abîmé ou illisible : ré-enregistrez-le "
                                          "depuis son application d'origine"),
])
def test_an_upload_the_ingest_skips_is_refused_and_put_aside(indexed, name, data, reason):
    from index import store
    from ingest.read import find_files
    from ingest.upload import add_document, quarantine_dir

    corpus, index_dir = indexed
    before = store.current(index_dir)
    with pytest.raises(UploadError) as caught:
        add_document(corpus, index_dir, name, data, None)
    assert str(caught.value) == f"« {name} » n'a pas été ajouté : {reason}. {REFUSED}"
    assert str(corpus.parent) not in str(caught.value)
    assert [p.name for p in find_files(corpus)] == ["a.md"]
    assert (quarantine_dir(index_dir) / name).read_bytes() == data
    assert quarantine_dir(index_dir) == index_dir / "quarantine"
    still_answers(index_dir, before)


def test_an_upload_with_only_headings_is_refused_and_the_index_built_without_it(indexed):
    from index import store
    from ingest.upload import add_document, quarantine_dir

    corpus, index_dir = indexed
    with pytest.raises(UploadError) as caught:
        add_document(corpus, index_dir, "titres.md", b"# Titre\n\n## Section\n", None)
    assert str(caught.value) == (
        "« titres.md » n'a pas été ajouté : aucun passage de texte n'en a été tiré (il ne "
        f"contient que des titres ?). {REFUSED}")
    assert sorted(p.name for p in corpus.iterdir()) == ["a.md"]
    assert (quarantine_dir(index_dir) / "titres.md").is_file()
    manifest = store.read_manifest(store.current(index_dir))
    assert list(manifest["files"]) == ["a.md"]  # the build in use never lists it
    still_answers(index_dir, store.current(index_dir))


def test_a_quarantined_file_never_replaces_an_earlier_one(indexed):
    from ingest.upload import add_document, quarantine_dir

    corpus, index_dir = indexed
    for data in (b"", b" ", b"\n"):
        with pytest.raises(UploadError, match="« vide.txt » n'a pas été ajouté : fichier vide"):
            add_document(corpus, index_dir, "vide.txt", data, None)
    folder = quarantine_dir(index_dir)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == {
        "vide.txt": b"", "vide-2.txt": b" ", "vide-3.txt": b"\n"}
    assert sorted(p.name for p in corpus.iterdir()) == ["a.md"]


def test_a_good_upload_is_kept_and_answered_with_its_passage_count(indexed):
    from index.search import Searcher
    from ingest.upload import Added, add_document, quarantine_dir

    corpus, index_dir = indexed
    text = ("# Rapport 2025\n\n## ALIMENTATION\n\n1. Protéger les semences paysannes.\n\n"
            "2. Soutenir les circuits courts.\n")
    added = add_document(corpus, index_dir, "../nouveau.md", text.encode(), None)
    assert added == Added("nouveau.md", 2, "1 ajouté, 0 modifié, 0 supprimé, 1 inchangé")
    assert added.message() == ("nouveau.md ajouté : 2 passages (1 ajouté, 0 modifié, "
                               "0 supprimé, 1 inchangé).")
    assert (corpus / "nouveau.md").read_text(encoding="utf-8") == text
    assert not quarantine_dir(index_dir).exists()
    (hit,) = Searcher(index_dir).search("semences paysannes", 1)
    assert hit.passage.source == "nouveau.md"


def test_a_build_that_fails_leaves_the_corpus_and_the_index_as_they_were(indexed,
                                                                         monkeypatch):
    import index.embed
    from index import store
    from ingest.upload import add_document, quarantine_dir

    corpus, index_dir = indexed
    before = store.current(index_dir)
    monkeypatch.setattr(index.embed, "load_embedder",
                        lambda name=None: FakeEmbedder(name or "fake", fail_after=0))
    with pytest.raises(RuntimeError, match="embedding interrupted"):
        add_document(corpus, index_dir, "nouveau.md", NEW, None)
    assert sorted(p.name for p in corpus.iterdir()) == ["a.md"]
    assert (quarantine_dir(index_dir) / "nouveau.md").is_file()
    still_answers(index_dir, before)


def test_a_build_error_names_the_file_and_no_server_path(indexed, monkeypatch):
    import ingest.build
    from index.errors import IndexUnwritable
    from ingest.upload import add_document

    corpus, index_dir = indexed

    def unwritable(*args, **kwargs):
        raise IndexUnwritable(f"impossible d'écrire l'index dans {index_dir.resolve()} "
                              "(Permission denied)")

    monkeypatch.setattr(ingest.build, "build", unwritable)
    with pytest.raises(UploadError) as caught:
        add_document(corpus, index_dir, "nouveau.md", NEW, None)
    assert str(caught.value) == (
        "« nouveau.md » n'a pas été ajouté : la mise à jour de l'index a échoué (impossible "
        "d'écrire l'index dans le dossier de l'index (Permission denied)). Le fichier a été "
        "mis de côté ; le corpus et l'index en service sont restés tels quels.")
    assert isinstance(caught.value.__cause__, IndexUnwritable)
    assert sorted(p.name for p in corpus.iterdir()) == ["a.md"]


def test_a_name_refused_before_saving_puts_nothing_aside(indexed):
    from ingest.upload import add_document, quarantine_dir

    corpus, index_dir = indexed
    with pytest.raises(UploadError, match="« a.md » existe déjà dans le corpus"):
        add_document(corpus, index_dir, "a.md", b"1. Autre chose.\n", None)
    assert (corpus / "a.md").read_text(encoding="utf-8").startswith("## FINANCE")
    assert not quarantine_dir(index_dir).exists()


def test_a_file_the_index_already_holds_counts_the_passages_of_the_build_in_use(indexed):
    from index import store
    from ingest.upload import Added, add_document

    corpus, index_dir = indexed
    (corpus / "b.md").write_bytes(NEW)
    build(corpus, index_dir, show_progress=False)
    (corpus / "b.md").unlink()  # taken out of the folder, the index not updated since
    before = store.current(index_dir)
    added = add_document(corpus, index_dir, "b.md", NEW, None)
    assert added == Added("b.md", 1, "0 ajouté, 0 modifié, 0 supprimé, 2 inchangés")
    assert store.current(index_dir) == before  # nothing to rebuild
