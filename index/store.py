"""The index folder: written and read here, side by side, never pickled.

    INDEX_DIR/
      CURRENT                 name of the build in use (replaced in one atomic step)
      build-20261123T0142-…/  one complete build:
        manifest.json         format version, model, dimension, splitting settings,
                              sha256 of every source file, build time
        passages.jsonl        one passage per line (id, source, title, section, item,
                              start, end, text), in vector order
        vectors.faiss         FAISS index over L2-normalised vectors (the inner product
                              of two such vectors is their cosine similarity): exact
                              IndexFlatIP, or HNSW for large corpora (index.vectors,
                              its kind and parameters under "vectors" in the manifest)
        lexical/              the BM25 index (bm25s's JSON and .npy files, index.lexical)
        themes.json           the theme catalogue used and each passage's themes (index.themes)
        background.npy        the background questions' vectors (index.background)
        hubness.npy           each passage's closeness to unrelated questions (index.background)
        sections.npy          each section's mean passage vector (index.sections)
        section_of.npy        each passage's section number, -1 outside any section
        unit_vectors.npy,     the answer units of every passage and their vectors
        unit_spans.npy,       (index.unit_index)
        unit_offsets.npy
      quarantine/             uploads the page refused (ingest.upload), kept for a person to
                              look at; never pruned, never read as part of the corpus
      ingest.lock             the lock every ingest and upload holds while it builds
                              (ingest.lock): one build at a time

A build is written in a hidden temporary folder, renamed, and only then made
current by replacing CURRENT: a build that fails or is killed midway leaves the
previous one in use.

A replaced build stays on disk for ESS_KEEP_BUILDS_SECONDS (600 s by default; the file
`.retired` in it marks when it was replaced), then the next build removes it: another
process (an API replica, the page) that read CURRENT just before the switch still finds
the build it is loading. A loaded build does not need its folder any more on Linux and
macOS (its vectors are in memory, its passages and arrays mapped, and a mapped file
lives on until it is unmapped), so a reader holding an old build keeps answering from it
after its removal; a reader whose build is removed while it loads loads the new one.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from index import background as background_part
from index import sections as sections_part
from index import unit_index
from index import vectors as vector_index
from index.errors import IndexMissing, IndexUnreadable, IndexUnwritable, SettingError, os_reason
from index.lexical import LexicalIndex
from index.records import Passage
from index.settings import KEEP_SECONDS, Settings
from index.table import PassageTable
from index.themes import ThemeIndex
from index.unit_index import UnitIndex

FORMAT = 4  # 3: background.npy and hubness.npy; 4: the units' vectors (index.unit_index)
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
PASSAGES = "passages.jsonl"
VECTORS = "vectors.faiss"
REBUILD = "reconstruisez-le avec `ess ingest --rebuild`"
RETIRED = ".retired"  # in a replaced build: its modification time is when it was replaced
KEEP_BUILDS = "ESS_KEEP_BUILDS_SECONDS"  # read in index.settings


@dataclass(frozen=True)
class Store:
    """A loaded build: its manifest, its passages and their vectors."""

    folder: Path
    manifest: dict
    passages: Sequence[Passage]  # a PassageTable: each passage read when asked for
    vectors: object  # a faiss.Index; faiss is imported only when an index is used
    lexical: LexicalIndex
    themes: ThemeIndex | None
    background: np.ndarray  # the background questions' vectors
    hubness: np.ndarray  # one value per passage, in passage order
    sections: tuple | None = None  # (centroids, each passage's section) of index.sections
    units: UnitIndex | None = None  # the answer units and their vectors


def write(index_dir: Path, passages: list[Passage], vectors: np.ndarray, lexical: LexicalIndex,
          manifest: dict, themes: ThemeIndex | None, background: np.ndarray,
          hubness: np.ndarray, sections: tuple | None = None,
          units: tuple | None = None) -> Path:
    """Write a complete build, then make it current. Returns the build folder.

    `units` is (vectors, spans, offsets) of index.unit_index.
    """
    if not len(passages) == len(vectors) == len(hubness):
        raise ValueError("one vector and one hubness per passage")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    name = f"build-{stamp}-{uuid.uuid4().hex[:6]}"
    tmp = index_dir / f".tmp-{name}"
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        previous = _current_name(index_dir)
        tmp.mkdir()
        _write_parts(tmp, passages, vectors, lexical, themes,
                     {"format": FORMAT, **manifest, "passages": len(passages)})
        background_part.save(tmp, background, hubness)
        if sections is not None:
            sections_part.save(tmp, *sections)
        if units is not None:
            unit_index.save(tmp, *units)
        _sync(tmp)
        os.rename(tmp, index_dir / name)
        pointer = index_dir / f".{CURRENT}.{name}"
        pointer.write_text(name + "\n", encoding="utf-8")
        os.replace(pointer, index_dir / CURRENT)
        _retire(index_dir, previous)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise IndexUnwritable(f"impossible d'écrire l'index dans {index_dir} "
                              f"({exc.strerror or exc}) : indiquez avec --index un dossier "
                              "où vous pouvez écrire") from None
    _prune(index_dir, keep={name})
    return index_dir / name


def _write_parts(folder: Path, passages: list[Passage], vectors: np.ndarray,
                 lexical: LexicalIndex, themes: ThemeIndex | None, manifest: dict) -> None:
    import faiss

    settings = vector_index.VectorSettings.from_dict(manifest.get("vectors"))
    faiss.write_index(vector_index.build(vectors, settings), str(folder / VECTORS))
    with open(folder / PASSAGES, "w", encoding="utf-8") as out:
        for passage in passages:
            out.write(json.dumps(passage.to_dict(), ensure_ascii=False) + "\n")
    lexical.save(folder)
    if themes is not None:
        themes.save(folder)
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                                   encoding="utf-8")


def current(index_dir: Path) -> Path:
    """The folder of the build in use; IndexMissing if there is none."""
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        raise IndexMissing(
            f"aucun index dans {index_dir} : construisez-le avec `ess ingest`") from None
    except OSError as exc:
        raise IndexUnreadable(f"index illisible dans {index_dir} ({os_reason(exc)}) : "
                              f"{REBUILD}") from None
    folder = index_dir / name
    if not name or "/" in name or not folder.is_dir():
        raise IndexUnreadable(f"l'index de {index_dir} désigne une version absente : {REBUILD}")
    return folder


def read_manifest(folder: Path) -> dict:
    damaged = IndexUnreadable(f"le manifeste de l'index {folder} est absent ou abîmé : {REBUILD}")
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise damaged from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("model"), dict):
        raise damaged
    version = manifest.get("format")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise damaged
    if version < FORMAT:
        raise IndexUnreadable(f"l'index {folder} est au format {version}, plus ancien que celui "
                              f"de cette version ({FORMAT}) : {REBUILD}")
    if version > FORMAT:
        raise IndexUnreadable(f"l'index {folder} est au format {version!r}, plus récent que "
                              f"celui que cette version lit ({FORMAT}) : mettez l'outil à jour "
                              f"ou {REBUILD}")
    return manifest


def load(index_dir: Path) -> Store:
    """Load the current build, checking that its parts agree with each other.

    A build removed while it loads (replaced, and pruned, since CURRENT was read) gives
    way to the build now current: its optional parts (themes, sections) may have gone
    before they were read.
    """
    folder = current(index_dir)
    try:
        loaded = load_build(folder)
    except IndexUnreadable:
        if folder.is_dir() or current(index_dir) == folder:
            raise
        return load_build(current(index_dir))
    return loaded if folder.is_dir() else load_build(current(index_dir))


def load_build(folder: Path) -> Store:
    """Load one build folder (`load` loads the current one)."""
    import faiss

    manifest = read_manifest(folder)
    try:
        passages = PassageTable(folder / PASSAGES)
        passages.check()
    except (OSError, IndexUnreadable):
        raise IndexUnreadable(f"la table des passages de {folder} est absente ou abîmée : "
                              f"{REBUILD}") from None
    try:
        vectors = faiss.read_index(str(folder / VECTORS))
    except RuntimeError:
        raise IndexUnreadable(f"l'index vectoriel de {folder} est absent ou abîmé : "
                              f"{REBUILD}") from None
    expected = manifest.get("passages")
    if not (vectors.ntotal == len(passages) == expected):
        raise IndexUnreadable(f"l'index {folder} est incohérent ({vectors.ntotal} vecteurs, "
                              f"{len(passages)} passages, le manifeste en annonce {expected}) : "
                              f"{REBUILD}")
    vector_index.configure(vectors, vector_index.VectorSettings.from_dict(manifest.get("vectors")))
    if vectors.d != manifest["model"].get("dim"):
        raise IndexUnreadable(f"les vecteurs de {folder} n'ont pas la dimension du manifeste : "
                              f"{REBUILD}")
    try:
        lexical = LexicalIndex.load(folder)
    except (OSError, ValueError, KeyError):
        raise IndexUnreadable(f"l'index lexical de {folder} est absent ou abîmé : "
                              f"{REBUILD}") from None
    if lexical.size != len(passages):
        raise IndexUnreadable(f"l'index lexical de {folder} ne couvre pas les mêmes passages : "
                              f"{REBUILD}")
    try:
        themes = ThemeIndex.load(folder)
    except (OSError, ValueError, KeyError, TypeError):
        raise IndexUnreadable(f"les thèmes de {folder} sont abîmés : {REBUILD}") from None
    try:
        background, hubness = background_part.load(folder)
    except (OSError, ValueError):
        raise IndexUnreadable(f"les questions de référence de {folder} sont absentes ou "
                              f"abîmées : {REBUILD}") from None
    if hubness.shape != (len(passages),) or background.shape[1:] != (vectors.d,):
        raise IndexUnreadable(f"les questions de référence de {folder} ne vont pas avec ses "
                              f"passages : {REBUILD}")
    try:
        sections = sections_part.load(folder)
    except (OSError, ValueError):
        raise IndexUnreadable(f"les sections de {folder} sont abîmées : {REBUILD}") from None
    if sections is not None and (sections[1].shape != (len(passages),)
                                 or sections[0].shape[1:] != (vectors.d,)):
        raise IndexUnreadable(f"les sections de {folder} ne vont pas avec ses passages : "
                              f"{REBUILD}")
    try:
        units = UnitIndex.load(folder)
    except (OSError, ValueError):
        raise IndexUnreadable(f"les phrases de {folder} sont absentes ou abîmées : "
                              f"{REBUILD}") from None
    if units.passages != len(passages) or units.vectors.shape[1] != vectors.d:
        raise IndexUnreadable(f"les phrases de {folder} ne vont pas avec ses passages : "
                              f"{REBUILD}")
    return Store(folder, manifest, passages, vectors, lexical, themes, background, hubness,
                 sections, units)


def keep_seconds(environ=None) -> float:
    """How long a replaced build stays on disk: ESS_KEEP_BUILDS_SECONDS, else 600.

    >>> keep_seconds({}), keep_seconds({"ESS_KEEP_BUILDS_SECONDS": "0"})
    (600.0, 0.0)
    >>> keep_seconds({"ESS_KEEP_BUILDS_SECONDS": "dix"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    index.errors.SettingError: ESS_KEEP_BUILDS_SECONDS vaut « dix » : indiquez un nombre ...
    """
    return Settings.from_env(environ).keep_builds_seconds


def _current_name(index_dir: Path) -> str | None:
    try:
        return (index_dir / CURRENT).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def _retire(index_dir: Path, name: str | None) -> None:
    """Mark the build just replaced with the time it stopped being current."""
    if name and "/" not in name and (index_dir / name).is_dir():
        try:
            (index_dir / name / RETIRED).touch()
        except OSError:  # its folder's own time stands in (_prune)
            pass


def _prune(index_dir: Path, keep: set[str], seconds: float | None = None) -> None:
    """Remove the builds replaced more than `seconds` ago (ESS_KEEP_BUILDS_SECONDS), and
    the leftovers of interrupted builds.

    A replaced build is kept for a while: a reader in another process may have read
    CURRENT just before the switch and be loading it. A build folder never made current
    (a build killed between its rename and the switch) was never read: it goes at once.
    Builds run one at a time (ingest.lock), so no leftover here is another's work.
    """
    if seconds is None:
        try:
            seconds = keep_seconds()
        except SettingError:
            seconds = KEEP_SECONDS
    now = time.time()
    keep = keep | {_current_name(index_dir)}
    for entry in index_dir.iterdir():
        if entry.name in keep or entry.name == CURRENT:
            continue
        if entry.name.startswith(".tmp-build-") and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith("build-") and entry.is_dir():
            try:
                replaced = (entry / RETIRED).stat().st_mtime
            except OSError:
                replaced = None  # never current
            if replaced is None or now - replaced >= seconds:
                shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(f".{CURRENT}."):
            entry.unlink(missing_ok=True)


def _sync(folder: Path) -> None:
    """Flush a build's files to disk before it is made current."""
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
