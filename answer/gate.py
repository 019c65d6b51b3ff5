"""Whether the passages answer a question: the no-answer gate, learned from data.

Three steps, the first two before any model:
1. **Not a question.** An input without a content word (« bonjour », « ? », « le la
   les », an emoji; answer.questions) is not answered: the reader is invited to ask a
   full question, and no passage is offered as an answer.
2. **The evidence of the search**, as a row of answer.features.QUESTION_FEATURES: how
   close the best passages come (the raw cosines, against what the background
   questions reach on this index, in the question's language), how much of the
   question's rare words and names they hold, BM25 against what the question's words
   could reach, whether the asked kind of answer (a date, a number, a person…) stands
   in them, and how sure the unit model (answer.compose) is of its best unit.
3. **The model**, gradient-boosted trees (answer.trees) trained by `python -m
   training.answers` on PIAF questions asked of indexes with and without their article,
   in four languages, and on unanswerable questions against the bundled corpus; the
   question is answered when its probability reaches the threshold chosen on the
   training data's cross-validated predictions (docs/evaluation.md).

At ingest, the only thing an index learns is what the background questions look like on
it: their best cosines, mean and standard deviation by language (index.background.
calibrate), the scale against which a question's own best cosine is read.

When the gate refuses for a reason a reader can use, it says it in French: a name the
documents never mention, or a kind of answer none of the closest passages gives.
"""

from __future__ import annotations

from dataclasses import dataclass

NOT_A_QUESTION = ("Posez une question complète sur le contenu des documents, par exemple : "
                  "« Que propose-t-on pour financer les coopératives ? »")
_KIND_WORDS = {"date": "de date", "number": "de chiffre", "amount": "de montant",
               "time": "d'horaire", "person": "de nom de personne", "place": "de lieu"}


@dataclass(frozen=True)
class Verdict:
    answered: bool
    reason: str = ""  # in French, when not answered for a reason the reader can use
    probability: float | None = None  # the model's, when it was asked

    def __bool__(self) -> bool:
        return self.answered


def reason(question_kind: str, gives3: bool, unknown: list[str]) -> str:
    """The French reason for a refusal, when there is one a reader can use.

    >>> reason("other", False, ["TVA"])
    'Les documents ne mentionnent pas « TVA ».'
    >>> reason("date", False, [])
    'Aucun des passages les plus proches ne donne de date.'
    """
    if unknown:
        return "Les documents ne mentionnent pas " + ", ".join(f"« {n} »" for n in unknown) + "."
    if question_kind in _KIND_WORDS and not gives3:
        return f"Aucun des passages les plus proches ne donne {_KIND_WORDS[question_kind]}."
    return ""
