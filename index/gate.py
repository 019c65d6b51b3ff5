"""Whether the corpus answers a question: the no-answer gate, in any language.

A question is answered when three checks pass:

1. **Evidence.** `best − BGMAX_WEIGHT · bgmax + COVERAGE_WEIGHT · coverage` reaches the
   index's threshold, where `best` is the question's highest cosine with a passage,
   `bgmax` its highest cosine with the background questions (a question that looks
   like « Quel temps fera-t-il demain ? » loses a little), and `coverage` the share of
   its words the corpus vocabulary knows, counted for French questions only: the
   lexicon is French, and a question in Spanish, English or Portuguese must not lose
   for it (index.language). The threshold is the mean plus Z standard deviations of
   the background questions' own evidence on the same index (index.background).
2. **Names.** A French question naming something the corpus never mentions (a word
   in capitals or with a capital inside the sentence, « TVA », « Belgique », not in
   the vocabulary, nor one letter away from a word of it: a typo is forgiven) is not
   answered: the documents cannot speak of it.
3. **Kind of answer.** A question asking for a time, an amount, a number or a date
   (« À quelle heure… », « Combien coûte… », « How many… », « ¿Cuándo…? ») needs one
   among the closest passages; otherwise they talk around it.

When a check fails, the verdict says why, in French, for the page.

How the constants were chosen (docs/evaluation.md): on the seed corpus and on PIAF,
with the answerable development sets (French, Spanish, English, Portuguese) and the
unanswerable set, over a grid of weights and Z; these answer every French development
question and 97 % of the others, flag 85 % of the unanswerable set, and answer 90 % of
PIAF's questions on PIAF.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from index.language import detect
from index.tokenize import tokenize

if TYPE_CHECKING:
    import numpy as np

Z = 1.25
BGMAX_WEIGHT = 0.25
COVERAGE_WEIGHT = 0.04
METHOD = "background-z-v2"
NEAREST = 3  # passages looked at for the kind of answer

_MONTHS = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
# kind of answer: (what asks for it, in four languages; what gives it; what the reason says)
KINDS = {
    "time": (r"\b(horaires?|à quelle heure|quelle heure|heures? d'ouverture|what time|opening "
             r"hours|a qué hora|horarios?|que horas|horários?)",
             r"\b\d{1,2}\s?(h|heures?)\b|\b\d{1,2}[:h]\d{2}\b|\b\d{1,2}\s?(am|pm)\b",
             "d'horaire"),
    "amount": (r"\b(prix|co[uû]te?n?t?|tarifs?|montant|budget|salaires?|price|costs?|fees?|how "
               r"much (money|funding|does)|precios?|cuesta|presupuesto|salarios?|preços?|"
               r"custa|orçamento|salários?)\b",
               r"\d[\d\s.,]*\s?(€|euros?|\$|dollars?|francs?|chf|pesos|reais|usd|eur)\b|"
               r"(€|\$|£)\s?\d",
               "de montant"),
    "number": (r"\b(combien|nombre de|how many|cuánt[oa]s|quant[oa]s|population|pourcentage|"
               r"percentage|porcentaje|percentagem|taux|rate|tasa|taxa)\b",
               r"\d+\s?%|\b(?!(1[5-9]|20)\d\d\b)\d[\d\s.,]*\d\b|"
               rf"\b\d\b(?!\s+({_MONTHS}))",
               "de chiffre"),
    "date": (r"\b(quand|en quelle année|quelle date|date|depuis quand|when|what year|cuándo|"
             r"en qué año|fecha|quando|em que ano|data)\b",
             rf"\b(1[5-9]|20)\d\d\b|\b\d{{1,2}}(er)?\s+({_MONTHS})",
             "de date"),
}
_ASKS = {kind: re.compile(asks, re.IGNORECASE) for kind, (asks, _, _) in KINDS.items()}
_GIVES = {kind: re.compile(gives, re.IGNORECASE) for kind, (_, gives, _) in KINDS.items()}
_NAME = re.compile(r"[\w-]+")


@dataclass(frozen=True)
class Verdict:
    answered: bool
    reason: str = ""  # in French, when not answered for a reason the reader can use

    def __bool__(self) -> bool:
        return self.answered


def evidence(best, bgmax, coverage, french) -> np.ndarray:
    """The evidence of questions (arrays, or numbers): see the module's docstring.

    >>> round(float(evidence(0.85, 0.80, 0.5, True)), 6)
    0.67
    """
    import numpy as np

    return (np.asarray(best) - BGMAX_WEIGHT * np.asarray(bgmax)
            + COVERAGE_WEIGHT * np.asarray(coverage) * np.asarray(french))


def calibrate(background: np.ndarray, questions: list[str], best: np.ndarray, lexical) -> dict:
    """The gate of an index: the background questions' evidence on it, summed up.

    `background` holds their vectors, `best` their highest cosine with a passage; a
    background question's `bgmax` leaves itself out.
    """
    scores = background_evidence(background, questions, best, lexical)
    return {"method": METHOD, "threshold": round(float(scores.mean() + Z * scores.std()), 6),
            "z": Z, "bgmax_weight": BGMAX_WEIGHT, "coverage_weight": COVERAGE_WEIGHT,
            "background_questions": len(questions)}


def background_evidence(background: np.ndarray, questions: list[str], best: np.ndarray,
                        lexical) -> np.ndarray:
    """Each background question's evidence on an index (its own bgmax left out)."""
    import numpy as np

    among = background @ background.T
    np.fill_diagonal(among, -1.0)
    french = np.array([detect(q) == "fr" for q in questions])
    coverage = np.array([lexical.score(q).coverage for q in questions])
    return evidence(best, among.max(axis=1), coverage, french)


