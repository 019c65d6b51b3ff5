"""Text out of PDF, Word and HTML files, laid out as the splitter reads .txt and .md.

- PDF (pypdf): the pages' text joined by a run of blank lines, the page break the
  splitter already rejoins when it cuts a recommendation; `pages` holds the offset
  where each page starts, so that every passage knows its page (« p. N »). A PDF
  with no text layer (a scan) is refused: OCR is not supported.
- DOCX (python-docx): "Heading n" and "Title" paragraphs become Markdown headings,
  numbered-list paragraphs numbered items, the others paragraphs.
- HTML (BeautifulSoup): the main text only (<main> or <article> when there is one,
  else <body> without navigation, header, footer, asides, scripts and styles),
  headings as Markdown headings, ordered-list items numbered.

Offsets of such files index the text returned here (after NFC), which
`ingest.read.read_text` returns too, so their citations check out like the others.

Each reader checks its file against `ingest.limits.Limits` before the costly step:
a Word file's unzipped size before unzipping, a PDF's page count before extracting,
an HTML page's nesting before building its tree, and the extracted text's length.

A file whose bytes are not of the kind its name says (an image named .pdf, a text named
.docx) is told so (« ce n'est pas un PDF »), not called damaged: the first bytes are
checked before any parser runs. Every reason says what to do; the parser's own error
stays in the log (the UnreadableFile's cause).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from ingest.limits import Limits

PAGE_BREAK = "\n\n\n\n"
SUFFIXES = (".pdf", ".docx", ".html", ".htm")


class UnreadableFile(Exception):
    """A file that cannot be turned into text; the message says why, in French."""


@dataclass(frozen=True)
class Extracted:
    text: str
    pages: tuple[int, ...] = ()  # offset where each page starts (PDF only)


def extract(path: Path, data: bytes, limits: Limits | None = None) -> Extracted:
    """The text of a PDF, DOCX or HTML file, normalised as ingest.read does (NFC, "\\n")."""
    limits = limits or Limits()
    suffix = path.suffix.lower()
    _check_kind(suffix, data)
    if suffix == ".pdf":
        extracted = _pdf(data, limits)
    elif suffix == ".docx":
        extracted = Extracted(normalise(_docx(data, limits)))
    else:
        extracted = Extracted(normalise(_html(data, limits)))
    _check_text(len(extracted.text), limits)
    return extracted


RESAVE = "ré-enregistrez-le depuis son application d'origine, ou retirez-le du dossier"
# The first bytes of the kinds of files most often misnamed, and what to call them.
MAGIC = ((b"%PDF", "un PDF"), (b"PK\x03\x04", "une archive ZIP ou un document Office"),
         (b"\xd0\xcf\x11\xe0", "un ancien document Office (.doc, .xls)"),
         (b"\x89PNG", "une image PNG"), (b"\xff\xd8\xff", "une image JPEG"),
         (b"GIF8", "une image GIF"), (b"{\\rtf", "un document RTF"))


def _check_kind(suffix: str, data: bytes) -> None:
    """Refuse a PDF or Word file whose first bytes say it is something else.

    A PDF's header may follow up to 1,024 bytes of anything (readers accept that); a
    .docx is a ZIP archive.

    >>> _check_kind(".pdf", b"\\x89PNG\\r\\n\\x1a\\n")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ingest.formats.UnreadableFile: ce n'est pas un PDF mais une image PNG : ...
    >>> _check_kind(".docx", b"Bonjour")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ingest.formats.UnreadableFile: ce n'est pas un document Word (.docx) : ...
    """
    if suffix == ".pdf" and b"%PDF" not in data[:1024]:
        raise UnreadableFile(f"ce n'est pas un PDF{_actually(data)} : exportez le document "
                             "d'origine en PDF, ou retirez-le du dossier")
    if suffix == ".docx" and not data.startswith(b"PK\x03\x04"):
        raise UnreadableFile(f"ce n'est pas un document Word (.docx){_actually(data)} : "
                             "ouvrez-le dans Word ou LibreOffice et enregistrez-le au format "
                             ".docx, ou retirez-le du dossier")


def _actually(data: bytes) -> str:
    """« mais une image PNG » when the first bytes say what the file is."""
    kind = next((name for magic, name in MAGIC if data.startswith(magic)), None)
    return f" mais {kind}" if kind else ""


def _check_text(length: int, limits: Limits) -> None:
    if length > limits.text_mb * 1_000_000:
        raise UnreadableFile(limits.reason("texte extrait trop long",
                                           f"{length / 1_000_000:.0f} millions de caractères",
                                           "text_mb", " millions"))


def normalise(text: str) -> str:
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def _pdf(data: bytes, limits: Limits) -> Extracted:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        count = len(reader.pages)
        if count > limits.pdf_pages:
            raise UnreadableFile(limits.reason("PDF trop long", f"{count} pages", "pdf_pages",
                                               " pages"))
        texts, length = [], 0
        for page in reader.pages:  # stops as soon as the text is over the limit
            texts.append(normalise(page.extract_text() or "").strip())
            length += len(texts[-1])
            _check_text(length, limits)
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, NotImplementedError) as exc:
        raise UnreadableFile(f"PDF abîmé ou illisible : {RESAVE}") from exc
    if not any(texts):
        raise UnreadableFile("PDF sans couche de texte (document numérisé ?) : la "
                             "reconnaissance de caractères (OCR) n'est pas prise en charge ; "
                             "passez-le dans un logiciel d'OCR, ou retirez-le du dossier")
    starts, offset = [], 0
    for text in texts:
        starts.append(offset)
        offset += len(text) + len(PAGE_BREAK)
    return Extracted(PAGE_BREAK.join(texts), tuple(starts))


def _docx(data: bytes, limits: Limits) -> str:
    import io
    import zipfile
    import zlib

    import docx
    from lxml.etree import LxmlError

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            # zipfile never inflates an entry past the size its header declares (a lie
            # fails the CRC check), so the declared sizes bound what unzipping costs.
            unzipped = sum(entry.file_size for entry in archive.infolist())
        if unzipped > limits.unzipped_mb * 1_000_000:
            raise UnreadableFile(limits.reason("fichier Word trop volumineux une fois "
                                               "décompressé", f"{unzipped / 1_000_000:.0f} Mo",
                                               "unzipped_mb", " Mo"))
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, zlib.error, LxmlError, KeyError, ValueError, EOFError) as exc:
        raise UnreadableFile(f"fichier Word abîmé ou illisible : {RESAVE}") from exc
    blocks, number = [], 0
    for paragraph in document.paragraphs:
        text = " ".join(paragraph.text.split())
        style = (paragraph.style.name or "") if paragraph.style is not None else ""
        if not text:
            continue
        heading = re.fullmatch(r"Heading (\d)", style)
        if heading or style == "Title":
            blocks.append("#" * (int(heading.group(1)) + 1 if heading else 1) + " " + text)
            number = 0
        elif style.startswith("List Number"):
            number += 1
            blocks.append(f"{number}. {text}")
        else:
            number = 0 if not style.startswith("List") else number
            blocks.append(("- " if style.startswith("List") else "") + text)
    return "\n\n".join(blocks)


def _html(data: bytes, limits: Limits) -> str:
    from bs4 import BeautifulSoup

    _check_depth(data, limits)
    soup = BeautifulSoup(data, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "nav", "header", "footer",
                     "aside", "form"]):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    blocks = []
    for element in root.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "blockquote",
                                  "pre", "td"]):
        if element.find_parent(["li", "p", "blockquote", "td"]) is not None:
            continue  # its text is in the enclosing block
        text = " ".join(element.get_text().split())  # inline tags (<b>, <a>) add no space
        if not text:
            continue
        if element.name[0] == "h":
            blocks.append("#" * int(element.name[1]) + " " + text)
        elif element.name == "li" and element.parent is not None and element.parent.name == "ol":
            position = [li for li in element.parent.find_all("li", recursive=False)]
            blocks.append(f"{position.index(element) + 1}. {text}")
        elif element.name == "li":
            blocks.append(f"- {text}")
        else:
            blocks.append(text)
    return "\n\n".join(blocks)


class _Depth(HTMLParser):
    """How deeply elements nest, counted as the tokenizer reads (no tree is built).

    Elements whose end tag HTML lets a writer leave out (<p>, <li>, <td>…) and void
    elements (<br>, <img>…) are not counted: a page of a thousand unclosed <p> is flat.
    """

    UNCOUNTED = frozenset("area base br col embed hr img input link meta source track wbr "
                          "p li dt dd tr td th thead tbody tfoot option optgroup colgroup rp "
                          "rt html head body".split())

    def __init__(self, limit: int) -> None:
        super().__init__(convert_charrefs=False)
        self.limit, self.depth, self.deepest = limit, 0, 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag not in self.UNCOUNTED:
            self.depth += 1
            self.deepest = max(self.deepest, self.depth)
            if self.depth > self.limit:
                raise _TooDeep

    def handle_endtag(self, tag) -> None:
        if tag not in self.UNCOUNTED and self.depth:
            self.depth -= 1


class _TooDeep(Exception):
    pass


def _check_depth(data: bytes, limits: Limits) -> None:
    """Refuse a page nested deeper than the limit, before BeautifulSoup builds its tree.

    >>> _check_depth(b"<div><p>" * 500, Limits())  # <p> is not counted
    >>> _check_depth(b"<div>" * 600, Limits())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ingest.formats.UnreadableFile: page HTML trop imbriquée (plus de 512 niveaux) : ...
    """
    parser = _Depth(limits.html_depth)
    try:
        parser.feed(data.decode("utf-8", "replace"))
        parser.close()
    except _TooDeep:
        raise UnreadableFile(limits.reason(
            "page HTML trop imbriquée", None, "html_depth",
            " niveaux", fix="simplifiez-la")) from None
