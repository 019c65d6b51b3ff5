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

The corpus stays inside the corpus folder (`walk`): a symbolic link that leads out of it
is left out with its reason unless links are to be followed (`ess ingest --follow-links`),
a file reached twice (by its path and through a link) is read once, and link loops end.
A folder or file that cannot be read is listed with a reason in French (`os_reason`: the
operating system's English message and the exception's class stay in the log).
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from index.errors import CorpusError
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
    source: str  # a file, or a folder ending with "/"
    reason: str  # in French: what went wrong and what to do
    detail: str = ""  # the technical cause, for the log only


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
        raise UnreadableFile("fichier binaire (il contient des octets nuls), pas du texte : "
                             "enregistrez-le en texte (.txt), ou retirez-le du dossier")
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
        raise UnreadableFile("encodage inconnu : enregistrez-le en UTF-8, ou retirez-le du "
                             "dossier")
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


def find_files(root: Path, follow_links: bool = False) -> list[Path]:
    """Corpus files under `root`: .txt, .md, .pdf, .docx, .html, recursively, in a stable order.

    Hidden files and folders and README.md files (which describe a folder, not a
    report) are left out; see `walk` for symbolic links.
    """
    return walk(root, follow_links)[0]


def walk(root: Path, follow_links: bool = False) -> tuple[list[Path], list[Skipped]]:
    """(corpus files, what was left out with its reason) under `root`.

    The corpus stays inside the corpus: a symbolic link (to a file or a folder) whose
    target lies outside `root` is left out with a reason, unless `follow_links`. A file
    reached twice (by its path and through a link) is listed once, by its own path when
    it has one in the corpus. A link to a folder that contains it, or a link loop, is not
    followed again: the walk always ends. A folder that cannot be listed is left out with
    a reason; `root` itself then is a CorpusError.
    """
    top = root.resolve()
    files: list[tuple[Path, Path]] = []  # (path found, the real file it leads to)
    skipped: list[Skipped] = []
    linked: set[Path] = set()  # real folders already walked through a link

    def visit(folder: Path, real: Path, chain: frozenset[Path]) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError as exc:
            log.warning("cannot list %s: %r", folder, exc)
            if folder == root:
                raise CorpusError(f"le dossier du corpus {root} est illisible "
                                  f"({os_reason(exc)}) : {_fix(exc, folder=True)}, ou "
                                  "indiquez un autre dossier") from None
            skipped.append(Skipped(_source(root, folder) + "/",
                                   f"dossier illisible ({os_reason(exc)}) : "
                                   f"{_fix(exc, folder=True)}, ou retirez-le du corpus"))
            return
        folders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            target = real / entry.name
            if entry.is_symlink():
                target = _link_target(root, path, entry.name, skipped)
                if target is None:
                    continue
                if not follow_links and not target.is_relative_to(top):
                    if _is_dir(target) or _wanted(entry.name):
                        what = "dossier" if _is_dir(target) else "fichier"
                        log.warning("link %s leads out of the corpus, to %s", path, target)
                        skipped.append(Skipped(_source(root, path), OUTSIDE.format(what=what)))
                    continue
            if _is_dir(path):
                folders.append((path, target, entry.is_symlink()))
            elif _wanted(entry.name):
                files.append((path, target))
        for path, target, link in folders:  # a folder's files first, then its sub-folders
            if target in chain or (link and target in linked):
                log.debug("folder %s already walked (link to %s)", path, target)
                continue
            if link:
                linked.add(target)
            visit(path, target, chain | {target})

    visit(root, top, frozenset({top}))
    own = {target for path, target in files if top / _source(root, path) == target}
    found, taken = [], set()
    for path, target in files:
        plain = top / _source(root, path) == target
        if target in taken or (not plain and target in own):
            log.debug("%s is read once, by another path (%s)", path, target)
            continue
        taken.add(target)
        found.append(path)
    return found, skipped


OUTSIDE = ("lien symbolique vers un {what} hors du dossier du corpus : copiez-le dans le "
           "corpus, ou relancez avec --follow-links pour suivre ces liens")


