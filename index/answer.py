"""Compose a short answer from the best passages, each sentence with its citation marker.

No language model: the answer is 1 to 3 sentences taken verbatim from the passages
that best answer the question. The sentences of the top passages are scored against
the question with the embedding model (the best sentence is not always the top
passage's first one). Each answer sentence is followed by [n], n being the rank of
its passage among the results.

When no passage answers clearly, the answer says so (`answered` is False) and the
closest passages are still given. Whether a question is answered is calibrated per
index at ingest (`calibrate`): the question's best cosine, plus a little for the
share of its words the corpus knows, must reach what unrelated background questions
(index/background_questions.txt) reach on the same index at their 90th percentile.
e5 cosines crowd into a narrow band (0.75 to 0.90 here), so a fixed cosine would
not carry from one corpus or model to another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from index.errors import IndexUnreadable
from index.records import Hit
from index.text import with_context

NO_ANSWER = "Aucun passage ne répond clairement à cette question."
BACKGROUND = Path(__file__).with_name("background_questions.txt")
COVERAGE_WEIGHT = 0.02
QUANTILE = 0.9
MAX_SENTENCES = 3
SENTENCE_MARGIN = 0.02  # further sentences must score within this of the best one
_ABBREVIATIONS = {"mme", "mlle", "mm", "dr", "pr", "me", "st", "ste", "art", "al", "cf",
                  "ex", "env", "fig", "vol", "chap", "no", "n°", "p", "pp", "av", "apr", "j.-c"}
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[«\"(\-–]?\s*[A-ZÀ-Ý0-9])")


@dataclass(frozen=True)
class Sentence:
    """A sentence of a result's passage: `hit` is its index in `Answer.hits`."""

    hit: int
    start: int  # offsets within the passage text
    end: int
    text: str
    score: float

    @property
    def marker(self) -> int:
        return self.hit + 1


