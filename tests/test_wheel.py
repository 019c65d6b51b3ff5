"""The package installed as a user installs it (a wheel, not an editable checkout) serves
the page and the API from any folder: the page, its settings and the answer's models
travel inside the wheel, and the index lives outside the code.

The wheel is built from this checkout and installed, without its dependencies, into a
fresh virtual environment; the dependencies come from the test's own environment by a
path file, so the test needs no network and takes seconds. The checkout itself is never
on that environment's path (its editable-install hooks are not read: a path file's
folder is not a site folder), and every command runs from an empty folder elsewhere.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import urllib.request
import venv
from pathlib import Path

import pytest

from conftest import ROOT, free_port, stop

TIMEOUT = 180
pytestmark = pytest.mark.slow  # a wheel built, a virtualenv made, servers started


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment with the project's wheel installed; its bin folder."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"  # built from a copy: setuptools writes build/ where it builds
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "node_modules", "artifacts",
        "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis", "corpus", "tests"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-w", str(work / "dist"), str(source)], check=True, capture_output=True,
                   timeout=300)
    (wheel,) = (work / "dist").glob("ess*.whl")
    env_dir = work / "env"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    purelib = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip())
    # the dependencies: this environment's site folders, after the wheel's own files
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (purelib / "zz_dependencies.pth").write_text("\n".join(sorted(ours)) + "\n",
                                                 encoding="utf-8")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                    "--no-deps", "--no-index", str(wheel)], check=True, capture_output=True,
                   timeout=300)
    return env_dir / "bin"


def clean_env(index: Path, home: Path) -> dict:
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("ESS_", "PYTHON", "VIRTUAL_ENV"))}
    return {**env, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"),
            "ESS_INDEX": str(index)}


def test_the_installed_package_is_not_the_checkout(installed, tmp_path):
    where = subprocess.run(
        [str(installed / "python"), "-c",
         "import json, pathlib, ess.engine, answer.compose, index.search; "
         "print(json.dumps([str(pathlib.Path(m.__file__).resolve().parent) for m in "
         "(ess.engine, answer.compose, index.search)]))"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True,
        env=clean_env(tmp_path / "i", tmp_path))
    folders = [Path(p) for p in json.loads(where.stdout)]
    assert not any(folder.is_relative_to(ROOT) for folder in folders)
    ess_folder, answer_folder, _ = folders
    assert (ess_folder / "page.py").is_file()
    assert (ess_folder / ".streamlit" / "config.toml").is_file()
    assert (answer_folder / "models" / "gate.json").is_file()


def test_the_installed_package_ingests_and_serves_from_another_folder(installed, tmp_path):
    elsewhere = tmp_path / "ailleurs"
    elsewhere.mkdir()
    index = tmp_path / "donnees" / "index"
    env = clean_env(index, tmp_path)
    ess = str(installed / "ess")
    built = subprocess.run([ess, "ingest", str(ROOT / "corpus"), "--quiet"],
                           cwd=elsewhere, env=env, capture_output=True, text=True,
                           timeout=600)
    assert built.returncode == 0, built.stderr
    assert "indexés en" in built.stdout and (index / "CURRENT").is_file()

    answer = subprocess.run([ess, "answer", "Quelles valeurs portent les mutuelles ?",
                             "--json"], cwd=elsewhere, env=env, capture_output=True,
                            text=True, timeout=300)
    assert answer.returncode == 0, answer.stderr
    assert json.loads(answer.stdout)["answered"] is True  # the models came with the wheel

    port = free_port()
    page = subprocess.Popen([ess, "serve", "--port", str(port)], cwd=elsewhere, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert poll(f"http://127.0.0.1:{port}/_stcore/health", page) == "ok"
    finally:
        stop(page, grace=20)

    port = free_port()
    api = subprocess.Popen([ess, "api", "--port", str(port)], cwd=elsewhere, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        health = json.loads(poll(f"http://127.0.0.1:{port}/health", api))
        assert health["status"] == "ok" and health["passages"] > 0
    finally:
        stop(api, grace=20)


def poll(url: str, process: subprocess.Popen) -> str:
    """The body at `url` once the process answers it (bounded wait)."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        if process.poll() is not None:
            pytest.fail(f"{process.args} exited ({process.returncode}):\n"
                        f"{process.stdout.read() if process.stdout else ''}")
        try:
            with urllib.request.urlopen(url, timeout=5) as reply:
                return reply.read().decode().strip()
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"no answer at {url} after {TIMEOUT} s")
            time.sleep(0.25)
