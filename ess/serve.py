"""`ess serve`: the page in one command.

If the index does not exist yet, the corpus is indexed first (its progress shown), then
Streamlit runs the page (ess/page.py) on the given address: 127.0.0.1 by default, so that only this
machine reaches the page until `--host` opens it to a network. Streamlit's own English
start-up lines are replaced by one French line; its warnings and errors still reach
standard error, for the maintainer.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from ess import editor
from index import store
from index.errors import EssError, IndexMissing, os_reason

APP = Path(__file__).resolve().with_name("page.py")
READY_S = 120.0  # how long the page may take to answer its health check


def serve(index_dir: Path, host: str = "127.0.0.1", port: int = 8501,
          corpus: Path | None = None) -> int:
    """Build the index if there is none, then run the page until it stops; its status."""
    if not APP.is_file():
        raise EssError(f"la page {APP} est introuvable : `ess serve` se lance depuis une copie "
                       "du dépôt installée avec `pip install -e .`")
    _check_free(host, port)
    editor.secret()  # an unreadable secret file is said now, not hidden in the page's log
    try:
        store.current(index_dir)
    except IndexMissing:
        from ess.report import ingest_and_report
        from index.config import Config

        config = Config(index=index_dir, **({"corpus": corpus} if corpus else {}))
        print(f"Pas encore d'index : indexation de {config.corpus} (une seule fois)…",
              flush=True)
        ingest_and_report(config, show_progress=True)
    return _run_page(index_dir, host, port)


def _check_free(host: str, port: int) -> None:
    """A port already taken, or an address this machine does not have, said in French
    before Streamlit would say it in English."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        # As servers do: a port whose last connections linger (TIME_WAIT) is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno in (98, 48):  # EADDRINUSE on Linux, macOS
                raise EssError(f"le port {port} est déjà utilisé sur {host} : choisissez-en un "
                               "autre avec --port, ou arrêtez l'autre programme") from None
            raise EssError(f"impossible d'écouter sur {host}:{port} ({os_reason(exc)}) : "
                           "vérifiez l'adresse donnée à --host") from None


def _run_page(index_dir: Path, host: str, port: int) -> int:
    # Run from the page's folder, so that Streamlit reads the page's settings
    # (ess/.streamlit/config.toml: upload limit, no error details, light theme), installed
    # or not, from wherever `ess serve` is started.
    command = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true",
               "--server.address", host, "--server.port", str(port)]
    env = {**os.environ, "ESS_INDEX": str(index_dir.resolve())}
    page = subprocess.Popen(command, cwd=APP.parent, env=env, stdout=subprocess.PIPE,
                            stderr=None, text=True)
    threading.Thread(target=_drain, args=(page.stdout,), daemon=True).start()
    # A service manager stops `ess serve` with SIGTERM: the page goes with it.
    signal.signal(signal.SIGTERM, lambda *_: page.terminate())
    try:
        if _wait_ready(page, host, port):
            print(f"Page de recherche ouverte : {_address(host, port)} "
                  "(Ctrl+C pour l'arrêter)", flush=True)
        status = page.wait()
        if status:
            print(f"La page s'est arrêtée (statut {status}) : voyez les messages ci-dessus.",
                  file=sys.stderr)
        return status
    except KeyboardInterrupt:  # Ctrl+C reaches the page too: let it stop, then say so
        try:
            page.wait(timeout=10)
        except subprocess.TimeoutExpired:
            page.kill()
        print("Page arrêtée.", flush=True)
        return 0


def _drain(stream) -> None:
    """Streamlit's standard output is its English start-up banner: read and dropped."""
    for _ in stream:
        pass


def _wait_ready(page: subprocess.Popen, host: str, port: int) -> bool:
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    url = f"http://{'[' + local + ']' if ':' in local else local}:{port}/_stcore/health"
    deadline = time.monotonic() + READY_S
    while time.monotonic() < deadline and page.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                if reply.status == 200:
                    return True
        except OSError:
            time.sleep(0.2)
    return False


def _address(host: str, port: int) -> str:
    if host in ("0.0.0.0", "::", ""):
        return (f"http://{socket.gethostname()}:{port} (toutes les interfaces : la page est "
                "ouverte au réseau)")
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}"
