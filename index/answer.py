"""Compose a short answer from the best passages, each sentence with its citation marker.

No language model: the answer is one to three units quoted verbatim from the passages
that best answer the question, each followed by [n], the number of its passage.
Units are what a reader can take alone (index.units): a short recommendation whole,
a sentence with its verb, a sentence together with the one its « Ces… » or « Elle… »
refers to; never a heading or a verbless fragment.

Choosing them: every unit of the top UNIT_PASSAGES passages is scored by
- its cosine with the question (the model reads the unit with its section, as it
  reads passages; a unit that is its whole passage reuses the stored vector),
- plus LEXICAL_WEIGHT times the share of the question's words it holds, each word
  weighted by its rarity in the corpus (French questions only: the lexicon is French),
- plus PASSAGE_WEIGHT for its passage's place in the ranking (the search weighed more
  evidence than one unit shows).
The answer opens on the best unit of the best passage, unless another passage's unit
scores FIRST_MARGIN more. Further units, from other passages, must score within
FOLLOW_MARGIN of the first, say something the answer does not say yet, and keep the
answer under MAX_CHARS. The cited passages are numbered in reading order: the first
unit cites [1], the next passage cited is [2], and the other passages follow in their
ranking order.

When no passage answers clearly, the answer says so (`answered` is False) and the
closest passages are still given. Whether a question is answered is index.gate's
verdict, calibrated per index at ingest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from index.errors import IndexUnreadable
from index.gate import METHOD, Gate, Verdict
from index.language import detect
from index.records import Hit
from index.text import with_context
from index.tokenize import tokenize
from index.units import Unit, units

NO_ANSWER = "Aucun passage ne répond clairement à cette question."
UNIT_PASSAGES = 5
MAX_UNITS = 3
MAX_CHARS = 700
LEXICAL_WEIGHT = 0.10
PASSAGE_WEIGHT = 0.03
FIRST_MARGIN = 0.03
FOLLOW_MARGIN = 0.04
DUPLICATE = 0.6  # token overlap (Jaccard) above which a unit repeats one already chosen


@dataclass(frozen=True)
class Sentence:
    """A unit of a result's passage in the answer: `hit` is its index in `Answer.hits`."""

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
    hits: list[Hit]  # the passages, those the answer cites first, numbered as its markers
    sentences: list[Sentence]  # the answer, in reading order; empty when not answered
    answered: bool
    reason: str = ""  # why nothing answers, when the gate can say (index.gate)

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


def compose(question: str, hits: list[Hit], embedder, query=None, answered: bool = True,
            stored=None, lexical=None) -> Answer:
    """Choose the answer's units among the best hits (see the module's docstring).

    `query` is the question's vector when the caller has it; `stored(passage)` gives a
    passage's indexed vector, reused for a unit that is the whole passage (most
    recommendations), so that only the others are embedded; `lexical` is the index's
    LexicalIndex, whose word rarities weigh the units' words.
    """
    if not answered or not hits or not question.strip():
        return Answer(question, hits, [], False)
    candidates = [(index, unit) for index, hit in enumerate(hits[:UNIT_PASSAGES])
                  for unit in units(hit.passage.text)]
    if not candidates:
        return Answer(question, hits, [], False)
    if query is None:
        query = embedder.embed_queries([question])[0]
    scores = _unit_scores(question, hits, candidates, embedder, query, stored, lexical)
    chosen = _choose(candidates, scores)
    return _numbered(question, hits, [(candidates[c], scores[c]) for c in chosen])


def _unit_scores(question, hits, candidates, embedder, query, stored, lexical) -> list[float]:
    cosines = _cosines(hits, candidates, embedder, query, stored)
    weights = _word_weights(question, lexical)
    total = sum(weights.values())
    scores = []
    for (index, unit), cosine in zip(candidates, cosines, strict=True):
        held = set(tokenize(unit.text)) if total else set()
        coverage = sum(w for token, w in weights.items() if token in held) / total if total else 0
        prior = (UNIT_PASSAGES - index) / UNIT_PASSAGES
        scores.append(cosine + LEXICAL_WEIGHT * coverage + PASSAGE_WEIGHT * prior)
    return scores


def _word_weights(question: str, lexical) -> dict[str, float]:
    """The question's words with their rarity, or nothing for a question not in French."""
    if lexical is None or detect(question) != "fr":
        return {}
    return {token: lexical.idf(token) for token in set(tokenize(question))}


