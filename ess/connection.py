"""The HTTP edges of `ess api` that uvicorn leaves open, closed as servers close them.

`ess.api` answers requests; this module handles what comes before a request reaches
it and what a client may send that is not a request:

- HEAD on every GET address (`Head`): monitors probe `HEAD /health`, and FastAPI's
  routes answer only the methods they declare (HEAD got 405);
- a header timeout (`Protocol`): uvicorn waits for a request's headers as long as
  the client likes, so that a client sending a few bytes and then nothing (one
  connection or thousands, « slowloris ») held the connection open; after
  HEADER_TIMEOUT_S without the whole request line and headers, the connection gets a
  408 in French and is closed;
- malformed HTTP (`Protocol.send_400_response`): uvicorn answered « Invalid HTTP
  request received. » in plain text; the answer is now JSON in French, like every
  error of the API, and so is the server's log line (`FrenchLog`).

The protocol is uvicorn's h11 one, chosen explicitly: with httptools installed
(`uvicorn[standard]`) uvicorn would pick another implementation without these.
"""

from __future__ import annotations

import json
import logging

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT_S = 10.0  # a request's line and headers, from its first byte (or the connection)
HEADERS_LATE = ("requête incomplète : ses en-têtes ne sont pas arrivés en {seconds} s ; la "
                "connexion est fermée, renvoyez la requête en entier")
MALFORMED = ("requête HTTP invalide : l'API attend une requête HTTP/1.1, par exemple "
             "« GET /health HTTP/1.1 » suivie de ses en-têtes ; la liste des adresses est sur "
             "/docs")
log = logging.getLogger("ess.api")


class Head:
    """ASGI middleware: HEAD answered as GET is, without the body (RFC 9110, 9.3.2).

    The request goes on as a GET, so that every GET address answers HEAD with the same
    status and headers, Content-Length included; the body is dropped here (uvicorn
    drops it too, but an application run by another server may not)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


class Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a header timeout and a French 400.

    The header clock starts when the connection opens and again when the first byte of
    a later request arrives on a kept-alive connection, and stops when the request's
    headers are whole (h11 has then left its IDLE state). A connection that has sent
    nothing is closed silently (a browser may open one it never uses); one that has sent
    part of a request gets a 408 with a French JSON body first, and a log line.
    """

    header_timeout_s = HEADER_TIMEOUT_S

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self._header_clock = None
        self._partial = False
        super().connection_made(transport)
        self._start_header_clock()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:
            self._start_header_clock()
            self._partial = True
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # the request line and headers are in
            self._stop_header_clock()
            self._partial = False

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_clock()
        super().connection_lost(exc)

    def _start_header_clock(self) -> None:
        if self._header_clock is None:
            self._header_clock = self.loop.call_later(self.header_timeout_s, self._headers_late)

    def _stop_header_clock(self) -> None:
        if self._header_clock is not None:
            self._header_clock.cancel()
            self._header_clock = None

    def _headers_late(self) -> None:
        self._header_clock = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self._partial:
            log.warning("%s : en-têtes incomplets après %g s, connexion fermée (408)",
                        _peer(self.client), self.header_timeout_s)
            message = HEADERS_LATE.format(seconds=f"{self.header_timeout_s:g}")
            self.transport.write(_raw_response(408, b"Request Timeout", message))
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        """Malformed HTTP (h11 could not parse it): a 400 with a French JSON body.

        `msg` is uvicorn's English « Invalid HTTP request received. »; `FrenchLog`
        turns its log line into French."""
        self._stop_header_clock()
        body = _body(MALFORMED)
        headers = [(b"content-type", b"application/json"), (b"connection", b"close"),
                   (b"content-length", str(len(body)).encode())]
        try:
            self.transport.write(self.conn.send(h11.Response(status_code=400, headers=headers,
                                                             reason=b"Bad Request")))
            self.transport.write(self.conn.send(h11.Data(data=body)))
            self.transport.write(self.conn.send(h11.EndOfMessage()))
        except h11.LocalProtocolError:  # a response had begun: nothing more can be sent
            pass
        self.transport.close()


class FrenchLog(logging.Filter):
    """uvicorn's warnings about a client's requests, in French (its own are English)."""

    FRENCH = {
        "Invalid HTTP request received.": "requête HTTP invalide reçue : refusée (400)",
        "Unsupported upgrade request.": "changement de protocole demandé (WebSocket…) et "
                                        "ignoré : l'API ne parle que HTTP",
    }

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith("No supported WebSocket library detected"):
            return False  # its advice (install websockets) does not apply: no WebSocket here
        if message in self.FRENCH:
            record.msg, record.args = self.FRENCH[message], ()
        return True


def _body(message: str) -> bytes:
    return json.dumps({"detail": message}, ensure_ascii=False).encode("utf-8")


def _raw_response(status: int, reason: bytes, message: str) -> bytes:
    """A whole HTTP/1.1 response that closes the connection, written without h11 (which
    sends a response only to a request it has read)."""
    body = _body(message)
    return (b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
            b"connection: close\r\n\r\n" % (status, reason, len(body))) + body


def _peer(client: tuple[str, int] | None) -> str:
    return f"{client[0]}:{client[1]}" if client else "client inconnu"
