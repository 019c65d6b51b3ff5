"""Sharing the cores: query latency with neighbours, against the same searcher alone.

Each searcher is a fresh process that loads the index, warms up, waits for a common
start time, then asks --queries distinct questions (PIAF's, never the same text twice,
so every question is embedded) and reports each one's latency. Scenarios, in one run:

- 1 searcher alone (the reference), 2 and 4 searchers at once;
- 1 searcher while an ingest runs (`ess ingest` of --ingest-files PIAF files into a
  temporary index, the searcher starting once the ingest is embedding);
- the ingest alone, for its wall time (does sleeping instead of spinning cost the
  build its parallelism?).

Every scenario runs under each --policies: `shared` is the environment as a user has
it, where `index.threads` sets the wait policies; `library` keeps the libraries' own
defaults (ESS_SHARE_CORES=0), which is what the project did before. With --page, the
Streamlit page answers fresh typed questions in headless Chromium while an ingest runs
(shared settings).

    .venv/bin/python -m benchmarks.concurrency [--queries 100] [--policies shared,library]
        [--ingest-files 120] [--page] [--index DIR]

Raw figures go to benchmarks/results/concurrency.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import PIAF, ROOT, machine, median, percentile, save, table

ESS = Path(sys.executable).parent / "ess"
POLICIES = {
    "shared": {},  # as a user runs it: index.threads sets the wait policies
    "library": {"ESS_SHARE_CORES": "0"},  # the libraries' own defaults: the project before
}
WARM_UP = 3


def questions(count: int, offset: int) -> list[str]:
    """`count` distinct PIAF questions from `offset` (each searcher gets its own slice)."""
    rows = [json.loads(line) for line in (PIAF / "questions-1000.jsonl").open(encoding="utf-8")]
    return [row["question"] for row in rows[offset:offset + count]]


def searcher(index: str, count: int, offset: int, start_file: str) -> None:
    """The worker: load, warm up, wait for the start, ask, print the latencies (ms) as JSON."""
    from index.search import Searcher

    asked = questions(count + WARM_UP, offset)
    found = Searcher(Path(index))
    for question in asked[:WARM_UP]:
        found.search(question, 5)
    Path(start_file + f".ready-{os.getpid()}").touch()
    while not Path(start_file).exists():
        time.sleep(0.005)
    latencies = []
    for question in asked[WARM_UP:]:
        began = time.perf_counter()
        found.search(question, 5)
        latencies.append((time.perf_counter() - began) * 1000)
    print(json.dumps({"latencies_ms": latencies}))


def run_searchers(index: Path, count: int, processes: int, env: dict, scratch: Path) -> list:
    """Start `processes` searchers, release them together, return each one's latencies."""
    start = scratch / f"start-{time.monotonic_ns()}"
    workers = [subprocess.Popen(
        [sys.executable, "-m", "benchmarks.concurrency", "--worker", str(index), str(count),
         str(number * (count + WARM_UP)), str(start)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **env}) for number in range(processes)]
    deadline = time.monotonic() + 120
    while len(list(scratch.glob(f"{start.name}.ready-*"))) < processes:
        if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
            raise SystemExit("a searcher did not start: "
                             + "".join(w.stderr.read() for w in workers if w.poll() is not None))
        time.sleep(0.01)
    start.touch()
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=600)
        if worker.returncode != 0:
            raise SystemExit(f"a searcher failed ({worker.returncode}):\n{err[-3000:]}")
        results.append(json.loads(out.strip().splitlines()[-1])["latencies_ms"])
    return results


def piaf_sample(files: int, scratch: Path) -> Path:
    """A corpus of the first `files` PIAF files (sorted), copied into scratch."""
    corpus = scratch / "ingest-corpus"
    corpus.mkdir(exist_ok=True)
    for path in sorted((PIAF / "corpus").iterdir())[:files]:
        shutil.copy(path, corpus / path.name)
    return corpus


def start_ingest(corpus: Path, target: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen([str(ESS), "ingest", str(corpus), "--index", str(target),
                             "--rebuild", "--quiet"], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "ESS_CACHE": "off", **env})


def ingest_alone(corpus: Path, scratch: Path, env: dict) -> float:
    began = time.perf_counter()
    ingest = start_ingest(corpus, scratch / "index-alone", env)
    _, err = ingest.communicate()
    if ingest.returncode != 0:
        raise SystemExit(f"ess ingest failed:\n{err[-3000:]}")
    return time.perf_counter() - began


def with_ingest(index: Path, corpus: Path, count: int, env: dict, scratch: Path) -> dict:
    """One searcher while an ingest embeds; says whether the ingest outlasted it."""
    ingest = start_ingest(corpus, scratch / "index-busy", env)
    time.sleep(4)  # past reading, splitting and loading the model: embedding
    try:
        (latencies,) = run_searchers(index, count, 1, env, scratch)
        overlapped = ingest.poll() is None
    finally:
        ingest.wait()
    return {"latencies_ms": latencies, "ingest_outlasted_searcher": overlapped}


def summary(latencies: list[float]) -> dict:
    return {"median_ms": round(median(latencies), 2), "p95_ms": round(percentile(latencies, 95),
                                                                        2)}


