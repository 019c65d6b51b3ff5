"""Compose a short answer from the best passages, each sentence with its citation marker.

No language model: the answer is one to three units quoted verbatim from the passages
that best answer the question, each followed by [n], the number of its passage.
Units are what a reader can take alone (index.units): a short recommendation whole,
a sentence with its verb, a sentence together with the one its « Ces… » or « Elle… »
refers to; never a heading or a verbless fragment. Their vectors were made at ingest
(index.unit_index), so an answer costs its search and a few milliseconds.

Two learned choices (answer.features, models trained by `python -m training.answers` on
thousands of annotated questions, docs/evaluation.md):
- **which units answer**: every unit of the PASSAGES best passages gets the units
  model's probability of holding the answer; the answer opens on the most probable,
  and takes up to two more, from any passage, that reach the model's threshold for
  more, say something the answer does not say yet and keep it under MAX_CHARS;
- **whether anything answers** (answer.gate): an input that is not a question gets an
  invitation to ask one and no passage; otherwise the gate model reads the search's
  evidence and, below its threshold, the answer says that no passage answers (with
  the reason when there is one a reader can use), and the closest passages are still
  given.

The cited passages are numbered in reading order: the first unit cites [1], the next
passage cited is [2], and the other passages follow in their ranking order.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from answer import features
from answer.gate import NOT_A_QUESTION, Verdict, reason
from answer.questions import is_question, written_names
from answer.trees import Trees, load
from index.background import CALIBRATION
from index.errors import IndexUnreadable
from index.records import Hit
from index.search import Retrieval
from index.tokenize import SAME_WORDS, overlap, tokenize
from index.units import heading_like

log = logging.getLogger(__name__)
NO_ANSWER = "Aucun passage ne répond clairement à cette question."
MODELS = Path(__file__).with_name("models")
MAX_UNITS = 3
MAX_CHARS = 700
DUPLICATE = SAME_WORDS  # token overlap (Jaccard) from which a unit repeats one already chosen


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
    reason: str = ""  # why nothing answers, when the gate can say (answer.gate)

    def text(self) -> str:
        """The answer as one paragraph with its markers.

        >>> from index.records import Passage
        >>> p = Passage("x", "a.txt", "Doc", "Finance", 2, 0, 16, "Créer des fonds.")
        >>> Answer("?", [Hit(1, 0.9, p)], [Sentence(0, 0, 16, "Créer des fonds.", .9)], True).text()
        'Créer des fonds. [1]'
        """
        if not self.answered:
            return NOT_A_QUESTION if self.reason == NOT_A_QUESTION else NO_ANSWER
        return " ".join(f"{s.text} [{s.marker}]" for s in self.sentences)

    def to_dict(self) -> dict:
        """The JSON of `ess answer --json` (a contract: keys are only ever added).

        >>> from index.records import Passage
        >>> p = Passage("x", "a.txt", "Doc", "Finance", 2, 0, 16, "Créer des fonds.")
        >>> a = Answer("?", [Hit(1, 0.9, p)], [Sentence(0, 0, 16, "Créer des fonds.", .9)], True)
        >>> {k: v for k, v in a.to_dict().items() if k != "results"}
        {'question': '?', 'answered': True, 'answer': 'Créer des fonds. [1]', 'reason': '', \
'sentences': [{'text': 'Créer des fonds.', 'marker': 1, 'id': 'x'}]}
        """
        return {"question": self.question, "answered": self.answered, "answer": self.text(),
                "reason": self.reason,
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


@dataclass(frozen=True)
class Models:
    """The two trained models (answer.trees) and the thresholds chosen with them."""

    units: Trees
    gate: Trees

    @property
    def more(self) -> float:
        """The probability a unit after the first needs to join the answer."""
        return float(self.units.meta["more_threshold"])

    @property
    def threshold(self) -> float:
        """The probability of being answerable a question needs."""
        return float(self.gate.meta["threshold"])


@lru_cache(maxsize=4)
def load_models(folder: Path = MODELS) -> Models:
    """The models shipped in the package (read once per process)."""
    try:
        return Models(load(folder / "units.json"), load(folder / "gate.json"))
    except (OSError, ValueError, KeyError) as exc:
        log.error("answer models unreadable in %s: %r", folder, exc)
        raise IndexUnreadable(f"les modèles de réponse de {folder} sont absents ou abîmés : "
                              "réinstallez l'outil") from None


class Answerer:
    """A searcher that also composes answers and says when nothing answers (answer.gate)."""

    def __init__(self, searcher, models: Models | None = None) -> None:
        self.searcher = searcher
        settings = searcher.store.manifest.get("no_answer")
        if not isinstance(settings, dict) or settings.get("method") != CALIBRATION:
            raise IndexUnreadable(f"l'index {searcher.store.folder} n'a pas de seuil de "
                                  "réponse calibré : reconstruisez-le avec `ess ingest --rebuild`")
        self.background = settings["background"]
        self.models = models or load_models()

    def answer(self, question: str, k: int = 5, mode: str = "hybrid") -> Answer:
        """Search, then compose the answer from the k best passages."""
        if not is_question(question):
            return Answer(question, [], [], False, NOT_A_QUESTION)
        return self.compose(question, retrieval=self.searcher.retrieve(question, k, mode))

    def compose(self, question: str, hits: list[Hit] | None = None,
                retrieval: Retrieval | None = None) -> Answer:
        """The answer from given hits (the page narrows the search's with its filters),
        by default the retrieval's. Without the retrieval, its evidence is computed here."""
        hits = list(retrieval.hits if hits is None and retrieval is not None else hits or [])
        if not is_question(question):
            return Answer(question, [], [], False, NOT_A_QUESTION)
        if not hits:
            return Answer(question, hits, [], False)
        evidence = self.evidence(question, hits, retrieval)
        verdict = self.verdict(evidence)
        if not verdict:
            return Answer(question, hits, [], False, verdict.reason)
        chosen = choose(evidence.candidates, evidence.unit_p, self.models.more)
        return _numbered(question, hits, [(evidence.candidates[c], float(evidence.unit_p[c]))
                                          for c in chosen])

    def verdict(self, evidence: Evidence) -> Verdict:
        """Does the corpus answer? The gate model's reading of the evidence."""
        if not evidence.candidates:
            return Verdict(False)
        probability = float(self.models.gate.probability(evidence.question_row[None])[0])
        if probability >= self.models.threshold:
            return Verdict(True, probability=probability)
        row = dict(zip(features.QUESTION_FEATURES, evidence.question_row, strict=True))
        return Verdict(False, reason(evidence.question.kind, bool(row["gives3"]),
                                     evidence.unknown_names), probability)

    def evidence(self, question: str, hits: list[Hit],
                 retrieval: Retrieval | None = None) -> Evidence:
        """Everything the two models read, from the search's own figures."""
        searcher, store = self.searcher, self.searcher.store
        text = question.strip()
        vector = retrieval.vector if retrieval is not None else None
        if vector is None:
            vector = searcher.query_vector(text)
        nearest = retrieval.nearest if retrieval is not None else np.zeros(0)
        if not len(nearest):
            nearest = store.vectors.search(vector[None], min(10, len(searcher.passages)))[0][0]
        lexical = retrieval.lexical if retrieval is not None else None
        if lexical is None:
            lexical = store.lexical.score(text)
        cosines = retrieval.cosines if retrieval is not None else {}
        rows = [searcher.row_of(h.passage.id) for h in hits]
        passage_cosines = [cosines[r] if r in cosines
                           else float(searcher.passage_vector(h.passage) @ vector)
                           for h, r in zip(hits, rows, strict=True)]
        best = float(lexical.scores.max()) if lexical.scores.size else 0.0
        bm25 = [float(lexical.scores[r]) / best if best > 0 else 0.0 for r in rows]
        ceiling = store.lexical.ceiling(text)
        read = features.Question.read(text, store.lexical)
        candidates = features.candidates(hits, rows, store.units, vector)
        unit_table = features.unit_rows(read, candidates, hits, passage_cosines, bm25)
        unit_p = (self.models.units.probability(unit_table) if len(candidates)
                  else np.zeros(0))
        ranked = np.sort(unit_p)[::-1]
        held = float(unit_table[:, features.UNIT_FEATURES.index("held")].max()
                     if len(candidates) else 0.0)
        row = features.question_row(
            read, hits, np.asarray(nearest), float((store.background @ vector).max()),
            self.background, bm25, best / ceiling if ceiling > 0 else 0.0,
            [float(h.score) for h in hits], float(store.hubness[rows[0]]), held, ranked,
            store.lexical, float(unit_table[:, 0].max()) if len(candidates) else 0.0)
        unknown = [name for name in dict.fromkeys(written_names(question))
                   if (tokens := tokenize(name)) and not all(store.lexical.knows(t, typos=1)
                                                              for t in tokens)]
        return Evidence(read, candidates, unit_table, unit_p, row, unknown)


@dataclass(frozen=True)
class Evidence:
    """What the models read for one question, and the units they choose among."""

    question: features.Question
    candidates: list[features.Candidate]
    unit_rows: np.ndarray  # features.UNIT_FEATURES, a row per candidate
    unit_p: np.ndarray  # each candidate's probability of holding the answer
    question_row: np.ndarray  # features.QUESTION_FEATURES
    unknown_names: list[str]  # names of the question the corpus never mentions


def choose(candidates: list[features.Candidate], probability: np.ndarray,
           more: float) -> list[int]:
    """Positions in `candidates` of the answer's units, in reading order: the most
    probable, then up to MAX_UNITS - 1 more that reach `more`, overlap none chosen, repeat
    none (Jaccard of their words under DUPLICATE) and keep the answer under MAX_CHARS.
    A unit in capitals reads as a heading, not an answer: it opens none while another
    unit is there."""
    order = [int(c) for c in np.argsort(-probability, kind="stable")]
    order = ([c for c in order if not heading_like(candidates[c].unit.text)]
             or order)
    chosen = [order[0]]
    length = len(candidates[order[0]].unit.text)
    for c in order[1:]:
        if len(chosen) == MAX_UNITS or probability[c] < more:
            break
        unit = candidates[c]
        if (length + len(unit.unit.text) > MAX_CHARS
                or any(_overlaps(unit, candidates[k]) for k in chosen)
                or any(_overlap(unit.unit.text, candidates[k].unit.text) >= DUPLICATE
                       for k in chosen)):
            continue
        chosen.append(c)
        length += len(unit.unit.text)
    return chosen


def _overlaps(a: features.Candidate, b: features.Candidate) -> bool:
    return a.hit == b.hit and a.unit.start < b.unit.end and b.unit.start < a.unit.end


def _overlap(a: str, b: str) -> float:
    """Share of words two texts have in common (Jaccard over their BM25 tokens)."""
    return overlap(set(tokenize(a)), set(tokenize(b)))


def _numbered(question: str, hits: list[Hit], chosen) -> Answer:
    """The answer with its passages renumbered in reading order: cited ones first."""
    cited = list(dict.fromkeys(candidate.hit for candidate, _ in chosen))
    # units of one passage side by side, in the passage's order: markers never go back
    chosen = sorted(chosen, key=lambda pair: (cited.index(pair[0].hit), pair[0].unit.start))
    order = cited + [i for i in range(len(hits)) if i not in cited]
    position = {old: new for new, old in enumerate(order)}
    renumbered = [replace(hits[old], rank=new + 1) for new, old in enumerate(order)]
    sentences = [Sentence(position[c.hit], c.unit.start, c.unit.end, c.unit.text,
                          round(score, 6)) for c, score in chosen]
    return Answer(question, renumbered, sentences, True)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def _md(text: str) -> str:
    r"""Escape Markdown so that corpus text is shown as text.

    >>> _md("**gras** <script>")
    '\\*\\*gras\\*\\* \\<script\\>'
    """
    return _MD_SPECIAL.sub(r"\\\1", text)
