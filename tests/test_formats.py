"""PDF, Word and HTML files: text, structure, page numbers, refusals (fixtures made here)."""

from __future__ import annotations

import pytest

from index.config import SplitConfig
from index.text import collapse
from ingest.build import passages_of
from ingest.read import read_corpus, read_text


def pdf(path, pages):
    from fpdf import FPDF

    document = FPDF()
    document.set_font("Helvetica", size=12)
    for lines in pages:
        document.add_page()
        for line in lines:
            document.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    document.output(str(path))


def scanned_pdf(path, tmp_path):
    from fpdf import FPDF
    from PIL import Image

    picture = tmp_path / "scan.png"
    Image.new("RGB", (200, 100), "white").save(picture)
    document = FPDF()
    document.add_page()
    document.image(str(picture), x=10, y=10, w=100)
    document.output(str(path))


def docx_file(path):
    import docx

    document = docx.Document()
    document.add_heading("Rapport annuel", level=0)
    document.add_heading("Finance solidaire", level=1)
    document.add_paragraph("Le réseau a formulé deux propositions.")
    document.add_paragraph("Créer un fonds de garantie pour les coopératives.",
                           style="List Number")
    document.add_paragraph("Former les élus au microcrédit.", style="List Number")
    document.add_heading("Égalité", level=1)
    document.add_paragraph("Promouvoir le leadership féminin.", style="List Number")
    document.save(str(path))


HTML = """<html><head><title>Rapport</title><style>p {color: red}</style>
<script>var tracker = "ne pas indexer";</script></head><body>
<nav>Accueil · Contact</nav><header>Bandeau du site</header>
<main><h1>Rapport ESS</h1><h2>Finance</h2>
<p>Les banques coopératives prêtent aux associations.</p>
<ol><li>Créer un fonds de garantie.</li><li>Former les élus au <b>microcrédit</b>.</li></ol>
</main><footer>Mentions légales</footer></body></html>"""


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    pdf(folder / "feuille.pdf", [
        ["FINANCE", "1. Creer des fonds de garantie pour les"],
        ["cooperatives agricoles du territoire.", "2. Former les elus au microcredit."]])
    scanned_pdf(folder / "scan.pdf", tmp_path)
    (folder / "abime.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog")
    docx_file(folder / "rapport.docx")
    (folder / "abime.docx").write_bytes(b"PK\x03\x04 pas vraiment un zip")
    (folder / "page.html").write_text(HTML, encoding="utf-8")
    return folder


@pytest.fixture
def read(corpus):
    documents, skipped = read_corpus(corpus)
    return ({d.source: d for d in documents}, {s.source: s.reason for s in skipped})


def layout(document):
    return [(p.section, p.item, p.page, p.text) for p in passages_of(document, SplitConfig())]


def test_a_pdf_keeps_its_pages_and_rejoins_a_recommendation_cut_by_a_page_break(read):
    documents, _ = read
    assert layout(documents["feuille.pdf"]) == [
        ("Finance", 1, 1, "Creer des fonds de garantie pour les cooperatives agricoles du "
                          "territoire."),
        ("Finance", 2, 2, "Former les elus au microcredit.")]
    passage = passages_of(documents["feuille.pdf"], SplitConfig())[1]
    assert passage.citation().endswith("› recommandation n° 2 › p. 2")


def test_unreadable_pdfs_and_word_files_are_skipped_with_their_reason(read):
    _, skipped = read
    resave = "ré-enregistrez-le depuis son application d'origine, ou retirez-le du dossier"
    assert skipped == {
        "scan.pdf": "PDF sans couche de texte (document numérisé ?) : la reconnaissance de "
                    "caractères (OCR) n'est pas prise en charge ; passez-le dans un logiciel "
                    "d'OCR, ou retirez-le du dossier",
        "abime.pdf": f"PDF abîmé ou illisible : {resave}",
        "abime.docx": f"fichier Word abîmé ou illisible : {resave}"}


def test_word_headings_become_sections_and_numbered_lists_items(read):
    documents, _ = read
    document = documents["rapport.docx"]
    assert document.title == "Rapport annuel"
    assert layout(document) == [
        ("Finance solidaire", None, None, "Le réseau a formulé deux propositions."),
        ("Finance solidaire", 1, None, "Créer un fonds de garantie pour les coopératives."),
        ("Finance solidaire", 2, None, "Former les élus au microcrédit."),
        ("Égalité", 1, None, "Promouvoir le leadership féminin.")]


def test_html_gives_the_main_text_with_its_headings_and_numbered_items(read):
    documents, _ = read
    document = documents["page.html"]
    assert document.title == "Rapport ESS"
    assert layout(document) == [
        ("Finance", None, None, "Les banques coopératives prêtent aux associations."),
        ("Finance", 1, None, "Créer un fonds de garantie."),
        ("Finance", 2, None, "Former les élus au microcrédit.")]
    for noise in ("tracker", "Accueil", "Bandeau", "Mentions", "color"):
        assert noise not in document.text


def test_citations_of_every_format_check_out(read, corpus):
    documents, _ = read
    assert set(documents) == {"feuille.pdf", "rapport.docx", "page.html"}
    for document in documents.values():
        text = read_text(corpus / document.source)
        assert text == document.text
        for p in passages_of(document, SplitConfig()):
            assert collapse(text[p.start:p.end]) == p.text


def test_a_file_over_the_size_limit_is_skipped_with_the_way_out(tmp_path, monkeypatch):
    monkeypatch.setenv("ESS_MAX_FILE_MB", "0.001")  # 1,000 bytes
    (tmp_path / "gros.txt").write_text("Une phrase sur les coopératives. " * 100, encoding="utf-8")
    (tmp_path / "petit.txt").write_text("Une phrase.", encoding="utf-8")
    documents, skipped = read_corpus(tmp_path)
    assert [d.source for d in documents] == ["petit.txt"]
    assert [(s.source, s.reason) for s in skipped] == [
        ("gros.txt", "fichier trop volumineux (0 Mo, plus de 0.001 Mo) : découpez-le, ou "
                     "relevez la limite avec ESS_MAX_FILE_MB")]


def test_strict_ingest_refuses_unreadable_files_and_writes_nothing(corpus, tmp_path, capsys,
                                                                   fake_model):
    from ess.cli import main

    code = main(["ingest", str(corpus), "--index", str(tmp_path / "index"), "--quiet",
                 "--strict"])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("Erreur : 3 fichier(s) illisible(s) et --strict : ")
    assert "scan.pdf (PDF sans couche de texte" in err
    assert [p.name for p in (tmp_path / "index").iterdir()] == ["ingest.lock"]  # no build
    assert main(["ingest", str(corpus), "--index", str(tmp_path / "index"), "--quiet"]) == 0
    assert capsys.readouterr().err.count("Ignoré : ") == 3
