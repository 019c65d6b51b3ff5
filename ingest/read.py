"""Find the corpus files and decode them into the text every offset refers to.

The offset convention, stated once (docs/format.md repeats it): a passage's
`start`/`end` index the string `read_text(path)` returns, counted in Unicode code
points, that is the file's bytes decoded (UTF-8 with or without BOM, UTF-16 with
a BOM, else the Western encoding charset-normalizer detects: cp1252 / latin-1),
the BOM dropped, line endings turned into "\\n", then normalised to Unicode NFC.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ingest import formats
from ingest.formats import UnreadableFile

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".md", *formats.SUFFIXES)
# Larger files are skipped: 20 MB of text is about 20,000 passages, hours of embedding on
# 2 cores. ESS_MAX_FILE_MB raises the limit.
MAX_FILE_MB = 20
CATALOGUE = "README.md"  # the corpus folder's own description, not a document
# Encodings charset-normalizer may choose between when a file is not UTF-8:
# left free, it reads short French latin-1 text as cp1250 or even UTF-16.
WESTERN = ["utf_8", "cp1252", "latin_1", "iso8859_15"]
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"),
         (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


@dataclass(frozen=True)
class Document:
    path: Path
    source: str  # path relative to the corpus folder, "/"-separated
    text: str
    title: str
    sha256: str
    encoding: str  # the text encoding, or "pdf", "docx", "html"
    pages: tuple[int, ...] = ()  # offset where each page starts (PDF only)


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str


def decode(data: bytes) -> tuple[str, str]:
    """Decode file bytes into normalised text; return (text, encoding).

    >>> decode("Genève\\r\\nça".encode("cp1252"))
    ('Genève\\nça', 'cp1252')
    """
    encoding = _detect(data)
    text = data.decode(encoding)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text), encoding.replace("-sig", "")


def _detect(data: bytes) -> str:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    if b"\x00" in data:
        raise UnreadableFile("fichier binaire (il contient des octets nuls), pas du texte")
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    import charset_normalizer

    best = charset_normalizer.from_bytes(data, cp_isolation=WESTERN).best()
    if best is None:
        raise UnreadableFile("encodage inconnu : enregistrez-le en UTF-8")
    return best.encoding


def read_text(path: Path) -> str:
    """The text of a corpus file, as passage offsets index it."""
    return read_file(path, path.read_bytes())[0]


def read_file(path: Path, data: bytes) -> tuple[str, str, tuple[int, ...]]:
    """(text, encoding or format, page starts) of a corpus file of any supported kind."""
    if path.suffix.lower() in formats.SUFFIXES:
        extracted = formats.extract(path, data)
        return extracted.text, path.suffix.lower().lstrip("."), extracted.pages
    text, encoding = decode(data)
    return text, encoding, ()


def find_files(root: Path) -> list[Path]:
    """Corpus files under `root`: .txt, .md, .pdf, .docx, .html, recursively, in a stable order.

    Hidden files and folders and README.md files (which describe a folder, not a
    report) are left out; symbolic links to folders are not followed (no loops).
    """
    found = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or name.lower() == CATALOGUE.lower():
                continue
            if name.lower().endswith(SUFFIXES):
                found.append(Path(folder) / name)
    return found


def read_corpus(root: Path) -> tuple[list[Document], list[Skipped]]:
    """Read every corpus file; a file that cannot be read is skipped, never fatal."""
    titles = catalogue_titles(root)
    documents, skipped = [], []
    for path in find_files(root):
        source = path.relative_to(root).as_posix()
        try:
            limit = float(os.environ.get("ESS_MAX_FILE_MB") or MAX_FILE_MB)
            size = path.stat().st_size
            if size > limit * 1_000_000:
                raise UnreadableFile(f"fichier trop volumineux ({size / 1_000_000:.0f} Mo, plus "
                                     f"de {limit:g} Mo) : découpez-le, ou relevez la limite avec "
                                     "ESS_MAX_FILE_MB")
            data = path.read_bytes()
            text, encoding, pages = read_file(path, data)
        except (OSError, UnreadableFile, UnicodeDecodeError) as exc:
            skipped.append(Skipped(source, _reason(exc)))
            continue
        if not text.strip():
            skipped.append(Skipped(source, "fichier vide"))
            continue
        title = titles.get(source) or guess_title(path, text)
        digest = hashlib.sha256(data).hexdigest()
        documents.append(Document(path, source, text, title, digest, encoding, pages))
    for item in skipped:
        log.warning("ignoré : %s (%s)", item.source, item.reason)
    return documents, skipped


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnreadableFile):
        return str(exc)
    if isinstance(exc, OSError):
        return f"illisible ({exc.strerror or exc})"
    return "texte invalide dans son encodage détecté : enregistrez-le en UTF-8"


def catalogue_titles(root: Path) -> dict[str, str]:
    """Titles from the table in the corpus folder's README.md.

    The table's first column names the file (as a path relative to the corpus
    folder, backticks allowed) and its column headed "Titre" gives the title.
    """
    path = root / CATALOGUE
    if not path.is_file():
        return {}
    try:
        text = read_text(path)
    except (OSError, UnreadableFile):
        return {}
    titles: dict[str, str] = {}
    title_col = None
    for line in text.splitlines():
        if not line.lstrip().startswith("|"):
            title_col = None
            continue
        cells = [c.strip().strip("`").strip() for c in line.strip().strip("|").split("|")]
        lowered = [c.lower() for c in cells]
        if "titre" in lowered:
            title_col = lowered.index("titre")
        elif title_col is not None and len(cells) > title_col and not set(cells[0]) <= set("-: "):
            titles[cells[0]] = cells[title_col]
    return titles


_H1 = re.compile(r"\A\s*#\s+(.+?)\s*#*\s*$", re.MULTILINE)
# eight or more hex digits mixing letters and digits (a date such as 20240115 is not a hash)
_HASHLIKE = re.compile(r"(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{8,}", re.IGNORECASE)


def guess_title(path: Path, text: str) -> str:
    """A title when the catalogue has none: the leading `# Title`, else the file name.

    A hash-like file name (`000_6635172e3140c73e.txt`) says nothing to a reader:
    the first line of the text stands in for it then.

    >>> guess_title(Path("rapport-annuel_2024.md"), "Texte")
    'Rapport annuel 2024'
    >>> guess_title(Path("000_6635172e3140c73e.txt"), "\\nLes Rencontres 2026\\n")
    'Les Rencontres 2026'
    """
    heading = _H1.match(text)
    if heading:
        return heading.group(1).replace("**", "").strip()
    stem = path.stem
    if not _HASHLIKE.search(stem):
        words = re.sub(r"[_\-]+", " ", stem).strip()
        return words[:1].upper() + words[1:]
    first = next((line.strip() for line in text.splitlines() if line.strip()), stem)
    return first if len(first) <= 80 else first[:79].rsplit(" ", 1)[0] + "…"
