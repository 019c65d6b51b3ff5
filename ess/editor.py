"""Who may add documents from the page: editors, who know the editor secret.

Without a secret configured the page offers no upload at all. The secret is
`ESS_EDITOR_PASSWORD`, or the text of the file `ESS_EDITOR_PASSWORD_FILE` names (a
secret kept out of the environment, as Docker and systemd credentials do; one
trailing newline is ignored). A `Throttle` compares what is typed in constant time and
makes repeated failures wait, per client: each failure of a browser session doubles
its wait, up to `MAX_WAIT_S`, during which its attempts are refused unread, and the
message says when the next one will be read (« réessayez dans 12 s »). An address
waits too once many of its attempts failed (a new tab is no way round), and everyone
waits only in a burst of failures from many clients (a guess spread over machines).
One wrong try every five minutes, or a hundred from one machine, never keeps another
editor out. One throttle per process: the page's sessions share it. (« Gate » is
the no-answer gate's word, answer.gate; an editor's try is an `Attempt`.)
"""

from __future__ import annotations

import hashlib
import hmac
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import NamedTuple

from index.settings import Settings

PASSWORD = "ESS_EDITOR_PASSWORD"
PASSWORD_FILE = "ESS_EDITOR_PASSWORD_FILE"
FIRST_WAIT_S = 1.0  # a session's wait after its first failure, doubled after each next one
MAX_WAIT_S = 60.0  # the longest wait one client is given
FORGET_S = 900.0  # failures older than this (15 min without a new one) are forgotten
ADDRESS_FREE = 10  # failures from one address, all its sessions, before the address waits
BURST_CLIENTS = 20  # clients failing within BURST_WINDOW_S that make everyone wait
BURST_WINDOW_S = 60.0
BURST_WAIT_S = 30.0
MAX_CLIENTS = 10_000  # sessions, and addresses, remembered at most


def secret(environ: dict | None = None) -> str | None:
    """The editor secret, or None when none is configured (no uploads then)."""
    return Settings.from_env(environ).editor_secret


class Attempt(NamedTuple):
    """What became of one typed secret: let in, or refused with the French reason."""

    ok: bool
    message: str


class Client(NamedTuple):
    """Who types a secret: the browser's address (None when unknown: on this machine, or
    behind a reverse proxy on it) and its page session."""

    address: str | None
    session: str


class _Count(NamedTuple):
    failures: int
    last: float  # the clock's time of the last failure
    open_at: float  # no attempt is read before this time


class Throttle:
    """Checks typed secrets against one secret, slowing repeated failures, per client.

    - A session (one browser tab) that fails waits FIRST_WAIT_S, then twice as long
      after each further failure, MAX_WAIT_S at most; a success or FORGET_S without a
      failure starts it afresh.
    - An address, across all its sessions (opening a new tab does not start afresh),
      waits in the same way once ADDRESS_FREE of its attempts have failed within the
      last FORGET_S: colleagues behind one address are not slowed by one person's typos.
    - Everyone waits BURST_WAIT_S when BURST_CLIENTS clients (addresses, or sessions
      where the address is unknown) have failed within BURST_WINDOW_S: a guess spread
      over many machines. Nothing else makes one client wait for another's mistakes.

    The clock is injected, so that tests move time instead of sleeping. At most
    MAX_CLIENTS sessions and addresses are remembered (the oldest are forgotten first),
    so that a crowd of sessions cannot fill the memory.
    """

    def __init__(self, secret: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._digest = _digest(secret)
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[Client, _Count] = {}
        self._addresses: dict[str, deque[float]] = {}  # times of failures within FORGET_S
        self._burst: deque[tuple[float, object]] = deque()  # (time, client) of failures
        self._closed_until = 0.0  # everyone's wait, after a burst

    def check(self, given: str, client: Client) -> Attempt:
        """Whether `given` is the secret, read only when `client` has no wait to serve;
        the message says, in French, when the next attempt will be read."""
        with self._lock:
            now = self._clock()
            wait, everyone = self._wait(client, now)
            if wait > 0:
                return Attempt(False, _too_many(wait, everyone))
            if hmac.compare_digest(_digest(given), self._digest):
                self._sessions.pop(client, None)
                return Attempt(True, "Accès éditeur accordé.")
            self._fail(client, now)
            wait, _ = self._wait(client, now)
            return Attempt(False, f"Mot de passe incorrect : réessayez dans {_seconds(wait)} s.")

    def _wait(self, client: Client, now: float) -> tuple[float, bool]:
        """Seconds `client` must still wait, and whether it is everyone's wait."""
        session = self._sessions.get(client)
        own = session.open_at - now if session and now - session.last < FORGET_S else 0.0
        failures = [t for t in self._addresses.get(client.address or "", ()) if now - t < FORGET_S]
        if len(failures) >= ADDRESS_FREE:
            own = max(own, failures[-1] + _doubled(len(failures) - ADDRESS_FREE + 1) - now)
        everyone = self._closed_until - now
        return (everyone, True) if everyone > max(own, 0) else (max(own, 0.0), False)

    def _fail(self, client: Client, now: float) -> None:
        self._sessions[client] = _failed(self._sessions.pop(client, None), now)
        if client.address:
            times = self._addresses.pop(client.address, deque())
            while times and now - times[0] >= FORGET_S:
                times.popleft()
            times.append(now)
            self._addresses[client.address] = times
        for remembered in (self._sessions, self._addresses):
            while len(remembered) > MAX_CLIENTS:  # the oldest first: insertion order
                del remembered[next(iter(remembered))]
        self._burst.append((now, client.address or client))
        while self._burst and now - self._burst[0][0] >= BURST_WINDOW_S:
            self._burst.popleft()
        if len({who for _, who in self._burst}) >= BURST_CLIENTS:
            self._closed_until = now + BURST_WAIT_S
            self._burst.clear()


def _failed(count: _Count | None, now: float) -> _Count:
    """A session's count after one more failure."""
    failures = 1 if count is None or now - count.last >= FORGET_S else count.failures + 1
    return _Count(failures, now, now + _doubled(failures))


def _doubled(failures: int) -> float:
    """The wait after the `failures`-th failure that costs one: 1 s, 2 s, 4 s… 60 s."""
    return min(FIRST_WAIT_S * 2 ** min(failures - 1, 32), MAX_WAIT_S)


def _seconds(wait: float) -> int:
    return max(1, math.ceil(wait - 1e-9))


def _too_many(wait: float, everyone: bool) -> str:
    if everyone:
        return ("Trop d'essais de mots de passe sur ce serveur, venus de nombreux visiteurs : "
                f"réessayez dans {_seconds(wait)} s.")
    return f"Trop d'essais : réessayez dans {_seconds(wait)} s."


def _digest(text: str) -> bytes:
    """Equal-length digests, so that the comparison's time says nothing of the length."""
    return hashlib.sha256(text.encode("utf-8")).digest()
