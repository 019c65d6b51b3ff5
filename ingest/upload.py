"""Save a document a user uploads from the page into the corpus folder, safely.

The name is reduced to a plain file name (no folder, no "..", no control or NUL
characters, no leading dot), must end with a supported suffix, and never replaces a
file already there: the user gets a clear message instead.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from index.errors import EssError
from ingest.read import SUFFIXES

MAX_UPLOAD_MB = 20


class UploadError(EssError):
    """An uploaded file that cannot be added to the corpus."""


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
