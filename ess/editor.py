"""Who may add documents from the page: editors, who know the editor secret.

Without a secret configured the page offers no upload at all. The secret is
`ESS_EDITOR_PASSWORD`, or the text of the file `ESS_EDITOR_PASSWORD_FILE` names (a
secret kept out of the environment, as Docker and systemd credentials do; one
trailing newline is ignored). A `Gate` compares what is typed in constant time and
makes repeated failures wait: each failure doubles a delay, up to `MAX_WAIT_S`,
during which every attempt is refused unread. One gate per process, so the count
holds across browser sessions.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from index.errors import SettingError, os_reason

PASSWORD = "ESS_EDITOR_PASSWORD"
PASSWORD_FILE = "ESS_EDITOR_PASSWORD_FILE"
FIRST_WAIT_S = 1.0
MAX_WAIT_S = 300.0


def secret(environ: dict | None = None) -> str | None:
    """The editor secret, or None when none is configured (no uploads then)."""
    environ = os.environ if environ is None else environ
    if environ.get(PASSWORD):
        return environ[PASSWORD]
    named = environ.get(PASSWORD_FILE)
    if not named:
        return None
    path = Path(named).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = os_reason(exc) if isinstance(exc, OSError) else "il n'est pas en UTF-8"
        raise SettingError(f"{PASSWORD_FILE} nomme {path}, qui ne peut pas être lu ({why}) : "
                           "vérifiez le chemin et ses droits, ou retirez la variable pour ne "
                           "pas proposer d'ajout") from exc
    text = text.removesuffix("\n").removesuffix("\r")
    if not text:
        raise SettingError(f"le fichier {path} ({PASSWORD_FILE}) est vide : écrivez-y le mot "
                           "de passe des éditeurs, ou retirez la variable")
    return text


class Verdict(NamedTuple):
    ok: bool
    message: str


class Gate:
    """Checks typed secrets against one secret, slowing repeated failures."""

    def __init__(self, secret: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._digest = _digest(secret)
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._open_at = 0.0

    def check(self, given: str) -> Verdict:
        with self._lock:
            now = self._clock()
            if now < self._open_at:
                wait = max(1, round(self._open_at - now))
                return Verdict(False, f"Trop d'essais : réessayez dans {wait} s.")
            if hmac.compare_digest(_digest(given), self._digest):
                self._failures = 0
                return Verdict(True, "Accès éditeur accordé.")
            self._failures += 1
            self._open_at = now + min(FIRST_WAIT_S * 2 ** (self._failures - 1), MAX_WAIT_S)
            return Verdict(False, "Mot de passe incorrect.")


def _digest(text: str) -> bytes:
    """Equal-length digests, so that the comparison's time says nothing of the length."""
    return hashlib.sha256(text.encode("utf-8")).digest()
