"""What every benchmark script shares: timing, medians and percentiles, peak memory,
the machine's description, and Markdown tables.

Figures are reported, never asserted: these machines are shared and noisy, so each
figure is a median over several runs, and the tables say how many.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEED = ROOT / "corpus"
PIAF = SHARED / "data" / "piaf"
CODES_TARBALL = SHARED / "data" / "codes" / "codes-en-vigueur.tar.gz"
CODES = Path(os.environ.get("ESS_BENCH_CODES", "/tmp/codes-en-vigueur"))
RESULTS = ROOT / "benchmarks" / "results"


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100), by linear interpolation.

    >>> percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)
    9.55
    """
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    at = (len(ordered) - 1) * q / 100
    low, high = int(at), min(int(at) + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (at - low), 6)


def peak_rss_mb() -> float:
    """This process's peak resident size so far, in MB (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    """This process's current resident size, in MB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def machine() -> str:
    """One line saying what the figures were measured on."""
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, Python "
            f"{platform.python_version()}, {platform.system()} {platform.release()}")


def run_json(args: list[str], env: dict | None = None, timeout: float | None = None) -> dict:
    """Run a Python module in a fresh process and return the JSON object it prints last.

    A fresh process per measured run gives each its own peak memory and cold caches
    of Python objects (the OS file cache stays warm, as it does for a user).
    """
    command = [sys.executable, *args]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def free_port() -> int:
    """A loopback port no one listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop(process: subprocess.Popen, grace: float = 10) -> None:
    """Terminate, then kill if it is still there after `grace` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table; floats keep the precision they were given as strings.

    >>> print(table(["a", "b"], [[1, "x"]]))
    | a | b |
    | --- | --- |
    | 1 | x |
    """
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def save(name: str, payload: dict) -> Path:
    """Write a benchmark's raw figures to benchmarks/results/NAME.json (and return the path)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"machine": machine(), "measured_at": time.strftime("%Y-%m-%d %H:%M"), **payload}
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def ensure_codes() -> Path:
    """The unpacked legal codes (outside the repository), unpacking them on first use."""
    if not (CODES / "code-du-travail").is_dir():
        CODES.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["tar", "-xzf", str(CODES_TARBALL), "-C", str(CODES.parent)], check=True)
    return CODES
