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
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

PAGE_BREAK = "\n\n\n\n"
SUFFIXES = (".pdf", ".docx", ".html", ".htm")


class UnreadableFile(Exception):
    """A file that cannot be turned into text; the message says why, in French."""


@dataclass(frozen=True)
class Extracted:
    text: str
    pages: tuple[int, ...] = ()  # offset where each page starts (PDF only)


def extract(path: Path, data: bytes) -> Extracted:
    """The text of a PDF, DOCX or HTML file, normalised as ingest.read does (NFC, "\\n")."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return _pdf(data)
    if suffix == ".docx":
        return Extracted(normalise(_docx(data)))
    return Extracted(normalise(_html(data)))


def normalise(text: str) -> str:
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def _pdf(data: bytes) -> Extracted:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        texts = [normalise(page.extract_text() or "").strip() for page in reader.pages]
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise UnreadableFile(f"PDF abîmé ou illisible ({type(exc).__name__})") from None
    if not any(texts):
        raise UnreadableFile("PDF sans couche de texte (document numérisé ?) : la "
                             "reconnaissance de caractères (OCR) n'est pas prise en charge")
    starts, offset = [], 0
    for text in texts:
        starts.append(offset)
        offset += len(text) + len(PAGE_BREAK)
    return Extracted(PAGE_BREAK.join(texts), tuple(starts))


def _docx(data: bytes) -> str:
    import io
    import zipfile

    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise UnreadableFile(f"fichier Word abîmé ou illisible ({type(exc).__name__})") from None
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


def _html(data: bytes) -> str:
    from bs4 import BeautifulSoup

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
