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
      quarantine/             uploads the page refused (ingest.upload), kept for a person to
                              look at; never pruned, never read as part of the corpus

A build is written in a hidden temporary folder, renamed, and only then made
current by replacing CURRENT: a build that fails or is killed midway leaves the
previous one in use.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from index import background as background_part
from index import sections as sections_part
from index import vectors as vector_index
from index.errors import IndexMissing, IndexUnreadable, IndexUnwritable, os_reason
from index.lexical import LexicalIndex
from index.records import Passage
from index.table import PassageTable
from index.themes import ThemeIndex

FORMAT = 3  # 3: background.npy and hubness.npy, the gate of index.gate
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
PASSAGES = "passages.jsonl"
VECTORS = "vectors.faiss"
REBUILD = "reconstruisez-le avec `ess ingest --rebuild`"


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


def write(index_dir: Path, passages: list[Passage], vectors: np.ndarray, lexical: LexicalIndex,
          manifest: dict, themes: ThemeIndex | None, background: np.ndarray,
          hubness: np.ndarray, sections: tuple | None = None) -> Path:
    """Write a complete build, then make it current. Returns the build folder."""
    if not len(passages) == len(vectors) == len(hubness):
        raise ValueError("one vector and one hubness per passage")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    name = f"build-{stamp}-{uuid.uuid4().hex[:6]}"
    tmp = index_dir / f".tmp-{name}"
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
        _write_parts(tmp, passages, vectors, lexical, themes,
                     {"format": FORMAT, **manifest, "passages": len(passages)})
        background_part.save(tmp, background, hubness)
        if sections is not None:
            sections_part.save(tmp, *sections)
        os.rename(tmp, index_dir / name)
        pointer = index_dir / f".{CURRENT}.{name}"
        pointer.write_text(name + "\n", encoding="utf-8")
        os.replace(pointer, index_dir / CURRENT)
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
    _sync(folder)


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
    """Load the current build, checking that its parts agree with each other."""
    import faiss

    folder = current(index_dir)
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
    return Store(folder, manifest, passages, vectors, lexical, themes, background, hubness,
                 sections)


def _prune(index_dir: Path, keep: set[str]) -> None:
    """Remove older builds and leftovers of interrupted ones (keeping the previous build
    would only matter to a reader mid-load, and loading takes milliseconds)."""
    for entry in index_dir.iterdir():
        if entry.name in keep or entry.name == CURRENT:
            continue
        if entry.name.startswith(("build-", ".tmp-build-")) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(f".{CURRENT}."):
            entry.unlink(missing_ok=True)


def _sync(folder: Path) -> None:
    """Flush a build's files to disk before it is made current."""
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
