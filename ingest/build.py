"""Build an index folder from a corpus folder: read, split, embed, write.

The write itself is `index.store.write`, which makes the new build current in one
atomic step, so a failure anywhere here leaves the previous index in use. The whole
build runs under the index folder's lock (ingest.lock): a second ingest or upload waits
for it, then compares the corpus with its result, so what each adds stays in the index.
"""

from __future__ import annotations

import bisect
import hashlib
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from index import background, embed, sections, store, unit_index
from index.config import SplitConfig
from index.embed import Embedder, canonical_name, info
from index.errors import CorpusError
from index.fusion import FusionConfig
from index.lexical import LexicalIndex
from index.records import Passage
from index.text import collapse, with_context
from index.themes import build_themes, find_catalogue
from index.vectors import choose as choose_vectors
from ingest.lock import building
from ingest.previous import Changes, compare, previous_manifest, reusable_vectors, vector_key
from ingest.read import Document, Skipped, read_corpus
from ingest.split import split_text


@dataclass(frozen=True)
class BuildReport:
    folder: Path
    files: int
    passages: int
    seconds: float
    skipped: list[Skipped] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)  # files whose invalid bytes were replaced
    changes: Changes | None = None  # None for a first build or a --rebuild
    embedded: int = 0  # passages embedded this time (the others kept their vectors)
    written: bool = True  # False when nothing had changed and the index was left as it was
    # seconds per stage: read, split, load_model, (connect,) embed, lexical, calibrate, themes,
    # write
    stages: dict[str, float] = field(default_factory=dict)
    # passages per file read, 0 for a file that gave none (empty when nothing was written)
    sources: dict[str, int] = field(default_factory=dict)


def passages_of(document: Document, split: SplitConfig) -> list[Passage]:
    """The passages of one document, each with its stable id and checkable offsets."""
    out, seen = [], {}
    for piece in split_text(document.text, split.max_chars):
        text = collapse(document.text[piece.start:piece.end])
        pid = passage_id(document.source, text)
        seen[pid] = seen.get(pid, 0) + 1
        if seen[pid] > 1:  # the same text twice in one file
            pid = f"{pid}-{seen[pid]}"
        page = bisect.bisect_right(document.pages, piece.start) if document.pages else None
        out.append(Passage(pid, document.source, document.title, " > ".join(piece.section),
                           piece.item, piece.start, piece.end, text, page))
    return out


def passage_id(source: str, text: str) -> str:
    """Stable across builds: the same text in the same file gets the same id.

    >>> passage_id("a.txt", "Créer des fonds.")
    'fb79db55252c95e2'
    """
    return hashlib.sha256(f"{source}\n{text}".encode()).hexdigest()[:16]


def embedding_text(passage: Passage) -> str:
    """What the model reads for a passage (index.text.with_context)."""
    return with_context(passage.section, passage.text)


def build(corpus: Path, index_dir: Path, model: str | None = None,
          split: SplitConfig | None = None, batch_size: int = 32,
          show_progress: bool = True, embedder: Embedder | None = None,
          fusion: FusionConfig | None = None, rebuild: bool = False,
          strict: bool = False, vector_kind: str = "auto",
          cluster: str | None = None, follow_links: bool = False, wait: bool = True,
          on_wait: Callable[[str], None] | None = None) -> BuildReport:
    """Index every readable document under `corpus` into `index_dir`.

    `vector_kind` picks the FAISS index (index.vectors: `auto`, `flat` or `hnsw`).
    `cluster`, a Dask scheduler's address, sends the embedding of the passages to be
    embedded to that cluster (ingest.cluster); everything else runs here.
    `follow_links` reads the files that symbolic links lead to outside the corpus
    folder (left out by default, ingest.read.walk).

    On an existing index (unless `rebuild`), passages that did not change keep their
    vectors, and when nothing changed at all the index is left as it is.

    While another ingest or upload updates `index_dir`, this one waits for it (said once
    through `on_wait`), or with `wait=False` raises ingest.lock.IndexBusy at once.
    """
    _check_corpus(corpus)
    store.keep_seconds()  # a wrong ESS_KEEP_BUILDS_SECONDS is said before the work
    with building(index_dir, wait=wait, on_wait=on_wait):
        return _build(corpus, index_dir, model, split, batch_size, show_progress, embedder,
                      fusion, rebuild, strict, vector_kind, cluster, follow_links)


