"""The numbers the answer's learned choices read: one row per candidate unit, one per question.

The answer (answer.compose) makes two choices, each by a small model trained on thousands
of annotated questions (`python -m training.answers`, docs/evaluation.md):
- **which units answer**: every unit of the best passages (index.units, their vectors
  kept in the build by index.unit_index) gets a row of UNIT_FEATURES;
- **whether the passages answer at all**: the question gets a row of
  QUESTION_FEATURES.

Everything here is read from what the search already computed (index.search.Retrieval:
the question's vector, its cosines and BM25 scores), the build (word rarities, the
units' vectors, the background questions) and the texts of five passages: no model
runs, nothing is searched again. Features are relative where they can be (a unit's
cosine against the best candidate's, a cosine against the background questions' on
this index), so that they carry from PIAF's encyclopaedia paragraphs, on which the
models were trained, to a corpus of recommendations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from answer.questions import KINDS, asked, content_words, gives, names
from index.language import detect
from index.tokenize import fold, tokenize
from index.units import Unit

if TYPE_CHECKING:
    from index.records import Hit

PASSAGES = 5  # the best passages whose units are candidates
LANGUAGES = ("fr", "es", "en", "pt")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)?")

UNIT_FEATURES = [
    "ucos", "ucos_gap", "ucos_rank", "ucos_rel", "held", "held_gap", "held_rank",
    "held_count", "bigrams", "echo", "window", "chars", "sentences", "position", "opens",
    "whole", "prank", "pcos", "pcos_gap", "pbm25", "pheld", "gives", "new_names", "digits",
    "question_tokens", "ucos_z", "rare_held", *(f"lang_{lang}" for lang in LANGUAGES),
    *(f"asks_{kind}" for kind in KINDS),
]
QUESTION_FEATURES = [
    *(f"lang_{lang}" for lang in LANGUAGES), "tokens", "words", "coverage", "rare_coverage",
    "cos1", "cos_gap", "cos_spread", "cos_z", "bgmax", "cos_bg", "bm25", "bm25_gap",
    "top_held", "top5_held", "unit_held", "names", "names_unknown", "names_missing",
    "numbers_missing", "gives3", "fused1", "fused_gap", "hub1", "unit_p1", "unit_p2",
    "unit_gap", "ucos1", "ucos1_bg", "rarest_missing", *(f"asks_{kind}" for kind in KINDS),
]


@dataclass(frozen=True)
class Question:
    """A question read once: its language, its BM25 tokens with their rarity, its kind."""

    text: str
    lang: str
    tokens: list[str]  # distinct, in order
    weights: np.ndarray  # each token's idf on the index (a token it lacks: the highest)
    known: np.ndarray  # bool: does the index know the token
    kind: str
    names: set[str]
    words: int  # content words (answer.questions)

    @classmethod
    def read(cls, text: str, lexical) -> Question:
        tokens = list(dict.fromkeys(tokenize(text)))
        return cls(text, detect(text), tokens,
                   np.array([lexical.idf(t) for t in tokens], dtype=np.float64),
                   np.array([lexical.knows(t) for t in tokens], dtype=bool),
                   asked(text), names(text), len(content_words(text)))

    def rarest(self, tokens: set[str]) -> float:
        """The rarity of the rarest question token among `tokens`, over the rarest's."""
        top = float(self.weights.max()) if len(self.weights) else 0.0
        if not top:
            return 0.0
        return max((float(w) for t, w in zip(self.tokens, self.weights, strict=True)
                    if t in tokens), default=0.0) / top

    def held(self, tokens: set[str]) -> float:
        """The rarity-weighted share of the question's tokens among `tokens`."""
        total = float(self.weights.sum())
        if not total:
            return 0.0
        return float(sum(w for t, w in zip(self.tokens, self.weights, strict=True)
                         if t in tokens)) / total


@dataclass(frozen=True)
class Candidate:
    """A unit of one of the best passages: `hit` is its passage's index in the hits."""

    hit: int
    unit: Unit
    position: int  # its place among its passage's units
    cosine: float  # with the question


@lru_cache(maxsize=65_536)
def _tokens(text: str) -> tuple[str, ...]:
    """A passage's or a unit's BM25 tokens: the same passages come back question after
    question, so they are tokenised once."""
    return tuple(tokenize(text))


@lru_cache(maxsize=65_536)
def _names(text: str) -> frozenset[str]:
    return frozenset(names(text))


def candidates(hits: list[Hit], rows: list[int], units, query: np.ndarray) -> list[Candidate]:
    """The units of the PASSAGES best hits, with their cosines (index.unit_index)."""
    out = []
    for index, (hit, row) in enumerate(zip(hits[:PASSAGES], rows[:PASSAGES], strict=False)):
        found = units.of(row, hit.passage.text)
        if not found:
            continue
        cosines = units.cosines(row, query)
        out += [Candidate(index, unit, position, float(cosine))
                for position, (unit, cosine) in enumerate(zip(found, cosines, strict=True))]
    return out


def _one_hot(value: str, values) -> list[float]:
    return [float(value == v) for v in values]


def _ranks(values: np.ndarray) -> np.ndarray:
    """0 for the highest value, 1 for the next… (ties share the better rank)."""
    order = np.unique(-values, return_inverse=True)[1]
    return order.astype(np.float64)


