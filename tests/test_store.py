"""The index folder: layout, manifest, round trip, atomic replacement, errors, search.

Fast unit tests: every build uses the FakeEmbedder from conftest, never the real model.
"""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import time
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path

import faiss
import pytest

from conftest import ROOT, FakeEmbedder
from index import store
from index.config import SplitConfig
from index.errors import CorpusError, IndexMissing, IndexUnreadable, IndexUnwritable, ModelMismatch
from index.records import Passage
from index.search import Searcher
from ingest.build import build, passages_of
from ingest.read import read_corpus

REBUILD = "reconstruisez-le avec `ess ingest --rebuild`"
FILES = {
    "finance.txt": "## FINANCE SOLIDAIRE\n\n"
                   "1. Créer des fonds d'investissement dédiés aux coopératives agricoles.\n"
                   "2. Former les opérateurs bancaires aux spécificités de l'économie sociale.\n",
    "emploi.md": "# Emploi et territoires\n\n"
                 "Les entreprises de l'économie sociale créent des emplois durables "
                 "dans les territoires ruraux.\n",
}
EXTRA = ("gouvernance.txt", "La gouvernance démocratique des mutuelles associe "
                            "chaque sociétaire aux décisions.\n")


def make_corpus(root: Path, extra: bool = False) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in FILES.items():
        (root / name).write_text(text, encoding="utf-8")
    if extra:
        (root / EXTRA[0]).write_text(EXTRA[1], encoding="utf-8")
    return root


def expected_passages(corpus: Path) -> list[Passage]:
    documents, _ = read_corpus(corpus)
    return [p for doc in documents for p in passages_of(doc, SplitConfig())]


@pytest.fixture
def built(tmp_path):
    """(corpus, index_dir) with one build made by FakeEmbedder()."""
    corpus = make_corpus(tmp_path / "corpus")
    index_dir = tmp_path / "index"
    build(corpus, index_dir, embedder=FakeEmbedder(), show_progress=False)
    return corpus, index_dir


def build_dirs(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.iterdir() if p.name.startswith("build-"))


def leftovers(index_dir: Path) -> list[str]:  # .tmp-build-… folders, .CURRENT.… pointers
    return [p.name for p in index_dir.iterdir() if p.name.startswith(".")]


