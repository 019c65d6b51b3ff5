"""`ess api`: the read-only HTTP JSON API, FastAPI on uvicorn.

    GET /health                   the build in use, its passages and model (503 without an index)
    GET /search?q=&k=&mode=&theme=   the object of one line of `ess search --json`
    GET /answer?q=&k=&llm=        the object of `ess answer --json` (`--llm` with llm=true)
    GET /related/{passage_id}?k=  the object of `ess related PASSAGE_ID --json`
    GET /themes                   the list of `ess themes --json`
    GET /themes/{theme_id}        the object of `ess theme THEME_ID --json`
    GET /docs                     the OpenAPI documentation (its schema: /openapi.json)

The objects are built by the library (ess.payloads, answer.compose), as the command
line builds them. Every error is JSON, `{"detail": "<message en français>"}`: 400 for a
wrong parameter (FastAPI's own 422 validation errors included: the OpenAPI document
lists no 422), 404 for an unknown passage, theme or address, 405 for any method but GET
and HEAD (the API writes nothing), 503 while there is no usable index, 500 for a bug
(logged here with its traceback, never sent). What comes before a request reaches
FastAPI (HEAD, a header timeout, malformed HTTP) is ess.connection's.

Every endpoint calls the engine the page and the command line call (ess.engine): each
request reads which build is current (one small file) and answers from that build,
loaded once and kept until an ingest makes another build current: a new ingest is
picked up without a restart, as the page does.
Endpoints are plain functions, run in FastAPI's thread pool, at most SEARCHES at once
(a semaphore): a search is CPU-bound, but its Python parts (BM25, fusion, JSON) hold the
interpreter's lock while the encoder and FAISS release it, so searches side by side keep
both cores busy where one at a time leaves one idle; on 2 cores, with 8 clients, 4 at
once served about 30 % more requests a second than one at a time (benchmarks/api.py,
docs/performance.md « The HTTP API »). The bound keeps a crowd of clients from
multiplying the threads that share the cores.
"""

from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Literal

import uvicorn
from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from ess.connection import HEADER_TIMEOUT_S, FrenchLog, Head, Protocol
from ess.engine import Engine
from ess.payloads import related_payload, search_payload, theme_payload, themes_payload
from index.errors import UNEXPECTED, EssError, IndexMissing
from index.limits import EMPTY_Q_PARAMETER, MAX_K, MAX_QUESTION_CHARS
from index.related import UnknownPassage
from index.themes import UnknownTheme

log = logging.getLogger("ess.api")

TITLE = "API de recherche ESS"
SEARCHES = 4  # searches at once (docs/performance.md, « The HTTP API »)
DESCRIPTION = (
    "Recherche en lecture seule dans un corpus français sur l'économie sociale et solidaire "
    "(ESS) : passages cités, réponses composées de phrases des documents, passages proches, "
    "thèmes. Chaque objet est celui que la commande `ess … --json` correspondante écrit.\n\n"
    "Chaque adresse répond aussi à HEAD (les en-têtes de GET, sans le corps).\n\n"
    "Erreurs : toujours un objet JSON `{\"detail\": \"…\"}` en français ; 400 paramètre "
    "invalide ou requête HTTP malformée, 404 identifiant ou adresse inconnus, 405 méthode "
    "autre que GET et HEAD, 408 en-têtes de requête incomplets après "
    f"{HEADER_TIMEOUT_S:g} s, 503 pas encore d'index utilisable, 500 erreur inattendue "
    "(consignée dans le journal du serveur)."
)
MODES = Literal["hybrid", "dense", "lexical"]
# Set-up problems of the server, not of the request: the index is missing, unreadable,
# or its model or catalogue cannot be used. Any other EssError is the request's (400).
SERVER_SIDE = ("IndexMissing", "IndexUnreadable", "ModelMismatch", "ModelUnavailable",
               "SettingError", "CatalogueError")


class Erreur(BaseModel):
    """Le corps de chaque erreur : un message en français qui dit quoi faire."""  # in /docs

    detail: str = Field(title="détail", description="le message")


