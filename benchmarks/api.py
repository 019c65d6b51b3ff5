"""HTTP API load test: `ess api` on the seed corpus, concurrent clients, bounded.

    .venv/bin/python -m benchmarks.api [--requests 200] [--clients 8] [--runs 3]
        [--questions ../shared/eval/dev.jsonl] [--scenarios one,two,api,unbounded,neighbour]
        [--neighbour search|spin] [--index DIR]

Each run starts a fresh server on 127.0.0.1 (a free port), waits for /health, asks
WARM_UP searches, then releases --clients client threads (one httpx connection each,
kept alive) that share --requests searches (`GET /search?q=…`, k = 5, hybrid), the
questions of --questions in turn. It reports requests per second (requests over the
wall time from release to the last reply), the median and p95 latency a client sees
(send to whole reply), and the errors (any status but 200, or a failed connection):
there must be none. Scenarios:

- `api`: `ess api` itself (at most ess.api.SEARCHES searches at once);
- `one`, `two`, `unbounded`: the same application with at most 1, 2 or any number of
  searches at once (`create_app(searches=…)`), to check that choice;
- `neighbour`: `ess api` while a neighbour keeps the cores busy: an `ess search` reading
  PIAF questions from its standard input without pause (every question embedded), or
  with --neighbour spin a pure-Python busy loop.

The Searcher keeps the vectors of its last 256 questions: the development set's 25
questions asked 200 times are embedded once each, then served from that cache; give
--questions ../shared/data/piaf/questions-1000.jsonl for 200 distinct questions, each
embedded. Figures are medians over --runs; raw figures go to benchmarks/results/api.json
(api-questions-1000.json with PIAF's questions, -spin with the busy-loop neighbour).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.common import (
    PIAF,
    ROOT,
    SEED,
    SHARED,
    free_port,
    machine,
    median,
    percentile,
    save,
    stop,
    table,
)
from ess.api import SEARCHES

ESS = Path(sys.executable).parent / "ess"
WARM_UP = 3
WARM_UP_QUESTION = "Comment financer les entreprises de l'ESS ?"
SCENARIOS = ("one", "two", "api", "unbounded", "neighbour")
WORKERS = {"one": 1, "two": 2, "unbounded": 0}  # searches at once, for the application's own server


def load_questions(path: Path) -> list[str]:
    return [json.loads(line)["question"] for line in path.open(encoding="utf-8")
            if line.strip()]


def serve_with(index: str, port: str, searches: str) -> None:
    """The worker of the `two` and `unbounded` scenarios: ess api's application, with at
    most `searches` searches at once (0: no bound)."""
    import uvicorn

    from ess.api import create_app

    uvicorn.run(create_app(Path(index), searches=int(searches) or None), host="127.0.0.1",
                port=int(port), log_level="warning", access_log=False)


def start_server(index: Path, scenario: str) -> tuple[subprocess.Popen, int]:
    import httpx

    port = free_port()
    command = ([str(ESS), "api", "--index", str(index), "--port", str(port)]
               if scenario not in WORKERS else
               [sys.executable, "-m", "benchmarks.api", "--serve-with", str(index), str(port),
                str(WORKERS[scenario])])
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped ({server.returncode}):\n"
                             f"{server.stderr.read()[-3000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200:
                return server, port
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not answer /health within 120 s")


def start_neighbour(index: Path, kind: str) -> subprocess.Popen:
    """A process that keeps the cores busy until stopped."""
    if kind == "spin":
        return subprocess.Popen([sys.executable, "-c", "while True: pass"])
    neighbour = subprocess.Popen([str(ESS), "search", "--index", str(index)], cwd=ROOT,
                                 stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, text=True)
    questions = load_questions(PIAF / "questions-1000.jsonl")

    def feed() -> None:  # 1,000 distinct questions in turn: never its 256-question cache
        try:
            while neighbour.poll() is None:
                for question in questions:
                    neighbour.stdin.write(question + "\n")
                    neighbour.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            pass

    threading.Thread(target=feed, daemon=True).start()
    time.sleep(2)  # loaded and searching
    return neighbour


def load(port: int, questions: list[str], requests: int, clients: int) -> dict:
    """`requests` searches shared by `clients` threads; latencies, wall time, errors."""
    import httpx

    url = f"http://127.0.0.1:{port}/search"
    with httpx.Client(timeout=60) as warm:
        for _ in range(WARM_UP):
            warm.get(url, params={"q": WARM_UP_QUESTION})
    work: queue.Queue[str] = queue.Queue()
    for number in range(requests):
        work.put(questions[number % len(questions)])
    latencies: list[float] = []
    errors: list[str] = []
    lock, start = threading.Lock(), threading.Barrier(clients + 1)

    def client() -> None:
        with httpx.Client(timeout=60) as session:
            start.wait()
            while True:
                try:
                    question = work.get_nowait()
                except queue.Empty:
                    return
                began = time.perf_counter()
                try:
                    reply = session.get(url, params={"q": question, "k": 5})
                    reply.read()
                    failed = None if reply.status_code == 200 else f"status {reply.status_code}"
                except httpx.HTTPError as exc:
                    failed = f"{type(exc).__name__}: {exc}"
                took = (time.perf_counter() - began) * 1000
                with lock:
                    latencies.append(took)
                    if failed:
                        errors.append(failed)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    return {"wall_s": round(wall, 3), "requests_per_s": round(requests / wall, 1),
            "median_ms": round(median(latencies), 1), "p95_ms": round(percentile(latencies, 95), 1),
            "errors": len(errors), "error_samples": errors[:5]}


def measure(index: Path, scenario: str, questions: list[str], args) -> list[dict]:
    runs = []
    for _ in range(args.runs):
        neighbour = start_neighbour(index, args.neighbour) if scenario == "neighbour" else None
        try:
            server, port = start_server(index, scenario)
            try:
                runs.append(load(port, questions, args.requests, args.clients))
            finally:
                stop(server, grace=20)
        finally:
            if neighbour is not None:
                stop(neighbour, grace=20)
    return runs


def build_index(target: Path) -> None:
    done = subprocess.run([str(ESS), "ingest", str(SEED), "--index", str(target), "--quiet"],
                          cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"ess ingest failed ({done.returncode}):\n{done.stderr[-3000:]}")


LABELS = {"one": ("one search at a time", "none"),
          "api": (f"`ess api` (at most {SEARCHES} searches at once)", "none"),
          "two": ("two searches at once", "none"),
          "unbounded": ("searches unbounded", "none"),
          "neighbour": (f"`ess api` (at most {SEARCHES} searches at once)", None)}


def main(argv: list[str] | None = None) -> int:
    if argv is None and sys.argv[1:2] == ["--serve-with"]:
        serve_with(*sys.argv[2:5])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="searches per run (200)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (8)")
    parser.add_argument("--runs", type=int, default=3, help="runs per scenario (3)")
    parser.add_argument("--questions", type=Path, default=SHARED / "eval" / "dev.jsonl",
                        help="JSONL with a question field (default ../shared/eval/dev.jsonl)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS),
                        help=f"comma-separated among {', '.join(SCENARIOS)}")
    parser.add_argument("--neighbour", choices=("search", "spin"), default="search",
                        help="the neighbour: an `ess search` loop (default) or a busy loop")
    parser.add_argument("--index", type=Path, default=None,
                        help="an index to serve (default: the seed corpus's, built into a "
                             "temporary folder)")
    args = parser.parse_args(argv)
    scenarios = [s for s in args.scenarios.split(",") if s]
    if any(s not in SCENARIOS for s in scenarios) or args.requests < 1 or args.clients < 1:
        parser.error("unknown scenario, or --requests / --clients below 1")
    questions = load_questions(args.questions)
    load_before = os.getloadavg()[0]
    print(f"Machine: {machine()}; 1-min load average {load_before:.2f} (other work skews figures)")
    with tempfile.TemporaryDirectory(prefix="ess-api-bench-") as scratch:
        index = args.index
        if index is None:
            index = Path(scratch) / "index"
            build_index(index)
        results = {s: measure(index.resolve(), s, questions, args) for s in scenarios}
    neighbour = {"search": "an `ess search` loop", "spin": "a busy loop"}[args.neighbour]
    rows = []
    for scenario, runs in results.items():
        server, beside = LABELS[scenario]
        rows.append([server, beside or neighbour, args.requests, args.clients,
                     f"{median([r['requests_per_s'] for r in runs]):.1f}",
                     f"{median([r['median_ms'] for r in runs]):.1f} ms",
                     f"{median([r['p95_ms'] for r in runs]):.1f} ms",
                     sum(r["errors"] for r in runs)])
    print(f"\n{len(questions)} questions from {args.questions.name}, asked in turn; medians over "
          f"{args.runs} runs (errors: all runs)\n")
    print(table(["server", "neighbour", "requests", "clients", "requests/s", "median",
                 "p95", "errors"], rows))
    name = "api" + ("" if args.questions.stem == "dev" else f"-{args.questions.stem}") + (
        "-spin" if args.neighbour == "spin" and "neighbour" in scenarios else "")
    path = save(name, {"questions": str(args.questions), "distinct_questions": len(questions),
                        "requests": args.requests, "clients": args.clients, "runs": args.runs,
                        "neighbour": args.neighbour, "index": str(args.index or "seed, temp"),
                        "results": results, "load_average": [load_before, os.getloadavg()[0]]})
    print(f"\nRaw figures: {path.relative_to(ROOT)}")
    return 1 if any(r["errors"] for runs in results.values() for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
