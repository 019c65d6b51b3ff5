"""Add a document a user uploads from the page to the corpus and the index, safely.

The name is reduced to a plain file name (no folder, no "..", no control or NUL
characters, no leading dot), must end with a supported suffix, and never replaces a
file already there: the user gets a clear message instead.

`add_document` keeps only uploads that give passages. One the ingest skips (a fake
PDF, a blank text, a damaged Word file) or that gives no passage, or whose build
fails, is moved out of the corpus into INDEX_DIR/quarantine/ (never overwriting an
earlier one there), so it does not come back at every later ingest; the index in use
stays the previous build (`index.store.write` switches builds atomically).

The whole of it (saving, building, setting aside) holds the index folder's build lock
(ingest.lock): an upload during an ingest waits for the ingest, then adds its file to
the ingest's result, and an ingest started meanwhile waits for the upload.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from index.errors import EssError
from ingest.lock import building
from ingest.read import REMOVE, SUFFIXES

MAX_UPLOAD_MB = 20
QUARANTINE = "quarantine"  # INDEX_DIR/quarantine/: the uploads that could not be used
log = logging.getLogger(__name__)


class UploadError(EssError):
    """An uploaded file that cannot be added to the corpus."""


@dataclass(frozen=True)
class Added:
    """An upload now in the corpus and in the index in use."""

    name: str  # its file name in the corpus folder
    passages: int  # the passages it gave
    summary: str  # what the update changed: « 1 ajouté, 3 inchangés » or « index reconstruit »

    def message(self) -> str:
        """« rapport.md ajouté : 12 passages (1 ajouté, 3 inchangés). »"""
        plural = "s" if self.passages > 1 else ""
        return f"{self.name} ajouté : {self.passages} passage{plural} ({self.summary})."


def safe_name(name: str) -> str:
    """A file name that stays inside the corpus folder.

    >>> safe_name("../../etc/passwd.txt"), safe_name("C:\\\\rapports\\\\Bilan 2024.pdf")
    ('passwd.txt', 'Bilan 2024.pdf')
    """
    name = unicodedata.normalize("NFC", name).replace("\\", "/").split("/")[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")  # controls, NUL
    name = re.sub(r"\s+", " ", name).strip(" .")
    return name


def save_upload(corpus: Path, name: str, data: bytes) -> Path:
    """Write an uploaded document into the corpus folder; never overwrite, never escape."""
    clean = safe_name(name)
    if not clean or not clean.lower().endswith(SUFFIXES):
        raise UploadError(f"« {clean or '(sans nom)'} » : seuls les fichiers "
                          f"{', '.join(SUFFIXES)} sont acceptés")
    if len(data) > MAX_UPLOAD_MB * 1_000_000:
        raise UploadError(f"« {clean} » dépasse {MAX_UPLOAD_MB} Mo : découpez-le")
    target = corpus / clean
    if target.resolve().parent != corpus.resolve():
        raise UploadError(f"« {clean} » : nom de fichier refusé")
    try:
        with open(target, "xb") as out:  # "x": fails if the file exists
            out.write(data)
    except FileExistsError:
        raise UploadError(f"« {clean} » existe déjà dans le corpus : renommez le fichier, ou "
                          "remplacez-le dans le dossier du corpus") from None
    return target


def add_document(corpus: Path, index_dir: Path, name: str, data: bytes,
                 model: str | None = None,
                 on_wait: Callable[[str], None] | None = None) -> Added:
    """Save an upload into the corpus and update the index; keep the file only if it
    gives passages.

    An upload that is skipped or gives no passage is moved to the quarantine folder
    and refused with an UploadError saying why and what to do. When the update itself
    fails, the upload is moved there too before the error goes on: an EssError becomes
    an UploadError (no server path in its message), anything else propagates as it is.

    While an ingest updates the index, the upload waits for it (said once through
    `on_wait`, a log line without it).
    """
    try:
        with building(index_dir, on_wait=on_wait):
            return _add(corpus, index_dir, name, data, model)
    except UploadError:
        raise
    except EssError as exc:  # the lock could not be taken: said without server paths
        reason = _without_paths(str(exc), corpus, index_dir)
        raise UploadError(f"« {safe_name(name)} » n'a pas été ajouté : {reason}") from exc


def _add(corpus: Path, index_dir: Path, name: str, data: bytes, model: str | None) -> Added:
    """`add_document`, with the lock held."""
    saved = save_upload(corpus, name, data)
    source = saved.name
    try:
        report = _update(corpus, index_dir, model, source)
    except BaseException as exc:  # also a bug or an interruption: the corpus as it was
        _quarantine(saved, data, index_dir, repr(exc))
        raise
    skipped = next((s.reason for s in report.skipped if s.source == source), None)
    passages = _passages(report, source) if skipped is None else 0
    if passages:
        summary = report.changes.summary() if report.changes else "index reconstruit"
        return Added(source, passages, summary)
    reason = skipped or "aucun passage de texte n'en a été tiré (il ne contient que des titres ?)"
    reason = reason.replace(REMOVE, "")  # set aside below: not in the folder to remove any more
    _quarantine(saved, data, index_dir, reason)
    if skipped is None and report.written:  # the new build lists the file: build without it
        _update(corpus, index_dir, model, source)
    raise UploadError(f"« {source} » n'a pas été ajouté : {reason}. Le fichier a été mis de "
                      "côté ; corrigez-le ou enregistrez-le dans un autre format, puis "
                      "réessayez.")


def _update(corpus: Path, index_dir: Path, model: str | None, source: str):
    """The build, its domain errors told as the upload's, without server paths."""
    from ingest.build import build

    try:
        return build(corpus, index_dir, model=model, show_progress=False)
    except EssError as exc:
        reason = _without_paths(str(exc), corpus, index_dir)
        raise UploadError(f"« {source} » n'a pas été ajouté : la mise à jour de l'index a "
                          f"échoué ({reason}). Le fichier a été mis de côté ; le corpus et "
                          "l'index en service sont restés tels quels.") from exc