def measure_policy(index: Path, corpus: Path, count: int, env: dict, scratch: Path) -> dict:
    out = {"alone": run_searchers(index, count, 1, env, scratch)[0]}
    out["2 searchers"] = [x for run in run_searchers(index, count, 2, env, scratch) for x in run]
    out["4 searchers"] = [x for run in run_searchers(index, count, 4, env, scratch) for x in run]
    busy = with_ingest(index, corpus, count, env, scratch)
    out["1 searcher + ingest"] = busy["latencies_ms"]
    return {"latencies_ms": out, "ingest_outlasted_searcher": busy["ingest_outlasted_searcher"],
            "ingest_alone_s": round(ingest_alone(corpus, scratch, env), 2)}


def page_under_ingest(index: Path, corpus: Path, scratch: Path, asks: int) -> dict:
    """Seconds from Enter to the cited answer for fresh questions while an ingest runs."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    from benchmarks.cold_start import INPUT, RUNNING, TIMEOUT, browser, serve

    asked = questions(asks, 900)
    seconds, outlasted = [], []
    with browser(scratch / "chromium-profile") as driver, \
            serve(index, scratch / "streamlit.log") as (url, _):
        driver.get(url)
        WebDriverWait(driver, TIMEOUT).until(EC.element_to_be_clickable((By.CSS_SELECTOR, INPUT)))
        ingest = start_ingest(corpus, scratch / "index-page", {})
        time.sleep(4)
        try:
            for question in asked:
                box = driver.find_element(By.CSS_SELECTOR, INPUT)
                box.send_keys(Keys.CONTROL, "a")
                box.send_keys(question)
                before = driver.find_element(By.TAG_NAME, "body").text
                began = time.perf_counter()
                box.send_keys(Keys.ENTER)
                # The answer is drawn when the script has finished with the new question
                # (a text input's value is not in the page's text: the answer changed it).
                WebDriverWait(driver, TIMEOUT, poll_frequency=0.05).until(
                    lambda d, before=before: (text := d.find_element(By.TAG_NAME, "body").text)
                    != before and "Passages" in text
                    and not d.find_elements(By.CSS_SELECTOR, RUNNING))
                seconds.append(time.perf_counter() - began)
                outlasted.append(ingest.poll() is None)
        finally:
            ingest.wait()
    return {"seconds": seconds, "ingest_running": outlasted}


def report(results: dict, count: int) -> None:
    scenarios = ["alone", "2 searchers", "4 searchers", "1 searcher + ingest"]
    rows = []
    for policy, measured in results["policies"].items():
        alone = median(measured["latencies_ms"]["alone"])
        for scenario in scenarios:
            figures = summary(measured["latencies_ms"][scenario])
            rows.append([policy, scenario, f"{figures['median_ms']:.1f}",
                         f"{figures['p95_ms']:.1f}",
                         f"{figures['median_ms'] / alone:.2f}×"])
    print(f"\n### Query latency with neighbours ({count} questions per searcher, hybrid, "
          "ms)\n")
    print(table(["settings", "scenario", "median", "p95", "median / alone"], rows))
    print("\n### The ingest alone (wall seconds)\n")
    print(table(["settings", "ingest wall", "outlasted the searcher"],
                [[policy, f"{m['ingest_alone_s']:.1f}",
                  "yes" if m["ingest_outlasted_searcher"] else "no"]
                 for policy, m in results["policies"].items()]))
    page = results.get("page")
    if page:
        print("\n### The page while an ingest runs (Enter → cited answer, seconds)\n")
        print(table(["questions", "median", "max", "ingest still running at the end"],
                    [[len(page["seconds"]), f"{median(page['seconds']):.2f}",
                      f"{max(page['seconds']):.2f}", "yes" if page["ingest_running"][-1]
                      else "no"]]))


def main(argv: list[str] | None = None) -> int:
    if argv is None and sys.argv[1:2] == ["--worker"]:
        searcher(*sys.argv[2:3], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=100, help="questions per searcher")
    parser.add_argument("--policies", default="shared,library",
                        help="comma-separated: shared, library (default both)")
    parser.add_argument("--ingest-files", type=int, default=120,
                        help="PIAF files the neighbouring ingest reads (default 120)")
    parser.add_argument("--page", action="store_true",
                        help="also time the page's answers while an ingest runs (Chromium)")
    parser.add_argument("--page-questions", type=int, default=5)
    parser.add_argument("--index", type=Path, default=None,
                        help="the index searched (default: the seed corpus's, built here)")
    args = parser.parse_args(argv)
    policies = args.policies.split(",")
    if not set(policies) <= set(POLICIES) or args.queries < 1:
        parser.error(f"--policies among {', '.join(POLICIES)}; --queries at least 1")
    print(f"Machine: {machine()}; 1-min load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="ess-concurrency-") as tmp:
        scratch = Path(tmp)
        index = args.index
        if index is None:
            index = scratch / "seed-index"
            subprocess.run([str(ESS), "ingest", str(ROOT / "corpus"), "--index", str(index),
                            "--quiet"], cwd=ROOT, check=True)
        corpus = piaf_sample(args.ingest_files, scratch)
        results = {"queries": args.queries, "ingest_files": args.ingest_files, "policies": {}}
        for policy in policies:
            results["policies"][policy] = measure_policy(index, corpus, args.queries,
                                                         POLICIES[policy], scratch)
        save("concurrency", results)  # the searchers' figures are kept if the page fails
        if args.page:
            results["page"] = page_under_ingest(index, corpus, scratch, args.page_questions)
    results["load_average_after"] = os.getloadavg()[0]
    report(results, args.queries)
    print(f"\nRaw figures: {save('concurrency', results).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