def _check_corpus(corpus: Path) -> None:
    """A CorpusError saying what to give instead when `corpus` is not a folder."""
    if corpus.is_file():
        raise CorpusError(f"{corpus} est un fichier, pas un dossier : indiquez le dossier "
                          f"qui le contient ({corpus.parent}), ou un dossier où vous l'aurez "
                          "rangé avec les autres documents à indexer")
    if not corpus.is_dir():
        raise CorpusError(f"le dossier du corpus {corpus} n'existe pas : indiquez le dossier "
                          "qui contient vos documents (.txt, .md, .pdf, .docx, .html)")


def _build(corpus, index_dir, model, split, batch_size, show_progress, embedder, fusion,
           rebuild, strict, vector_kind, cluster, follow_links) -> BuildReport:
    """`build`, with the lock held."""
    began = time.perf_counter()
    stages = Stages()
    split = split or SplitConfig()
    fusion = fusion or FusionConfig()
    with stages("read"):
        documents, skipped = read_corpus(corpus, follow_links)
    if strict and skipped:
        listed = "; ".join(f"{s.source} ({s.reason})" for s in skipped)
        raise CorpusError(f"{len(skipped)} fichier(s) illisible(s) et --strict : {listed}")
    repaired = [doc.repair_note() for doc in documents if doc.replaced]
    if not documents:
        raise CorpusError(f"aucun document lisible (.txt, .md, .pdf, .docx, .html) dans "
                          f"{corpus} : ajoutez-y des documents ou indiquez un autre dossier")
    name = embedder.name if embedder is not None else canonical_name(model)
    catalogue = find_catalogue(corpus)
    # The vectors depend on the model and the splitting; the rest of the index also on
    # the fusion settings, the titles table and the theme catalogue.
    vector_settings = {"model": name, "splitting": split.to_dict()}
    settings = {**vector_settings, "fusion": fusion.to_dict(), "vector_index": vector_kind,
                "inputs": _inputs_sha256(corpus, catalogue)}
    files = {doc.source: doc.sha256 for doc in documents}
    previous = None if rebuild else previous_manifest(index_dir)
    if previous is not None and {k: previous.get("settings", {}).get(k)
                                 for k in vector_settings} != vector_settings:
        previous = None  # another model or other splitting: no vector to reuse
    changes = compare(previous["files"], files) if previous else None
    if (changes is not None and changes.none and previous.get("settings") == settings
            and previous.get("format") == store.FORMAT):
        return BuildReport(store.current(index_dir), len(documents), previous["passages"],
                           time.perf_counter() - began, skipped, repaired, changes, 0,
                           written=False)
    with stages("split"):
        passages = [p for doc in documents for p in passages_of(doc, split)]
    with stages("load_model"):
        embedder = embedder or embed.load_embedder(model)
    remote = None
    if cluster:
        from ingest.cluster import ClusterEmbedder

        with stages("connect"):
            remote = ClusterEmbedder(embedder, cluster)
    try:
        with stages("embed"):
            # Vectors made with other prompts (the model's configuration changed) are not
            # reused.
            same_prompts = previous is not None and all(
                previous.get("model", {}).get(key) == value
                for key, value in info(embedder).items()
                if key in ("query_prefix", "passage_prefix"))
            known = reusable_vectors(index_dir) if same_prompts else {}
            vectors, embedded = _vectors(remote or embedder,
                                         [embedding_text(p) for p in passages], known,
                                         batch_size, show_progress)
        with stages("embed_units"):
            pieces = unit_index.cut(passages)
            unit_vectors, units_embedded = _unit_vectors(remote or embedder, pieces, vectors,
                                                         known, batch_size, show_progress)
    finally:
        if remote is not None:
            remote.close()
    with stages("lexical"):
        lexical = LexicalIndex.build([p.text for p in passages])
    with stages("calibrate"):
        unrelated = background.embed(embedder)
        hubness = background.hubness(vectors, unrelated)
        no_answer = background.calibrate(unrelated, background.questions(),
                                   background.best_cosines(vectors, unrelated))
    with stages("themes"):
        themes = build_themes(catalogue, passages, vectors, embedder)
    manifest = {
        "model": info(embedder),
        "splitting": split.to_dict(),
        "settings": settings,
        "vectors": choose_vectors(len(passages), vector_kind).to_dict(),
        "lexical": lexical.settings(),
        "fusion": fusion.to_dict(),
        "no_answer": no_answer,
        "units": {"version": unit_index.VERSION, "count": len(pieces.texts),
                  "embedded": units_embedded},
        "hubness": {"k": background.HUB_K, "background_questions": len(unrelated)},
        "themes": {"catalogue": themes.catalogue, "sha256": themes.sha256,
                   "count": len(themes.themes)},
        "corpus": str(corpus.resolve()),
        "files": files,
        "encodings": {doc.source: doc.encoding for doc in documents},
        "skipped": {s.source: s.reason for s in skipped},
        "replaced_bytes": {doc.source: len(doc.replaced) for doc in documents if doc.replaced},
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    with stages("write"):
        folder = store.write(index_dir, passages, vectors, lexical, manifest, themes, unrelated,
                             hubness, sections.build(passages, vectors),
                             (unit_vectors, pieces.spans, pieces.offsets))
    sources = dict.fromkeys(files, 0)
    for passage in passages:
        sources[passage.source] += 1
    return BuildReport(folder, len(documents), len(passages), time.perf_counter() - began,
                       skipped, repaired, changes, embedded, stages=stages.seconds,
                       sources=sources)


class Stages:
    """Seconds spent in each named stage: `with stages("embed"): ...` (builds and the
    benchmarks time their stages with it)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str):
        began = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] = round(time.perf_counter() - began, 4)


def _inputs_sha256(corpus: Path, catalogue: Path | None) -> str:
    """What besides the documents shapes the index: the titles table and the themes.

    An unreadable README.md counts as absent (read_corpus listed it among the skipped);
    an unreadable theme catalogue stops the build with a CorpusError saying what to do.
    """
    from ingest.read import os_reason

    digest = hashlib.sha256()
    for path in (corpus / "README.md", catalogue):
        try:
            if path is not None and path.is_file():
                digest.update(path.read_bytes())
        except OSError as exc:
            if path != catalogue:
                continue
            raise CorpusError(f"le catalogue des thèmes {path} est illisible "
                              f"({os_reason(exc)}) : donnez-vous le droit de le lire "
                              "(chmod u+r), ou retirez-le du dossier du corpus") from None
        digest.update(b"\0")
    return digest.hexdigest()


def _vectors(embedder, texts, known, batch_size, show_progress, noun="passages"):
    """The vector of each text the model reads: the previous build's when it has it,
    else embedded now.

    Each distinct text is embedded once: the same article or boilerplate sentence
    repeated across files (« Article abrogé. ») shares one vector. Returns the
    vectors and how many texts were embedded.
    """
    import numpy as np

    vectors = np.empty((len(texts), embedder.dim), dtype=np.float32)
    todo: dict[str, list[int]] = {}  # text to embed -> rows that take its vector
    for row, text in enumerate(texts):
        vector = known.get(vector_key(text))
        if vector is not None:
            vectors[row] = vector
        else:
            todo.setdefault(text, []).append(row)
    fresh = _embed(embedder, list(todo), batch_size, show_progress, noun)
    for vector, rows in zip(fresh if todo else (), todo.values(), strict=True):
        vectors[rows] = vector
    return vectors, len(todo)


def _unit_vectors(embedder, pieces, vectors, known, batch_size, show_progress):
    """The vector of every answer unit (index.unit_index): its passage's when the unit is
    the whole passage, else reused or embedded as `_vectors` does."""
    import numpy as np

    out = np.empty((len(pieces.texts), vectors.shape[1]), dtype=np.float32)
    whole = np.array([text is None for text in pieces.texts], dtype=bool)
    out[whole] = vectors[pieces.owners[whole]]
    rest = np.flatnonzero(~whole)
    fresh, embedded = _vectors(embedder, [pieces.texts[i] for i in rest], known, batch_size,
                               show_progress, "phrases")
    out[rest] = fresh
    return out, embedded


# tqdm's own format is English ("it/s", "?") and writes decimals with a point.
PROGRESS = "{desc} : {percentage:3.0f} % |{bar}| {n_fmt} / {total_fmt} NOUN [{elapsed}]"
CLUSTER_PROGRESS = "{desc} : {percentage:3.0f} % |{bar}| {n_fmt} / {total_fmt} lots [{elapsed}]"


def _embed(embedder: Embedder, texts: list[str], batch_size: int, show_progress: bool,
           noun: str = "passages"):
    from tqdm import tqdm

    if not texts:
        return None
    bar = {"total": len(texts), "desc": "Calcul des vecteurs",
           "bar_format": PROGRESS.replace("NOUN", noun)}
    if getattr(embedder, "progress_unit", None) == "lots":  # ingest.cluster: batches done
        bar = {"total": -(-len(texts) // batch_size), "bar_format": CLUSTER_PROGRESS,
               "desc": f"Calcul des vecteurs sur la grappe {embedder.address}"}
    with tqdm(disable=not show_progress, leave=False, **bar) as bar:
        return embedder.embed_passages(texts, batch_size=batch_size, progress=bar.update)
