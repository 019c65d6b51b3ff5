"""The written answer: the user's model writes, answer.check verifies, this returns one.

`write` is the one entry point the command line, the API and the page call. It sends
the question and the answer's numbered passages to the model (answer.llm), checks every
sentence of the reply (answer.check), and returns a `Written`: the sentences that passed,
in `mode` « llm »; or, when none passed, when the model failed, timed out or refused, or
when no passage answers the question, the extractive answer in `mode` « extractive »
with the French reason (`fallback`). No unchecked sentence is ever in a `Written`: the
`dropped` ones are there for the JSON, with their reasons, and are never shown as the
answer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from answer.check import Checked, Checker
from answer.compose import Answer
from answer.llm import LlmFailed, LlmSettings, complete, messages

log = logging.getLogger(__name__)
UNANSWERED = "aucun passage ne répond : le modèle n'a pas été sollicité"
NONE_KEPT = "aucune phrase du modèle n'a passé la vérification"
REFUSED = "le modèle a répondu que les passages ne répondent pas"


@dataclass(frozen=True)
class Written:
    """The answer to show: the model's checked sentences, or the extractive answer."""

    answer: Answer  # the extractive answer and its passages (numbered as the markers)
    kept: list[Checked] = field(default_factory=list)  # empty in extractive mode
    dropped: list[Checked] = field(default_factory=list)
    model: str = ""
    where: str = ""  # the server the question and passages were sent to ("": none)
    fallback: str = ""  # why the extractive answer is shown, in French
    seconds: float = 0.0  # the model's time

    @property
    def mode(self) -> str:
        return "llm" if self.kept else "extractive"

    def text(self) -> str:
        """The answer as one paragraph with its markers."""
        if not self.kept:
            return self.answer.text()
        return " ".join(f"{c.claim.text} {''.join(f'[{n}]' for n in c.claim.markers)}"
                        for c in self.kept)

    def to_dict(self) -> dict:
        """`ess answer --llm --json`: the answer object, its keys only ever added to."""
        data = self.answer.to_dict()
        data["mode"] = self.mode
        data["dropped"] = [{"text": c.claim.text, "reason": c.reason} for c in self.dropped]
        data["model"] = self.model
        data["sent_to"] = self.where
        data["fallback"] = self.fallback
        if self.kept:
            data["answered"] = True
            data["answer"] = self.text()
            data["sentences"] = [{"text": c.claim.text, "marker": c.claim.markers[0],
                                  "markers": list(c.claim.markers),
                                  "id": self.answer.hits[c.claim.markers[0] - 1].passage.id}
                                 for c in self.kept]
        return data

    def caption(self) -> str:
        """Who wrote it and where the question went, for the reader."""
        dropped = len(self.dropped)
        said = (f" ; {dropped} phrase{'s' if dropped > 1 else ''} écartée"
                f"{'s' if dropped > 1 else ''} par la vérification" if dropped else "")
        return (f"Rédigée par le modèle {self.model} ; la question et les passages ont été "
                f"envoyés à {self.where}. Chaque phrase a été vérifiée contre les passages "
                f"qu'elle cite{said}.")


def write(searcher, answer: Answer, settings: LlmSettings, stream: bool = True,
          checker: Checker | None = None) -> Written:
    """The model's checked answer to `answer.question` from `answer.hits`, or the
    extractive `answer` with the reason (see the module's docstring). `searcher` (an
    index.search.Searcher, or an Answerer: its `.searcher` is used) gives the embedder
    and lexicon the check reads."""
    searcher = getattr(searcher, "searcher", searcher)
    base = Written(answer, model=settings.model, where=settings.where)
    if not answer.answered or not answer.hits:
        return _replace(base, fallback=UNANSWERED, where="")
    passages = [hit.passage.text for hit in answer.hits]
    chat = messages(answer.question, passages)
    try:
        reply = complete(settings, chat, stream=stream)
    except LlmFailed as exc:
        return _replace(base, fallback=str(exc))
    checker = checker or Checker(searcher.embedder, searcher.store.lexical)
    checked = checker.check(answer.question, passages, reply.text, prompt=chat[0]["content"])
    kept = [c for c in checked if c.kept]
    dropped = [c for c in checked if not c.kept]
    log.info("LLM %s: %d sentences kept, %d dropped in %.1f s", reply.model, len(kept),
             len(dropped), reply.seconds)
    fallback = ""
    if not kept:
        refused = any("ne répondent pas" in c.claim.text for c in checked)
        fallback = REFUSED if refused else NONE_KEPT
    return Written(answer, kept, dropped, reply.model, settings.where, fallback, reply.seconds)


def _replace(written: Written, **changes) -> Written:
    from dataclasses import replace

    return replace(written, **changes)
