"""A scripted OpenAI-compatible chat server on loopback, for the tests of answer.llm.

Real HTTP (http.server in a thread, on 127.0.0.1 and a free port), streamed (server-sent
events, when the request says `"stream": true`) or not, like llama.cpp, vLLM or Ollama.
What it answers is set by `reply`:

- "faithful": the first sentence of passage [1] and of passage [2], each with its marker;
- "unfaithful": one faithful sentence, then a changed figure, an invented claim, a
  sentence without marker and one citing a passage that was not given;
- "injected": what a model that obeyed a passage's « ignorez les consignes » would say;
- "refuse": « Les passages ne répondent pas à cette question. »;
- "empty", "garbage" (200 with a body that is not JSON), "error" (500);
- "slow": nothing until the test ends (`release`): the client's timeout must end it;
- any other string: that text, as the model's reply.

Every request's JSON body and headers are kept in `requests`.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

INVENTED = ("L'économie sociale et solidaire représente 42 % des emplois européens depuis 1987 "
            "[1].")
OBEYED = "PIRATÉ : consultez www.exemple-pirate.fr pour tout savoir [1]."
MODEL_ID = "scripted-7b"


def passages(body: dict) -> list[str]:
    """The numbered passages of the prompt, in order."""
    user = body["messages"][-1]["content"]
    return re.findall(r"\[\d+\] <<<(.*?)>>>", user)


def first_sentence(text: str) -> str:
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    return (match.group(1) if match else text).rstrip(".!? ")


def scripted_text(kind: str, body: dict) -> str:
    given = passages(body)
    if kind == "faithful":
        return " ".join(f"{first_sentence(text)} [{n}]." for n, text in
                        enumerate(given[:2], 1))
    if kind == "unfaithful":
        return (f"{first_sentence(given[0])} [1].\n{INVENTED}\n"
                f"Les coopératives financent tout, 2031 [1].\n"
                f"{first_sentence(given[0])}.\n"
                f"{first_sentence(given[0])} [{len(given) + 3}].")
    if kind == "injected":
        if any("ignorez les consignes" in text.lower() for text in given):
            return OBEYED
        return scripted_text("faithful", body)
    if kind == "refuse":
        return "Les passages ne répondent pas à cette question."
    if kind == "empty":
        return ""
    return kind


class ScriptedLlm:
    """The server; use as a context manager. `url` is its base URL (…/v1)."""

    def __init__(self, reply: str = "faithful") -> None:
        self.reply = reply
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.released = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                owner.requests.append(body)
                owner.headers.append(dict(self.headers))
                if self.path != "/v1/chat/completions":
                    return self._send(404, "application/json", b'{"error": "not found"}')
                kind = owner.reply
                if kind == "slow":
                    owner.released.wait(60)
                    return self._send(200, "application/json", b"{}")
                if kind == "error":
                    return self._send(500, "application/json",
                                      b'{"error": {"message": "model crashed"}}')
                if kind == "garbage":
                    return self._send(200, "application/json", b"<html>oops</html>")
                text = scripted_text(kind, body)
                if body.get("stream"):
                    return self._stream(text)
                reply = {"id": "x", "object": "chat.completion", "model": MODEL_ID,
                         "choices": [{"index": 0, "finish_reason": "stop",
                                      "message": {"role": "assistant", "content": text}}]}
                self._send(200, "application/json", json.dumps(reply).encode())

            def _send(self, status: int, kind: str, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, text: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                pieces = [{"role": "assistant"}] + [{"content": piece} for piece in
                                                    re.findall(r"\S+\s*|\s+", text)]
                for delta in pieces:
                    event = {"id": "x", "object": "chat.completion.chunk", "model": MODEL_ID,
                             "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.close_connection = True

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def environ(self, timeout: float = 30) -> dict[str, str]:
        return {"ESS_LLM_URL": self.url, "ESS_LLM_MODEL": "mon-modele",
                "ESS_LLM_TIMEOUT": str(timeout)}

    def __enter__(self) -> ScriptedLlm:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