ERRORS = {
    400: {"model": Erreur, "description": "Paramètre manquant ou invalide"},
    503: {"model": Erreur, "description": "Pas encore d'index utilisable : lancez `ess ingest`"},
    500: {"model": Erreur, "description": "Erreur inattendue, consignée dans le journal"},
}
NOT_FOUND = {404: {"model": Erreur, "description": "Identifiant inconnu"}}


class RequestError(Exception):
    """An error answered with its status and French message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def create_app(index_dir: Path, searches: int | None = SEARCHES) -> FastAPI:
    """The application answering from `index_dir`, running at most `searches` searches
    at once (None: as many as requests; benchmarks/api.py compares)."""
    engine = Engine(index_dir)  # loads the current build when first asked, follows CURRENT
    at_once = threading.BoundedSemaphore(searches) if searches else _NoLock()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        try:  # the first question then answers at once
            engine.health()
        except IndexMissing:
            log.warning("pas encore d'index dans %s : l'API répond 503 jusqu'au premier "
                        "`ess ingest`", index_dir)
        except EssError as exc:
            log.warning("index inutilisable : %s", exc)
        yield

    # FastAPIOffline: /docs with Swagger UI's files served from here, not from a CDN (the
    # machines that run this often reach no internet); /redoc likewise.
    app = FastAPIOffline(title=TITLE, description=DESCRIPTION, version="1", lifespan=lifespan,
                         openapi_tags=[{"name": "recherche",
                                        "description": "Questions et passages"},
                                       {"name": "thèmes",
                                        "description": "Le catalogue de thèmes"},
                                       {"name": "service", "description": "État du service"}])
    app.state.engine = engine
    _handlers(app)
    app.add_middleware(Head)
    _openapi_in_french(app)

    def question(q: str) -> str:
        if not q.strip():
            raise RequestError(400, EMPTY_Q_PARAMETER)
        return q

    @app.get("/health", tags=["service"], summary="État du service",
             description="La version de l'index en service, son nombre de passages et son "
                         "modèle ; 503 tant qu'il n'y a pas d'index.",
             response_description="L'index en service",
             responses={503: ERRORS[503], 500: ERRORS[500]})
    def health() -> dict:
        return engine.health().to_dict()

    @app.get("/search", tags=["recherche"], summary="Chercher les passages qui répondent",
             description="Les k meilleurs passages pour la question, les meilleurs d'abord : "
                         "l'objet d'une ligne de `ess search --json`.",
             response_description="Les passages : l'objet de `ess search --json`",
             responses=ERRORS)
    def search(
        q: Annotated[str, Query(description="la question, en français (ou en espagnol, "
                                            "anglais, portugais)", max_length=MAX_QUESTION_CHARS)],
        k: Annotated[int, Query(ge=1, le=MAX_K, description="nombre de passages")] = 5,
        mode: Annotated[MODES, Query(description="hybrid (BM25 et modèle, par défaut), "
                                                 "dense (modèle seul) ou lexical (BM25 seul)")]
            = "hybrid",
        theme: Annotated[str | None, Query(description="seulement les passages de ce thème "
                                                       "(voir /themes)")] = None,
    ) -> dict:
        query = question(q)
        with at_once:
            try:
                hits = engine.search(query, k, mode, theme=theme)
            except UnknownTheme as exc:
                raise RequestError(400, str(exc)) from None
        return search_payload(query, hits)

    @app.get("/answer", tags=["recherche"], summary="Répondre par des phrases citées",
             description="Une à trois phrases tirées mot pour mot des meilleurs passages, "
                         "chacune suivie du numéro de son passage, ou la raison pour laquelle "
                         "aucun passage ne répond : l'objet de `ess answer --json`.",
             response_description="La réponse et ses passages : l'objet de "
                                  "`ess answer --json`",
             responses=ERRORS)
    def answer(
        q: Annotated[str, Query(description="la question", max_length=MAX_QUESTION_CHARS)],
        k: Annotated[int, Query(ge=1, le=MAX_K,
                                description="nombre de passages d'où la réponse est tirée")]
            = 5,
        llm: Annotated[bool, Query(description="réponse rédigée par le modèle de langue "
                                               "configuré (ESS_LLM_URL), chaque phrase "
                                               "vérifiée ; 400 si aucun ne l'est")] = False,
    ) -> dict:
        from answer.llm import NOT_CONFIGURED, LlmSettings

        query = question(q)
        settings = LlmSettings.from_env() if llm else None
        if llm and settings is None:
            raise RequestError(400, f"llm=true : {NOT_CONFIGURED}")
        with at_once:
            answer = engine.answer(query, k)
        if settings is None:
            return answer.to_dict()
        return engine.write(answer, settings).to_dict()  # the model's wait holds no slot

    @app.get("/related/{passage_id}", tags=["recherche"], summary="Les passages proches",
             description="Les k passages les plus proches d'un passage, chacun disant s'il "
                         "vient d'une autre section ou d'un autre document : l'objet de "
                         "`ess related ID_PASSAGE --json`.",
             response_description="Les passages proches : l'objet de `ess related --json`",
             responses={**ERRORS, **NOT_FOUND})
    def related(
        passage_id: Annotated[str, PathParam(description="l'identifiant d'un passage (champ "
                                                         "id des résultats)")],
        k: Annotated[int, Query(ge=1, le=MAX_K, description="nombre de passages")] = 5,
    ) -> dict:
        with at_once:
            return related_payload(passage_id, engine.related(passage_id, k))

    @app.get("/themes", tags=["thèmes"], summary="Les thèmes du catalogue",
             description="Chaque thème avec son nombre de passages : la liste de "
                         "`ess themes --json`.",
             response_description="Les thèmes : la liste de `ess themes --json`",
             responses={503: ERRORS[503], 500: ERRORS[500]})
    def themes() -> list[dict]:
        with at_once:
            return themes_payload(engine.searcher)

    @app.get("/themes/{theme_id}", tags=["thèmes"], summary="Les passages d'un thème",
             description="Les passages du thème, par document et section, dans l'ordre du "
                         "corpus : l'objet de `ess theme ID_THEME --json`.",
             response_description="Le thème et ses passages : l'objet de "
                                  "`ess theme --json`",
             responses={503: ERRORS[503], 500: ERRORS[500], **NOT_FOUND})
    def theme(
        theme_id: Annotated[str, PathParam(description="l'identifiant du thème (voir /themes)")],
    ) -> dict:
        with at_once:
            return theme_payload(engine.searcher, theme_id)

    return app


class _NoLock:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _handlers(app: FastAPI) -> None:
    """Every error as `{"detail": "<French message>"}` with its status."""

    def reply(status: int, message: str, headers: dict | None = None) -> JSONResponse:
        return JSONResponse({"detail": message}, status_code=status, headers=headers)

    @app.exception_handler(RequestError)
    async def request_error(request: Request, exc: RequestError):
        return reply(exc.status, str(exc))

    @app.exception_handler(UnknownPassage)
    async def unknown_passage(request: Request, exc: UnknownPassage):
        return reply(404, str(exc))

    @app.exception_handler(UnknownTheme)
    async def unknown_theme(request: Request, exc: UnknownTheme):
        return reply(404, str(exc))

    @app.exception_handler(EssError)
    async def ess_error(request: Request, exc: EssError):
        server_side = any(cls.__name__ in SERVER_SIDE for cls in type(exc).__mro__)
        if server_side:
            log.warning("%s : %s", request.url.path, exc)
        return reply(503 if server_side else 400, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        return reply(400, validation_message(exc.errors()))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        if exc.status_code == 404:
            message = (f"adresse inconnue : {request.url.path} ; la liste des adresses est "
                       "sur /docs")
        elif exc.status_code == 405:
            message = (f"méthode {request.method} impossible sur {request.url.path} : l'API "
                       "est en lecture seule, seuls GET et HEAD sont acceptés")
            return reply(405, message, {"Allow": "GET, HEAD"})
        else:
            message = f"requête refusée ({exc.status_code})"
        return reply(exc.status_code, message, getattr(exc, "headers", None))

    @app.middleware("http")
    async def bug(request: Request, call_next):
        """A bug: its traceback logged here, a French message without it sent."""
        try:
            return await call_next(request)
        except Exception:
            log.exception("erreur inattendue sur %s %s", request.method, request.url)
            return reply(500, UNEXPECTED)


def _openapi_in_french(app: FastAPI) -> None:
    """The OpenAPI document without FastAPI's English: its « 422 Validation Error » on
    every address (never sent: a wrong parameter is a 400, in French) and the schemas
    it names, and the titles it makes up from Python names (« Response Search Search
    Get », « Passage Id »)."""
    generate = app.openapi

    def openapi() -> dict:
        schema = generate()  # made once, then cached by FastAPI: the changes stay
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                operation.get("responses", {}).pop("422", None)
                for response in operation.get("responses", {}).values():
                    response.get("content", {}).get("application/json", {}).get(
                        "schema", {}).pop("title", None)
                for parameter in operation.get("parameters", []):
                    parameter.get("schema", {}).pop("title", None)
        for name in ("HTTPValidationError", "ValidationError"):
            schema.get("components", {}).get("schemas", {}).pop(name, None)
        return schema

    app.openapi = openapi


def validation_message(errors) -> str:
    """FastAPI's validation errors in French, naming each parameter.

    >>> validation_message([{"type": "missing", "loc": ("query", "q"), "input": None}])
    'paramètre q manquant'
    >>> validation_message([{"type": "less_than_equal", "loc": ("query", "k"), "input": "99",
    ...                      "ctx": {"le": 50}}])
    'paramètre k : au plus 50, pas 99'
    """
    messages = []
    for error in errors:
        name = str(error.get("loc", ("", "?"))[-1])
        kind, value, ctx = error.get("type", ""), error.get("input"), error.get("ctx") or {}
        if kind == "missing":
            messages.append(f"paramètre {name} manquant")
        elif kind == "int_parsing":
            messages.append(f"paramètre {name} : un entier est attendu, pas {value!r}")
        elif kind == "bool_parsing":
            messages.append(f"paramètre {name} : true ou false est attendu, pas {value!r}")
        elif kind in ("greater_than_equal", "greater_than"):
            bound = ctx.get("ge", ctx.get("gt"))
            messages.append(f"paramètre {name} : au moins {bound}, pas {value}")
        elif kind in ("less_than_equal", "less_than"):
            bound = ctx.get("le", ctx.get("lt"))
            messages.append(f"paramètre {name} : au plus {bound}, pas {value}")
        elif kind == "literal_error":
            messages.append(f"paramètre {name} : {value!r} n'est pas une valeur possible "
                            f"({ctx.get('expected', '')})".replace(" or ", " ou "))
        elif kind == "string_too_long":
            messages.append(f"paramètre {name} : au plus {ctx.get('max_length')} caractères")
        else:
            messages.append(f"paramètre {name} invalide")
    return " ; ".join(messages) or "requête invalide"


def run(index_dir: Path, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the API on host:port until Ctrl+C, in this process (one worker, no reload)."""
    from ess.serve import _check_free

    _check_free(host, port)  # a port in use, said in French before uvicorn would
    config = uvicorn.Config(create_app(index_dir), host=host, port=port, workers=1,
                            reload=False, access_log=False, log_config=_log_config(),
                            server_header=False, http=Protocol, ws="none")
    _Server(config).run()


class _Server(uvicorn.Server):
    """uvicorn's server with its start-up line in French (its own lines are English)."""

    def _log_started_message(self, listeners) -> None:
        host, port = listeners[0].getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        opened = (" ; toutes les interfaces : l'API est ouverte au réseau"
                  if host in ("0.0.0.0", "::") else "")
        print(f"API de recherche ouverte : http://{shown}:{port} (documentation : "
              f"http://{shown}:{port}/docs{opened} ; Ctrl+C pour l'arrêter)", flush=True)


def _log_config() -> dict:
    """uvicorn's warnings and errors, and this module's messages, on standard error."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s : %(message)s"}},
        "filters": {"french": {"()": FrenchLog}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain",
                                "stream": "ext://sys.stderr"}},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
            "uvicorn.error": {"level": "WARNING", "filters": ["french"]},
            "ess.api": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        },
    }