@dataclass(frozen=True)
class Answer:
    question: str
    hits: list[Hit]
    sentences: list[Sentence]  # the answer, best first; empty when not answered
    answered: bool

    def text(self) -> str:
        """The answer as one paragraph with its markers.

        >>> from index.records import Passage
        >>> p = Passage("x", "a.txt", "Doc", "Finance", 2, 0, 16, "Créer des fonds.")
        >>> Answer("?", [Hit(1, 0.9, p)], [Sentence(0, 0, 16, "Créer des fonds.", .9)], True).text()
        'Créer des fonds. [1]'
        """
        if not self.answered:
            return NO_ANSWER
        return " ".join(f"{s.text} [{s.marker}]" for s in self.sentences)

    def to_dict(self) -> dict:
        """The JSON of `ess answer --json` (a contract: keys are only ever added).

        >>> from index.records import Passage
        >>> p = Passage("x", "a.txt", "Doc", "Finance", 2, 0, 16, "Créer des fonds.")
        >>> a = Answer("?", [Hit(1, 0.9, p)], [Sentence(0, 0, 16, "Créer des fonds.", .9)], True)
        >>> {k: v for k, v in a.to_dict().items() if k != "results"}
        {'question': '?', 'answered': True, 'answer': 'Créer des fonds. [1]', \
'sentences': [{'text': 'Créer des fonds.', 'marker': 1, 'id': 'x'}]}
        """
        return {"question": self.question, "answered": self.answered, "answer": self.text(),
                "sentences": [{"text": s.text, "marker": s.marker,
                               "id": self.hits[s.hit].passage.id} for s in self.sentences],
                "results": [hit.to_dict() for hit in self.hits]}

    def highlights(self, index: int) -> list[tuple[int, int]]:
        """Spans of the passage of hit `index` used in the answer."""
        return sorted((s.start, s.end) for s in self.sentences if s.hit == index)

    def to_markdown(self) -> str:
        """The question, the answer and the cited passages, for the export button."""
        lines = [f"# {_md(self.question)}", "", "## Réponse", "", _md(self.text()), "",
                 "## Passages", ""]
        for number, hit in enumerate(self.hits, 1):
            p = hit.passage
            lines += [f"**[{number}]** {_md(p.citation())} — `{p.location()}`", "",
                      f"> {_md(p.text)}", ""]
        return "\n".join(lines)


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of a passage text.

    >>> t = "Créer des fonds. Former les élus. M. Dupont"
    >>> [t[a:b] for a, b in sentences(t)]
    ['Créer des fonds.', 'Former les élus.', 'M. Dupont']
    """
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        word = re.split(r"[\s'’]", text[:match.start()])[-1].rstrip(".").lower()
        if (len(word) == 1 and word.isalpha()) or word in _ABBREVIATIONS:  # « M. », « art. »
            continue
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def compose(question: str, hits: list[Hit], embedder, query=None, answered: bool = True,
            from_top: int = 3, stored=None) -> Answer:
    """Pick the answer sentences among the `from_top` best hits.

    `query` is the question's vector when the caller already has it; `stored(passage)`
    gives a passage's indexed vector, reused for a sentence that is the whole passage
    (most recommendations are one sentence), so that only the others are embedded.
    """
    if not answered or not hits or not question.strip():
        return Answer(question, hits, [], False)
    candidates = []
    for index, hit in enumerate(hits[:from_top]):
        for start, end in sentences(hit.passage.text):
            candidates.append((index, start, end))
    if query is None:
        query = embedder.embed_queries([question])[0]
    scores = _sentence_scores(hits, candidates, embedder, query, stored)
    ranked = sorted(zip(scores, candidates, strict=True), key=lambda x: -x[0])
    chosen: list[Sentence] = []
    for score, (index, start, end) in ranked:
        if len(chosen) == MAX_SENTENCES or (chosen and score < chosen[0].score - SENTENCE_MARGIN):
            break
        if any(s.hit == index for s in chosen):  # one sentence per passage: more sources
            continue
        text = hits[index].passage.text[start:end]
        chosen.append(Sentence(index, start, end, text, round(score, 6)))
    return Answer(question, hits, chosen, True)


def _sentence_scores(hits, candidates, embedder, query, stored) -> list[float]:
    whole = [stored is not None and a == 0 and b == len(hits[i].passage.text)
             for i, a, b in candidates]
    todo = [with_context(hits[i].passage.section, hits[i].passage.text[a:b])
            for (i, a, b), reuse in zip(candidates, whole, strict=True) if not reuse]
    fresh = iter(embedder.embed_passages(todo, batch_size=max(len(todo), 1)) @ query
                 if todo else [])
    return [float(stored(hits[i].passage) @ query) if reuse else float(next(fresh))
            for (i, _, _), reuse in zip(candidates, whole, strict=True)]


def evidence(best_cosine: float, coverage: float) -> float:
    """How well the corpus matches a question: its best cosine + weight × coverage.

    >>> evidence(0.85, 0.5)
    0.86
    """
    return round(best_cosine + COVERAGE_WEIGHT * coverage, 6)


def calibrate(embedder, vectors, lexical) -> dict:
    """The no-answer threshold of an index, from the background questions.

    `vectors` are the passages' (n × dim, L2-normalised), `lexical` their LexicalIndex.
    """
    import numpy as np

    questions = [line.strip() for line in BACKGROUND.read_text(encoding="utf-8").splitlines()
                 if line.strip() and not line.startswith("#")]
    from index import query_cache

    queries = query_cache.embed_queries(embedder, questions)
    best = np.full(len(questions), -1.0, dtype=np.float32)
    for start in range(0, len(vectors), 65536):  # bounded memory on large corpora
        best = np.maximum(best, (queries @ vectors[start:start + 65536].T).max(axis=1))
    scores = [evidence(float(b), lexical.score(q).coverage)
              for b, q in zip(best, questions, strict=True)]
    return {"threshold": round(float(np.quantile(scores, QUANTILE)), 6),
            "quantile": QUANTILE, "coverage_weight": COVERAGE_WEIGHT,
            "background_questions": len(questions)}


class Answerer:
    """A searcher that also composes answers and says when nothing answers."""

    def __init__(self, searcher) -> None:
        self.searcher = searcher
        calibration = searcher.store.manifest.get("no_answer")
        if not isinstance(calibration, dict) or "threshold" not in calibration:
            raise IndexUnreadable(f"l'index {searcher.store.folder} n'a pas de seuil de "
                                  "réponse calibré : reconstruisez-le avec `ess ingest --rebuild`")
        self.threshold = float(calibration["threshold"])

    def answer(self, question: str, k: int = 5, mode: str = "hybrid") -> Answer:
        hits = self.searcher.search(question, k, mode)
        return self.compose(question, hits)

    def compose(self, question: str, hits: list[Hit]) -> Answer:
        """The answer from given hits (the page narrows them with its filters first)."""
        if not question.strip():
            return Answer(question, hits, [], False)
        query = self.searcher.query_vector(question)
        return compose(question, hits, self.searcher.embedder, query,
                       answered=self.answers(question), stored=self.searcher.passage_vector)

    def answers(self, question: str) -> bool:
        if not question.strip():
            return False
        best, _ = self.searcher.store.vectors.search(self.searcher.query_vector(question)[None], 1)
        coverage = self.searcher.store.lexical.score(question).coverage
        return evidence(float(best[0][0]), coverage) >= self.threshold


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def _md(text: str) -> str:
    r"""Escape Markdown so that corpus text is shown as text.

    >>> _md("**gras** <script>")
    '\\*\\*gras\\*\\* \\<script\\>'
    """
    return _MD_SPECIAL.sub(r"\\\1", text)