def test_build_writes_current_manifest_passages_and_vectors(built):
    corpus, index_dir = built
    name = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    assert name.startswith("build-") and (index_dir / name).is_dir()
    folder = index_dir / name
    assert sorted(p.name for p in folder.iterdir()) == [
        "background.npy", "hubness.npy", "lexical", "manifest.json", "passages.jsonl",
        "section_of.npy", "sections.npy", "themes.json", "unit_offsets.npy", "unit_spans.npy",
        "unit_vectors.npy", "vectors.faiss"]

    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == 4
    assert manifest["model"] == {"name": "fake", "dim": 64,
                                 "query_prefix": "query: ", "passage_prefix": "passage: "}
    assert manifest["splitting"] == {"max_chars": 1000, "version": 1}
    assert manifest["lexical"] == {"library": "bm25s", "tokenizer": "fr-fold-stop-snowball6-v1",
                                   "k1": 1.5, "b": 0.75, "method": "lucene"}
    assert manifest["fusion"] == {"method": "convex-minmax-coverage", "dense_weight": 0.7,
                                  "candidates": 100, "hub_weight": 0.4,
                                  "section_weight": 0.05}
    assert manifest["hubness"] == {"k": 5, "background_questions": 150}
    assert manifest["files"] == {
        name: hashlib.sha256((corpus / name).read_bytes()).hexdigest() for name in FILES}
    age = datetime.now(UTC) - datetime.fromisoformat(manifest["built_at"])
    assert timedelta(0) <= age < timedelta(minutes=5)
    assert manifest["passages"] == 3

    rows = [json.loads(line) for line in
            (folder / "passages.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 3
    assert all(set(row) == {f.name for f in fields(Passage)} for row in rows)
    assert [Passage.from_dict(r) for r in rows] == expected_passages(corpus)


def test_load_round_trip_and_nothing_is_pickled(built):
    corpus, index_dir = built
    loaded = store.load(index_dir)
    assert loaded.folder == store.current(index_dir)
    assert list(loaded.passages) == expected_passages(corpus)
    assert loaded.vectors.ntotal == len(loaded.passages) == loaded.manifest["passages"] == 3
    files = [p for p in index_dir.rglob("*") if p.is_file()]
    assert not [p for p in files if p.suffix in (".pkl", ".pickle")]
    assert not [p for p in files if p.read_bytes()[:1] == b"\x80"]  # pickle protocol 2+
    vectors_file = loaded.folder / "vectors.faiss"
    assert vectors_file.read_bytes()[:4] == b"IxFI"  # FAISS IndexFlatIP
    assert faiss.read_index(str(vectors_file)).d == 64


def test_second_build_replaces_and_prunes_the_first(built, monkeypatch):
    monkeypatch.setenv("ESS_KEEP_BUILDS_SECONDS", "0")  # no grace (see test_concurrent_builds)
    corpus, index_dir = built
    first = store.current(index_dir).name
    make_corpus(corpus, extra=True)
    build(corpus, index_dir, embedder=FakeEmbedder(), show_progress=False)
    second = store.current(index_dir).name
    assert second != first
    assert build_dirs(index_dir) == [second]
    assert leftovers(index_dir) == []
    assert len(store.load(index_dir).passages) == 4


def test_failed_build_leaves_the_old_index(built):
    corpus, index_dir = built
    before = (index_dir / "CURRENT").read_text(encoding="utf-8")
    old = list(store.load(index_dir).passages)
    make_corpus(corpus, extra=True)
    with pytest.raises(RuntimeError, match="embedding interrupted"):
        build(corpus, index_dir, embedder=FakeEmbedder(fail_after=0), show_progress=False)
    assert (index_dir / "CURRENT").read_text(encoding="utf-8") == before
    assert list(store.load(index_dir).passages) == old
    assert leftovers(index_dir) == []


CHILD = """
import sys, time
from pathlib import Path
sys.path[:0] = [{root!r}, {tests!r}]
from conftest import FakeEmbedder
from index import store
from ingest.build import build

def stall(*args, **kwargs):
    Path({marker!r}).write_text("stalled")
    time.sleep(120)

replace = store.os.replace

def stall_current(source, target, *args, **kwargs):
    if Path(target).name != "CURRENT":  # other files (the query cache) are written as usual
        return replace(source, target, *args, **kwargs)
    stall()

if {point!r} == "sync":      # files written in .tmp-build-…, not yet renamed
    store._sync = stall
else:                        # renamed to build-…, CURRENT not yet replaced
    store.os.replace = stall_current
build(Path({corpus!r}), Path({index!r}), embedder=FakeEmbedder(), show_progress=False)
"""


@pytest.mark.slow  # a subprocess
@pytest.mark.parametrize("point, pattern", [("sync", ".tmp-build-*"), ("replace", "build-*")])
def test_build_killed_midway_leaves_the_old_index(built, tmp_path, point, pattern,
                                                  monkeypatch):
    corpus, index_dir = built
    before = (index_dir / "CURRENT").read_text(encoding="utf-8")
    first = build_dirs(index_dir)
    old = list(store.load(index_dir).passages)
    new_corpus = make_corpus(tmp_path / "corpus2", extra=True)
    marker = tmp_path / "stalled"
    code = CHILD.format(root=str(ROOT), tests=str(ROOT / "tests"), marker=str(marker),
                        point=point, corpus=str(new_corpus), index=str(index_dir))
    with open(tmp_path / "child.err", "wb") as err:
        child = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT,
                                 stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), (tmp_path / "child.err").read_text(errors="replace")
        partial = [p.name for p in index_dir.glob(pattern) if p.name not in first]
        assert len(partial) == 1  # the kill really falls in the middle of a build
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    assert (index_dir / "CURRENT").read_text(encoding="utf-8") == before
    assert list(store.load(index_dir).passages) == old
    # The next build succeeds and clears what the killed one left (and, without a grace
    # period, the build it replaces).
    monkeypatch.setenv("ESS_KEEP_BUILDS_SECONDS", "0")
    build(new_corpus, index_dir, embedder=FakeEmbedder(), show_progress=False)
    assert build_dirs(index_dir) == [store.current(index_dir).name]
    assert leftovers(index_dir) == []
    assert len(store.load(index_dir).passages) == 4


def test_unwritable_index_folder(tmp_path):
    corpus = make_corpus(tmp_path / "corpus")
    (tmp_path / "fichier").write_text("pas un dossier", encoding="utf-8")
    index_dir = tmp_path / "fichier" / "index"
    with pytest.raises(IndexUnwritable) as caught:
        build(corpus, index_dir, embedder=FakeEmbedder(), show_progress=False)
    assert str(caught.value) == (
        f"impossible d'écrire l'index dans {index_dir} (un élément du chemin n'est pas un "
        "dossier) : indiquez avec --index un dossier où vous pouvez écrire")


def test_no_index_is_index_missing(tmp_path):
    with pytest.raises(IndexMissing) as caught:
        store.load(tmp_path / "nowhere")
    assert str(caught.value) == (
        f"aucun index dans {tmp_path / 'nowhere'} : construisez-le avec `ess ingest`")


def test_current_naming_a_missing_build(built):
    _, index_dir = built
    (index_dir / "CURRENT").write_text("build-20000101T000000-abcdef\n", encoding="utf-8")
    with pytest.raises(IndexUnreadable) as caught:
        store.load(index_dir)
    assert str(caught.value) == f"l'index de {index_dir} désigne une version absente : {REBUILD}"


@pytest.mark.parametrize("content", [
    "[1]", "null", '{"format": 2, "model": "fake"}', '{"format": 0, "model": {}}',
    '{"format": "1", "model": {}}', '{"format": true, "model": {}}'])
def test_malformed_manifest_is_unreadable(built, content):
    _, index_dir = built
    folder = store.current(index_dir)
    (folder / "manifest.json").write_text(content, encoding="utf-8")
    with pytest.raises(IndexUnreadable) as caught:
        store.load(index_dir)
    assert str(caught.value) == (f"le manifeste de l'index {folder} est absent ou abîmé : "
                                 f"{REBUILD}")


def newer_format(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    (folder / "manifest.json").write_text(json.dumps({**manifest, "format": 99}))


def drop_last_line(path: Path) -> None:
    path.write_bytes(b"".join(path.read_bytes().splitlines(True)[:-1]))


@pytest.mark.parametrize("damage, message", [
    (newer_format, "l'index {folder} est au format 99, plus récent que celui que cette "
                   "version lit (4) : mettez l'outil à jour ou " + REBUILD),
    (lambda f: (f / "vectors.faiss").write_bytes((f / "vectors.faiss").read_bytes()[:100]),
     "l'index vectoriel de {folder} est absent ou abîmé : " + REBUILD),
    (lambda f: (f / "passages.jsonl").unlink(),
     "la table des passages de {folder} est absente ou abîmée : " + REBUILD),
    (lambda f: drop_last_line(f / "passages.jsonl"),
     "l'index {folder} est incohérent (3 vecteurs, 2 passages, le manifeste en annonce 3) : "
     + REBUILD),
    (lambda f: (f / "hubness.npy").unlink(),
     "les questions de référence de {folder} sont absentes ou abîmées : " + REBUILD),
    (lambda f: (f / "hubness.npy").write_bytes(b"\x93NUMPY garbage"),
     "les questions de référence de {folder} sont absentes ou abîmées : " + REBUILD),
], ids=["format-99", "truncated-vectors", "missing-passages", "count-mismatch",
        "missing-hubness", "damaged-hubness"])
def test_damaged_build_is_unreadable(built, capfd, damage, message):
    _, index_dir = built
    folder = store.current(index_dir)
    damage(folder)
    with pytest.raises(IndexUnreadable) as caught:
        store.load(index_dir)
    assert str(caught.value) == message.format(folder=folder)
    chained = caught.value.__cause__ or (
        None if caught.value.__suppress_context__ else caught.value.__context__)
    assert chained is None  # no faiss or json traceback behind the message
    assert capfd.readouterr() == ("", "")  # nothing from faiss on the terminal


@pytest.mark.parametrize("options, message", [
    ({"model": "other"}, "l'index {index} a été construit avec le modèle 'fake', pas avec "
                         "'other' : reconstruisez-le avec `ess ingest --model other`, ou "
                         "cherchez sans --model"),
    ({"embedder": FakeEmbedder(name="fake", dim=32)},
     "le modèle 'fake' donne des vecteurs de dimension 32, l'index {index} en contient de "
     "dimension 64 : reconstruisez-le avec `ess ingest --rebuild`"),
], ids=["name", "dimension"])
def test_model_mismatch(built, options, message):
    _, index_dir = built
    with pytest.raises(ModelMismatch) as caught:
        Searcher(index_dir, **options)
    assert str(caught.value) == message.format(index=index_dir)


def test_search_ranks_the_passage_sharing_words_first(built):
    _, index_dir = built
    searcher = Searcher(index_dir, embedder=FakeEmbedder())
    hits = searcher.search("opérateurs bancaires", k=2)
    assert [h.rank for h in hits] == [1, 2]
    assert hits[0].passage.item == 2 and hits[0].passage.source == "finance.txt"
    assert hits[0].score > hits[1].score

    hits = searcher.search("emplois durables dans les territoires ruraux", k=50)
    assert len(hits) == 3 and [h.rank for h in hits] == [1, 2, 3]
    assert hits[0].passage.source == "emploi.md"
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert {h.passage.id for h in hits} == {p.id for p in searcher.passages}


@pytest.mark.parametrize("query", ["", "   \n\t"])
def test_blank_query_gives_no_hits(built, query):
    _, index_dir = built
    assert Searcher(index_dir, embedder=FakeEmbedder()).search(query, k=5) == []


def test_build_of_a_missing_corpus(tmp_path):
    missing = tmp_path / "absent"
    with pytest.raises(CorpusError) as caught:
        build(missing, tmp_path / "index", embedder=FakeEmbedder(), show_progress=False)
    assert str(caught.value) == (
        f"le dossier du corpus {missing} n'existe pas : indiquez le dossier qui contient "
        "vos documents (.txt, .md, .pdf, .docx, .html)")
    assert not (tmp_path / "index").exists()


def test_build_of_a_corpus_with_nothing_readable(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "vide.txt").write_text("", encoding="utf-8")
    (corpus / "README.md").write_text("# Corpus\n\nDes rapports sur l'ESS.\n", encoding="utf-8")
    with pytest.raises(CorpusError) as caught:
        build(corpus, tmp_path / "index", embedder=FakeEmbedder(), show_progress=False)
    assert str(caught.value) == (
        f"aucun document lisible (.txt, .md, .pdf, .docx, .html) dans {corpus} : "
        "ajoutez-y des documents ou indiquez un autre dossier")
    assert [p.name for p in (tmp_path / "index").iterdir()] == ["ingest.lock"]  # no build
