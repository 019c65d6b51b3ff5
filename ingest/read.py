"""Find the corpus files and decode them into the text every offset refers to.

The offset convention, stated once (docs/format.md repeats it): a passage's
`start`/`end` index the string `read_text(path)` returns, counted in Unicode code
points, that is the file's bytes decoded (UTF-8 with or without BOM, UTF-16 with
a BOM, else the Western encoding charset-normalizer detects: cp1252 / latin-1),
the BOM dropped, line endings turned into "\\n", then normalised to Unicode NFC.
Bytes that are invalid in that encoding become U+FFFD (« � »), one per byte: the rest
of the file is kept, and the ingest says how many were replaced and on which lines.

Every reader runs behind one boundary (`read_one`): whatever goes wrong while one
file is read (a parse error, a decompression error, recursion, memory) skips that
file with a French reason, and the ingest goes on. The limits of `ingest.limits`
are checked before the costly steps.
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
from ingest.limits import Limits

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".md", *formats.SUFFIXES)
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
    replaced: tuple[int, ...] = ()  # line of each invalid byte replaced by U+FFFD (text only)

    def repair_note(self) -> str | None:
        """What the ingest says of a file whose invalid bytes were replaced, if any.

        >>> document = Document(Path("a.txt"), "a.txt", "", "", "", "utf-8", replaced=(2, 2, 9))
        >>> print(document.repair_note())  # doctest: +NORMALIZE_WHITESPACE
        a.txt : 3 octets invalides en utf-8 remplacés par « � » (lignes 2, 9) ; le reste du
        texte est indexé
        """
        if not self.replaced:
            return None
        lines = sorted(set(self.replaced))
        shown = ", ".join(map(str, lines[:10])) + (" …" if len(lines) > 10 else "")
        count = len(self.replaced)
        return (f"{self.source} : {count} octet{'s' * (count > 1)} invalide{'s' * (count > 1)} "
                f"en {self.encoding} remplacé{'s' * (count > 1)} par « � » "
                f"(ligne{'s' * (len(lines) > 1)} {shown}) ; le reste du texte est indexé")


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str


def decode(data: bytes) -> tuple[str, str]:
    """Decode file bytes into normalised text; return (text, encoding).

    >>> decode("Genève\\r\\nça".encode("cp1252"))
    ('Genève\\nça', 'cp1252')
    >>> decode("Créer des fonds ".encode() + b"\\xff !")
    ('Créer des fonds � !', 'utf-8')
    """
    text, encoding, _ = decode_counting(data)
    return text, encoding


def decode_counting(data: bytes) -> tuple[str, str, tuple[int, ...]]:
    """(text, encoding, line of each invalid byte): `decode`, saying what it replaced.

    Each byte invalid in the encoding becomes U+FFFD. Lines are counted in the
    returned text, from 1.
    """
    encoding = _detect(data)
    text = data.decode(encoding, errors="surrogateescape")  # bad bytes: U+DC80–U+DCFF
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    replaced: tuple[int, ...] = ()
    if _ESCAPED.search(text):
        replaced = tuple(text.count("\n", 0, m.start()) + 1 for m in _ESCAPED.finditer(text))
        text = _ESCAPED.sub("\ufffd", text)
    return unicodedata.normalize("NFC", text), encoding.replace("-sig", ""), replaced


_ESCAPED = re.compile("[\udc80-\udcff]")


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
    if _mostly_utf8(data):
        return "utf-8"  # a few bad bytes in a UTF-8 text: they are replaced, not the file lost
    import charset_normalizer

    best = charset_normalizer.from_bytes(data, cp_isolation=WESTERN).best()
    if best is not None:
        return best.encoding
    encoding = _least_damaged(data)
    if encoding is None:
        raise UnreadableFile("encodage inconnu : enregistrez-le en UTF-8")
    return encoding


def _least_damaged(data: bytes) -> str | None:
    """UTF-8 or cp1252, whichever reads the bytes with less damage, if that is under 1 %.

    Damage is the invalid bytes and the control characters (other than tabs and line
    breaks) a reading gives: a text with a few stray bytes that charset detection
    gives up on is read, while random bytes are not.

    >>> text = "Égalité et économie sociale. " * 10 + "\\x01"
    >>> _least_damaged(text.encode("cp1252")), _least_damaged(bytes(range(1, 256)))
    ('cp1252', None)
    """
    damage = {}
    for encoding in ("utf_8", "cp1252"):
        text = data.decode(encoding, errors="surrogateescape")
        damage[encoding] = len(_DAMAGE.findall(text)) / max(len(text), 1)
    best = min(damage, key=damage.get)
    return best if damage[best] <= 0.01 else None


_DAMAGE = re.compile("[\udc80-\udcff\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def _mostly_utf8(data: bytes) -> bool:
    """True when there are at least as many valid UTF-8 sequences beyond ASCII as invalid bytes.

    A cp1252 or latin-1 French text has no valid multi-byte sequence at all (« é » is
    one byte there), so it goes on to charset detection.

    >>> _mostly_utf8("Économie sociale, égalité".encode() + b"\\x92")
    True
    >>> _mostly_utf8("Économie".encode("cp1252"))
    False
    """
    text = data.decode("utf-8", errors="surrogateescape")
    invalid = len(_ESCAPED.findall(text))
    valid = sum(ord(c) > 0x7F for c in text) - invalid
    return valid > 0 and valid >= invalid


def read_text(path: Path) -> str:
    """The text of a corpus file, as passage offsets index it."""
    return read_file(path, path.read_bytes())[0]


def read_file(path: Path, data: bytes,
              limits: Limits | None = None) -> tuple[str, str, tuple[int, ...]]:
    """(text, encoding or format, page starts) of a corpus file of any supported kind."""
    text, encoding, pages, _ = _read(path, data, limits or Limits())
    return text, encoding, pages


def _read(path: Path, data: bytes, limits: Limits):
    if path.suffix.lower() in formats.SUFFIXES:
        extracted = formats.extract(path, data, limits)
        return extracted.text, path.suffix.lower().lstrip("."), extracted.pages, ()
    text, encoding, replaced = decode_counting(data)
    return text, encoding, (), replaced


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
    limits = Limits.from_env()  # a wrong setting is the user's to fix: an error, not a skip
    documents, skipped = [], []
    for path in find_files(root):
        outcome = read_one(root, path, limits, titles)
        (documents if isinstance(outcome, Document) else skipped).append(outcome)
    for item in skipped:
        log.warning("ignoré : %s (%s)", item.source, item.reason)
    for document in documents:
        if document.replaced:
            log.warning("%s", document.repair_note())
    return documents, skipped


def read_one(root: Path, path: Path, limits: Limits,
             titles: dict[str, str] | None = None) -> Document | Skipped:
    """One corpus file as a Document, or Skipped with its reason: nothing else, ever.

    This is the boundary every reader runs behind: any exception raised while the
    file is read (pypdf's, lxml's, zipfile's, a RecursionError, a MemoryError) skips
    this file alone.
    """
    source = path.relative_to(root).as_posix()
    try:
        size = path.stat().st_size
        if size > limits.file_mb * 1_000_000:
            raise UnreadableFile(limits.reason("fichier trop volumineux",
                                               f"{size / 1_000_000:.0f} Mo", "file_mb", " Mo"))
        data = path.read_bytes()
        text, encoding, pages, replaced = _read(path, data, limits)
    except Exception as exc:  # the boundary: see the docstring
        if not isinstance(exc, UnreadableFile | OSError):
            log.debug("reading %s failed", source, exc_info=True)
        return Skipped(source, _reason(exc))
    if not text.strip():
        return Skipped(source, "fichier vide")
    title = (titles or {}).get(source) or guess_title(path, text)
    digest = hashlib.sha256(data).hexdigest()
    return Document(path, source, text, title, digest, encoding, pages, replaced)


def _reason(exc: Exception) -> str:
    """The French reason a file is skipped: what went wrong and what to do."""
    if isinstance(exc, UnreadableFile):
        return str(exc)
    if isinstance(exc, OSError):
        return f"illisible ({exc.strerror or exc})"
    if isinstance(exc, MemoryError):
        return "trop gros pour la mémoire disponible : découpez-le"
    if isinstance(exc, RecursionError):
        return "structure trop profonde pour être lue : simplifiez-le ou enregistrez-le en PDF"
    return (f"abîmé ou illisible ({type(exc).__name__}) : ouvrez-le et enregistrez-le à "
            "nouveau, ou dans un autre format")


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