class Gate:
    """The gate of one index: its threshold, its background vectors and its vocabulary."""

    def __init__(self, settings: dict, background: np.ndarray, lexical) -> None:
        self.threshold = float(settings["threshold"])
        self.background, self.lexical = background, lexical

    def verdict(self, question: str, query: np.ndarray, best: float,
                nearest: list[str]) -> Verdict:
        """`query` is the question's vector, `best` its highest cosine with a passage,
        `nearest` the texts of the closest passages."""
        if self.evidence(question, query, best) < self.threshold:
            return Verdict(False)
        return self.checks(question, nearest)

    def evidence(self, question: str, query: np.ndarray, best: float) -> float:
        """The question's evidence (check 1 of the module's docstring)."""
        french = detect(question) == "fr"
        coverage = self.lexical.score(question).coverage if french else 0.0
        bgmax = float((self.background @ query).max())
        return float(evidence(best, bgmax, coverage, french))

    def checks(self, question: str, nearest: list[str]) -> Verdict:
        """Checks 2 and 3 of the module's docstring: the names, the kind of answer."""
        missing = self.unknown_names(question) if detect(question) == "fr" else []
        if missing:
            listed = ", ".join(f"« {name} »" for name in missing)
            return Verdict(False, f"Les documents ne mentionnent pas {listed}.")
        for kind in asked_kinds(question):
            if not any(_GIVES[kind].search(text) for text in nearest[:NEAREST]):
                return Verdict(False, "Aucun des passages les plus proches ne donne "
                                      f"{KINDS[kind][2]}.")
        return Verdict(True)

    def unknown_names(self, question: str) -> list[str]:
        """Names in the question (capitalised words after the first, acronyms) that the
        corpus never mentions, nor anything one letter away."""
        words = _NAME.findall(question)
        names = [w for w in words[1:] if w[:1].isupper() or (len(w) > 1 and w.isupper())]
        return [name for name in dict.fromkeys(names)
                if (tokens := tokenize(name)) and not all(self.lexical.knows(t, typos=1)
                                                          for t in tokens)]


def asked_kinds(question: str) -> list[str]:
    """The kinds of answer a question asks for.

    >>> asked_kinds("Quel est le taux de TVA en Belgique ?"), asked_kinds("How much does it cost?")
    (['number'], ['amount'])
    >>> asked_kinds("Que propose-t-on pour financer les coopératives ?")
    []
    """
    return [kind for kind, pattern in _ASKS.items() if pattern.search(question)]