def _cosines(hits, candidates, embedder, query, stored) -> list[float]:
    whole = [stored is not None and unit.start == 0 and unit.end == len(hits[i].passage.text)
             for i, unit in candidates]
    todo = [with_context(hits[i].passage.section, unit.text)
            for (i, unit), reuse in zip(candidates, whole, strict=True) if not reuse]
    fresh = iter(embedder.embed_passages(todo, batch_size=max(len(todo), 1)) @ query
                 if todo else [])
    return [float(stored(hits[i].passage) @ query) if reuse else float(next(fresh))
            for (i, _), reuse in zip(candidates, whole, strict=True)]


def _choose(candidates: list[tuple[int, Unit]], scores: list[float]) -> list[int]:
    """Positions in `candidates` of the answer's units, in reading order."""
    order = sorted(range(len(candidates)), key=lambda c: -scores[c])
    first = order[0]
    from_best = [c for c in order if candidates[c][0] == 0]
    if from_best and scores[from_best[0]] >= scores[first] - FIRST_MARGIN:
        first = from_best[0]
    chosen = [first]
    length = len(candidates[first][1].text)
    for c in order:
        index, unit = candidates[c]
        if len(chosen) == MAX_UNITS or scores[c] < scores[first] - FOLLOW_MARGIN:
            break
        if (any(candidates[k][0] == index for k in chosen)
                or length + len(unit.text) > MAX_CHARS
                or any(_overlap(unit.text, candidates[k][1].text) >= DUPLICATE
                       for k in chosen)):
            continue
        chosen.append(c)
        length += len(unit.text)
    return chosen


def _overlap(a: str, b: str) -> float:
    """Share of words two texts have in common (Jaccard over their BM25 tokens)."""
    first, second = set(tokenize(a)), set(tokenize(b))
    return len(first & second) / max(len(first | second), 1)


def _numbered(question: str, hits: list[Hit], chosen) -> Answer:
    """The answer with its passages renumbered in reading order: cited ones first."""
    cited = list(dict.fromkeys(index for (index, _), _ in chosen))
    order = cited + [i for i in range(len(hits)) if i not in cited]
    position = {old: new for new, old in enumerate(order)}
    renumbered = [replace(hits[old], rank=new + 1) for new, old in enumerate(order)]
    sentences = [Sentence(position[index], unit.start, unit.end, unit.text, round(score, 6))
                 for (index, unit), score in chosen]
    return Answer(question, renumbered, sentences, True)


class Answerer:
    """A searcher that also composes answers and says when nothing answers (index.gate)."""

    def __init__(self, searcher) -> None:
        self.searcher = searcher
        settings = searcher.store.manifest.get("no_answer")
        if not isinstance(settings, dict) or settings.get("method") != METHOD:
            raise IndexUnreadable(f"l'index {searcher.store.folder} n'a pas de seuil de "
                                  "réponse calibré : reconstruisez-le avec `ess ingest --rebuild`")
        self.gate = Gate(settings, searcher.store.background, searcher.store.lexical)

    def answer(self, question: str, k: int = 5, mode: str = "hybrid") -> Answer:
        return self.compose(question, self.searcher.search(question, k, mode))

    def compose(self, question: str, hits: list[Hit]) -> Answer:
        """The answer from given hits (the page narrows them with its filters first)."""
        verdict = self.verdict(question, hits)
        if not verdict:
            return Answer(question, hits, [], False, verdict.reason)
        query = self.searcher.query_vector(question)
        return compose(question, hits, self.searcher.embedder, query,
                       stored=self.searcher.passage_vector, lexical=self.searcher.store.lexical)

    def verdict(self, question: str, hits: list[Hit]) -> Verdict:
        """Does the corpus answer the question? `hits` are its closest passages."""
        if not question.strip() or not hits:
            return Verdict(False)
        query = self.searcher.query_vector(question)
        best, _ = self.searcher.store.vectors.search(query[None], 1)
        return self.gate.verdict(question, query, float(best[0][0]),
                                 [h.passage.text for h in hits])


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def _md(text: str) -> str:
    r"""Escape Markdown so that corpus text is shown as text.

    >>> _md("**gras** <script>")
    '\\*\\*gras\\*\\* \\<script\\>'
    """
    return _MD_SPECIAL.sub(r"\\\1", text)