def _wanted(name: str) -> bool:
    return (not name.startswith(".") and name.lower() != CATALOGUE.lower()
            and name.lower().endswith(SUFFIXES))


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def _source(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def _link_target(root: Path, path: Path, name: str, skipped: list[Skipped]) -> Path | None:
    """Where a symbolic link leads, or None (and a reason when it names a document or
    has no suffix, as a folder's name) when it leads nowhere: broken, or a loop."""
    try:
        return path.resolve(strict=True)
    except (OSError, RuntimeError) as exc:  # RuntimeError: a loop, before Python 3.13
        if isinstance(exc, RuntimeError):
            exc = OSError(errno.ELOOP, os.strerror(errno.ELOOP))
        log.warning("link %s leads nowhere: %r", path, exc)
        if _wanted(name) or "." not in name:
            reason = (os_reason(exc) if exc.errno == errno.ELOOP
                      else "lien symbolique cassé (sa cible n'existe pas)")
            skipped.append(Skipped(_source(root, path), f"{reason} : corrigez ce lien ou "
                                   "supprimez-le", repr(exc)))
        return None


def read_corpus(root: Path, follow_links: bool = False) -> tuple[list[Document], list[Skipped]]:
    """Read every corpus file; a file that cannot be read is skipped, never fatal.

    A folder that cannot be listed, a link out of the corpus (without `follow_links`)
    and an unreadable README.md are listed among the skipped, each with its reason.
    """
    limits = Limits.from_env()  # a wrong setting is the user's to fix: an error, not a skip
    paths, left_out = walk(root, follow_links)  # first: an unreadable `root` is an error
    titles, skipped = _catalogue(root, follow_links)
    skipped += left_out
    documents = []
    for path in paths:
        outcome = read_one(root, path, limits, titles)
        (documents if isinstance(outcome, Document) else skipped).append(outcome)
    for item in skipped:
        log.warning("ignoré : %s (%s)%s", item.source, item.reason,
                    f" [{item.detail}]" if item.detail else "")
    for document in documents:
        if document.replaced:
            log.warning("%s", document.repair_note())
    return documents, skipped


def read_one(root: Path, path: Path, limits: Limits,
             titles: dict[str, str] | None = None) -> Document | Skipped:
    """One corpus file as a Document, or Skipped with its reason: nothing else, ever.

    This is the boundary every reader runs behind: any exception raised while the
    file is read (pypdf's, lxml's, zipfile's, a RecursionError, a MemoryError) skips
    this file alone; its technical detail goes to the log, not into the reason.
    """
    source = path.relative_to(root).as_posix()
    try:
        size = path.stat().st_size
        if size > limits.file_mb * 1_000_000:
            raise UnreadableFile(limits.reason("fichier trop volumineux",
                                               f"{size / 1_000_000:.0f} Mo", "file_mb", " Mo"))
        data = path.read_bytes()
        if not data:
            raise UnreadableFile(EMPTY)
        text, encoding, pages, replaced = _read(path, data, limits)
    except Exception as exc:  # the boundary: see the docstring
        if not isinstance(exc, UnreadableFile | OSError):
            log.debug("reading %s failed", source, exc_info=True)
        cause = exc.__cause__ if isinstance(exc, UnreadableFile) else exc
        return Skipped(source, _reason(exc), f"{type(cause).__name__}: {cause}" if cause else "")
    if not text.strip():
        return Skipped(source, EMPTY)
    title = (titles or {}).get(source) or guess_title(path, text)
    digest = hashlib.sha256(data).hexdigest()
    return Document(path, source, text, title, digest, encoding, pages, replaced)


REMOVE = ", ou retirez-le du dossier"  # the last way out of most reasons
EMPTY = f"fichier vide : ajoutez-y du texte{REMOVE}"


def _reason(exc: Exception) -> str:
    """The French reason a file is skipped: what went wrong and what to do."""
    if isinstance(exc, UnreadableFile):
        return str(exc)
    if isinstance(exc, OSError):
        return f"illisible ({os_reason(exc)}) : {_fix(exc)}"
    if isinstance(exc, MemoryError):
        return "trop gros pour la mémoire disponible : découpez-le"
    if isinstance(exc, RecursionError):
        return "structure trop profonde pour être lue : simplifiez-le ou enregistrez-le en PDF"
    return ("abîmé ou illisible : ouvrez-le et enregistrez-le à nouveau, ou dans un autre "
            "format, ou retirez-le du dossier")


# What an operating-system error means, in French (strerror is the C library's English).
ERRNO = {
    errno.EACCES: "accès refusé",
    errno.EPERM: "accès refusé",
    errno.ELOOP: "lien symbolique en boucle",
    errno.ENOENT: "introuvable",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.EISDIR: "c'est un dossier",
    errno.ENOSPC: "disque plein",
    errno.EDQUOT: "quota du disque dépassé",
    errno.EROFS: "disque en lecture seule",
    errno.EIO: "erreur de lecture ou d'écriture du disque",
    errno.ENAMETOOLONG: "nom trop long",
    errno.EMFILE: "trop de fichiers ouverts",
    errno.ENFILE: "trop de fichiers ouverts",
}


def os_reason(exc: OSError) -> str:
    """An operating-system error in French, without its English message or class name.

    >>> os_reason(PermissionError(13, "Permission denied")), os_reason(OSError(5, "EIO"))
    ('accès refusé', "erreur de lecture ou d'écriture du disque")
    >>> os_reason(OSError(71, "Protocol error")), os_reason(OSError("?"))
    ('erreur système n° 71', 'erreur système')
    """
    if exc.errno in ERRNO:
        return ERRNO[exc.errno]
    return f"erreur système n° {exc.errno}" if exc.errno else "erreur système"


def _fix(exc: OSError, folder: bool = False) -> str:
    """What to do about an operating-system error on a corpus file or folder."""
    if exc.errno in (errno.EACCES, errno.EPERM):
        return ("donnez-vous le droit de le lire (chmod u+rx)" if folder
                else "donnez-vous le droit de le lire (chmod u+r), ou retirez-le du dossier")
    if exc.errno == errno.ELOOP:
        return "corrigez ce lien ou supprimez-le"
    if exc.errno == errno.ENOENT:
        return "il a été déplacé ou supprimé pendant la lecture ; relancez l'ingest"
    if folder:
        return "vérifiez le disque"
    return "vérifiez le disque et relancez l'ingest, ou retirez-le du dossier"


def _catalogue(root: Path, follow_links: bool) -> tuple[dict[str, str], list[Skipped]]:
    """The README.md table's titles, and its reason when it cannot be read."""
    path = root / CATALOGUE
    try:
        if path.is_symlink() and not follow_links:
            target = _link_target(root, path, CATALOGUE, [])
            if target is not None and not target.is_relative_to(root.resolve()):
                return {}, [Skipped(CATALOGUE, OUTSIDE.format(what="fichier"))]
        return catalogue_titles(root, strict=True), []
    except (OSError, UnreadableFile) as exc:
        unreadable = isinstance(exc, OSError)
        reason = (f"illisible ({os_reason(exc)})" if unreadable else "illisible comme texte")
        fix = _fix(exc) if unreadable else "enregistrez-le en UTF-8"
        return {}, [Skipped(CATALOGUE, f"{reason} : les titres de son tableau ne sont pas "
                                       f"repris ; {fix}", repr(exc))]


def catalogue_titles(root: Path, strict: bool = False) -> dict[str, str]:
    """Titles from the table in the corpus folder's README.md.

    The table's first column names the file (as a path relative to the corpus
    folder, backticks allowed) and its column headed "Titre" gives the title.
    A README.md that cannot be read gives no title, or with `strict` raises its
    OSError or UnreadableFile.
    """
    path = root / CATALOGUE
    if not path.is_file():
        return {}
    try:
        text = read_text(path)
    except (OSError, UnreadableFile):
        if strict:
            raise
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