def unit_rows(question: Question, cands: list[Candidate], hits: list[Hit],
              passage_cosines: list[float], bm25: list[float]) -> np.ndarray:
    """One row of UNIT_FEATURES per candidate.

    `passage_cosines` and `bm25` are each hit's cosine and BM25 score over the query's
    best BM25 score (0 to 1), in hit order.
    """
    if not cands:
        return np.zeros((0, len(UNIT_FEATURES)))
    passage_tokens = [set(_tokens(h.passage.text)) for h in hits[:PASSAGES]]
    pheld = [question.held(tokens) for tokens in passage_tokens]
    qset = set(question.tokens)
    pairs = set(zip(question.tokens, question.tokens[1:], strict=False))
    ucos = np.array([c.cosine for c in cands])
    rows, held = [], []
    for c in cands:
        sequence = _tokens(c.unit.text)
        tokens = set(sequence)
        matched = [i for i, t in enumerate(sequence) if t in qset]
        held.append(question.held(tokens))
        text = c.unit.text
        unit_names = _names(text)
        rows.append([
            c.cosine, 0.0, 0.0, c.cosine - passage_cosines[c.hit], held[-1], 0.0, 0.0,
            len(tokens & qset),
            sum((a, b) in pairs for a, b in zip(sequence, sequence[1:], strict=False)),
            len(matched) / len(sequence) if sequence else 0.0,
            (matched[-1] - matched[0] + 1) / len(sequence) if matched else 1.0,
            len(text), c.unit.sentences, c.position, float(c.unit.start <= 2),
            float(c.unit.start == 0 and c.unit.end == len(hits[c.hit].passage.text)),
            c.hit, passage_cosines[c.hit], max(passage_cosines[:PASSAGES])
            - passage_cosines[c.hit], bm25[c.hit], pheld[c.hit],
            float(gives(question.kind, text, question.names)),
            len(unit_names - question.names), float(bool(_DIGITS.search(text))),
            len(question.tokens), 0.0, question.rarest(tokens),
            *_one_hot(question.lang, LANGUAGES), *_one_hot(question.kind, KINDS),
        ])
    table = np.array(rows, dtype=np.float64)
    held_array = np.array(held)
    table[:, 1] = ucos.max() - ucos
    table[:, 2] = _ranks(ucos)
    table[:, 5] = held_array.max() - held_array
    table[:, 6] = _ranks(held_array)
    table[:, UNIT_FEATURES.index("ucos_z")] = (ucos - ucos.mean()) / (ucos.std() or 1.0)
    return table


def question_row(question: Question, hits: list[Hit], nearest: np.ndarray,
                 bgmax: float, background: dict, bm25: list[float], bm25_top: float,
                 fused: list[float], hub1: float, unit_held: float,
                 unit_p: np.ndarray, lexical, unit_cos1: float = 0.0) -> np.ndarray:
    """The row of QUESTION_FEATURES.

    `nearest`: the query's highest cosines with any passage, best first; `bgmax`: its
    highest cosine with a background question; `background`: the background questions'
    own best cosines on this index, {language: [mean, std]} (answer.gate); `bm25`: the
    hits' BM25 over the query's best; `bm25_top`: the best BM25 over what the query's
    tokens could reach at most; `fused`: the hits' fused scores; `unit_p`: each candidate
    unit's probability of holding the answer, best first; `unit_cos1`: the best
    candidate unit's cosine with the question.
    """
    cos1 = float(nearest[0]) if len(nearest) else 0.0
    cos2 = float(nearest[1]) if len(nearest) > 1 else cos1
    spread = cos1 - float(np.mean(nearest[:10])) if len(nearest) else 0.0
    mean, std = background.get(question.lang) or background.get("fr") or (cos1, 1.0)
    texts = [h.passage.text for h in hits[:PASSAGES]]
    top_tokens = set(_tokens(texts[0])) if texts else set()
    all_tokens = set().union(*(_tokens(t) for t in texts))
    folded = fold(" ".join(texts))
    unknown = [n for n in question.names
               if (tokens := tokenize(n)) and not all(lexical.knows(t, typos=1)
                                                       for t in tokens)]
    numbers = _DIGITS.findall(question.text)
    weights = question.weights
    p1 = float(unit_p[0]) if len(unit_p) else 0.0
    p2 = float(unit_p[1]) if len(unit_p) > 1 else 0.0
    return np.array([
        *_one_hot(question.lang, LANGUAGES), len(question.tokens), question.words,
        float(question.known.mean()) if len(question.tokens) else 0.0,
        float(weights[question.known].sum() / weights.sum()) if weights.sum() else 0.0,
        cos1, cos1 - cos2, spread, (cos1 - mean) / (std or 1.0), bgmax, cos1 - bgmax,
        bm25_top, (bm25[0] - bm25[1]) * bm25_top if len(bm25) > 1 else bm25_top,
        question.held(top_tokens), question.held(all_tokens), unit_held,
        len(question.names), len(unknown),
        sum(1 for n in question.names if n not in folded),
        sum(1 for n in numbers if n not in " ".join(texts)),
        float(any(gives(question.kind, t, question.names) for t in texts[:3])),
        fused[0] if fused else 0.0, fused[0] - fused[1] if len(fused) > 1 else 0.0,
        hub1, p1, p2, p1 - p2, unit_cos1, unit_cos1 - bgmax,
        question.rarest(set(question.tokens) - all_tokens),
        *_one_hot(question.kind, KINDS),
    ], dtype=np.float64)