def quarantine_dir(index_dir: Path) -> Path:
    """Where refused uploads go: outside the corpus, beside the index's builds (which
    `index.store` prunes by their names, never this folder)."""
    return index_dir / QUARANTINE


def _quarantine(saved: Path, data: bytes, index_dir: Path, reason: str) -> Path:
    """Move an upload out of the corpus, never over an earlier one: rapport.pdf, then
    rapport-2.pdf, rapport-3.pdf…"""
    folder = quarantine_dir(index_dir)
    folder.mkdir(parents=True, exist_ok=True)
    number = 1
    while True:
        target = folder / (saved.name if number == 1 else f"{saved.stem}-{number}{saved.suffix}")
        try:
            with open(target, "xb") as out:  # "x": another upload may have taken the name
                out.write(data)
            break
        except FileExistsError:
            number += 1
    saved.unlink(missing_ok=True)
    log.warning("upload refused, moved to %s: %s", target, reason)
    return target


def _passages(report, source: str) -> int:
    """The passages `source` has in the index in use after `report`'s build."""
    if report.written:
        return report.sources.get(source, 0)
    # Nothing changed: the very same file was already indexed under that name.
    from index.store import PASSAGES
    from index.table import PassageTable

    return sum(p.source == source for p in PassageTable(report.folder / PASSAGES))


def _without_paths(message: str, *folders: Path) -> str:
    """A message with the server's folders named, not spelled out.

    >>> _without_paths("rien dans /srv/ess/corpus : …", Path("/srv/ess/corpus"))
    'rien dans le dossier du corpus : …'
    """
    names = ("le dossier du corpus", "le dossier de l'index")
    spelled = {}
    for folder, label in zip(folders, names, strict=False):
        spelled[str(folder.resolve())] = spelled[str(folder)] = label
    for path in sorted(spelled, key=len, reverse=True):
        message = message.replace(path, spelled[path])
    return message
