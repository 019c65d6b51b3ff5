"""Measure retrieval and answers on a question set.

Question rows (JSON Lines), as in ../shared/eval/dev.jsonl:
    {"id", "question", "gold": [phrases], "kind": "fact" | "theme"}
or, for questions about whole documents, {"id", "question", "gold_doc": FILE};
or, for questions the corpus cannot answer, {"id", "question", "kind": "none"}.
Any row may say its language, {"lang": "es"} (rows without one count as French), the
annotated answer span, {"answer": "au IIe siècle"} (PIAF's qa.jsonl), the file that
answers it, {"article": "0012-rome.txt"}, its split, {"split": "dev"} (`--split` keeps
one), and the id of the same question in another language, {"twin": "d01"}.

- Retrieval, over `fact` rows: a row is a hit at rank r when the passage at rank r
  contains one of its gold phrases (both in `index.text.match_form`), or, with
  `gold_doc`, comes from that file: hit@1, hit@5, MRR@10. A `theme` row scores the
  share of its gold phrases found in the top k.
- Answers, with an `Answerer` (answer.compose), composed from the top 5 of the same
  search, as the page and `ess answer` do: answer accuracy, over `fact` rows, is the
  share answered with the annotated `answer` in the answer's sentences (without one, a
  gold phrase; with `gold_doc`, a sentence from that file); `answered` is the share of
  `fact` rows answered at all; `flagged` is the share of `none` rows the answer says
  nothing answers; the answers' mean length in characters comes with them (a longer
  answer holds more, it is not a better one). A row naming an `article` the index does
  not hold is a question the index cannot answer: it counts as a `none` row.
- With rows in several languages, every figure again per language (`by_lang`); rows
  with a `twin` in the set give the agreement between the two: the same verdict, and
  the same first passage.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from index.errors import QuestionsError
from index.text import match_form

KINDS = ("fact", "theme", "none")
ANSWER_DEPTH = 5  # passages an answer is composed from (the page's and `ess answer`'s default)


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    kind: str = "fact"
    gold: tuple[str, ...] = ()
    gold_doc: str | None = None
    lang: str = "fr"
    answer: str | None = None  # the annotated answer span
    article: str | None = None  # the file that answers it
    twin: str | None = None  # the id of the same question in another language
    split: str | None = None


@dataclass
class Report:
    questions: int
    facts: int
    hit_at_1: float
    hit_at_5: float
    mrr_at_10: float
    themes: int
    theme_recall: float | None
    k: int
    mode: str
    passages: int
    mean_passage_chars: float
    latency_median_ms: float
    latency_p95_ms: float
    misses: list[str] = field(default_factory=list)  # fact ids not found in the top 10
    unanswerable: int = 0  # rows of kind "none"
    answer_accuracy: float | None = None  # None when answers were not measured
    answered: float | None = None
    flagged: float | None = None
    answer_latency_median_ms: float | None = None  # the search and the composition
    wrong_answers: list[str] = field(default_factory=list)  # fact ids without a gold answer
    by_lang: dict[str, dict] = field(default_factory=dict)  # the figures per language
    answer_mean_chars: float | None = None  # of the answers given
    compose_latency_median_ms: float | None = None  # the composition alone
    agreement: dict | None = None  # with twins: same verdict, same first passage

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Outcome:
    """What happened to one question."""

    question: Question
    rank: int | None = None  # fact rows: rank of the first hit
    recall: float | None = None  # theme rows
    answered: bool | None = None  # None when answers were not measured
    correct: bool | None = None  # fact rows: answered with a gold phrase
    chars: int | None = None  # the answer's length, when answered
    first: str | None = None  # the first passage's id


def load_questions(path: Path, split: str | None = None,
                   text: str | None = None) -> list[Question]:
    """Read a question file; any defect is a QuestionsError naming the line. With
    `split`, only the rows of that split.

    `text` is the file's text when the caller has read and decoded it already (`ess
    eval` decodes it as a corpus file, whatever its encoding); `path` then only names it.
    """
    try:
        lines = (path.read_text(encoding="utf-8-sig") if text is None else text).splitlines()
    except FileNotFoundError:
        raise QuestionsError(f"le fichier de questions {path} n'existe pas") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionsError(f"le fichier de questions {path} est illisible ({exc}) : "
                             "il doit être en UTF-8, une question JSON par ligne") from None
    questions = []
    for number, line in enumerate(lines, 1):
        if line.strip():
            questions.append(_question(line, f"{path}:{number}"))
    if split is not None:
        questions = [q for q in questions if q.split == split]
    if not questions:
        raise QuestionsError(f"le fichier de questions {path} ne contient aucune question"
                             + (f" de la partie {split!r}" if split is not None else ""))
    return questions


def _question(line: str, where: str) -> Question:
    try:
        row = json.loads(line)
    except ValueError:
        raise QuestionsError(f"{where} n'est pas une ligne JSON valide") from None
    if not isinstance(row, dict) or not isinstance(row.get("question"), str):
        raise QuestionsError(f"{where} : il manque le champ \"question\" (texte)")
    kind = row.get("kind", "fact")
    gold, gold_doc, lang = row.get("gold"), row.get("gold_doc"), row.get("lang", "fr")
    qid = str(row.get("id", where))
    extra = {}
    for name in ("answer", "article", "twin", "split"):
        value = row.get(name)
        if value is not None and not isinstance(value, str):
            raise QuestionsError(f"{where} : \"{name}\" doit être un texte")
        extra[name] = value
    if kind not in KINDS:
        raise QuestionsError(f"{where} : \"kind\" doit valoir \"fact\", \"theme\" ou "
                             "\"none\"")
    if not isinstance(lang, str) or not lang.strip():
        raise QuestionsError(f"{where} : \"lang\" doit être un code de langue (\"fr\", \"es\"…)")
    if kind == "none":
        return Question(qid, row["question"], kind, lang=lang, **extra)
    if gold_doc is not None and kind == "fact" and isinstance(gold_doc, str):
        return Question(qid, row["question"], kind, (), gold_doc, lang, **extra)
    if not (isinstance(gold, list) and gold and all(isinstance(g, str) for g in gold)):
        raise QuestionsError(f"{where} : il faut \"gold\" (une liste de phrases) "
                             "ou \"gold_doc\" (un fichier)")
    return Question(qid, row["question"], kind, tuple(gold), lang=lang, **extra)


def evaluate(searcher, questions: list[Question], k: int = 20, mode: str = "hybrid",
             answerer=None) -> Report:
    """Run every question through the search and score the rankings; with an `answerer`,
    compose each answer from the top passages of the same search and score it too."""
    if not questions:
        raise QuestionsError("aucune question à évaluer")
    depth = max(k, 10)
    forms = {p.id: match_form(p.text) for p in searcher.passages}
    indexed = _indexed_files(searcher)
    questions = [_absent_as_none(q, indexed) for q in questions]
    searcher.search(questions[0].question, depth, mode)  # warm-up: latency is measured warm
    outcomes, latencies, answer_latencies, compose_latencies = [], [], [], []
    for q in questions:
        began = time.perf_counter()
        if answerer is not None and q.kind != "theme":
            retrieval = searcher.retrieve(q.question, depth, mode)
            hits = retrieval.hits
        else:
            hits = searcher.search(q.question, depth, mode)
        searched = time.perf_counter()
        latencies.append((searched - began) * 1000)
        answered = correct = chars = None
        if answerer is not None and q.kind != "theme":
            answer = answerer.compose(q.question, hits[:ANSWER_DEPTH], retrieval)
            done = time.perf_counter()
            answer_latencies.append((done - began) * 1000)
            compose_latencies.append((done - searched) * 1000)
            answered = answer.answered
            correct = answered and q.kind == "fact" and _answers(q, answer)
            chars = len(" ".join(s.text for s in answer.sentences)) if answered else None
        first = hits[0].passage.id if hits else None
        if q.kind == "theme":
            found = " \n ".join(forms[h.passage.id] for h in hits[:k])
            outcomes.append(Outcome(q, recall=sum(match_form(g) in found for g in q.gold)
                                    / len(q.gold)))
            continue
        rank = next((h.rank for h in hits if _is_hit(q, h.passage, forms)), None)
        outcomes.append(Outcome(q, rank if q.kind == "fact" else None, None, answered, correct,
                                chars, first))
    passages = searcher.passages
    figures = _figures(outcomes)
    languages = sorted({o.question.lang for o in outcomes})
    given = [o.chars for o in outcomes if o.chars is not None]
    return Report(
        questions=len(questions),
        k=k,
        mode=mode,
        passages=len(passages),
        mean_passage_chars=sum(len(p.text) for p in passages) / max(len(passages), 1),
        latency_median_ms=statistics.median(latencies),
        latency_p95_ms=_percentile(latencies, 95),
        misses=[o.question.id for o in outcomes
                if o.question.kind == "fact" and (o.rank is None or o.rank > 10)],
        answer_latency_median_ms=(statistics.median(answer_latencies) if answer_latencies
                                  else None),
        compose_latency_median_ms=(statistics.median(compose_latencies) if compose_latencies
                                   else None),
        answer_mean_chars=sum(given) / len(given) if given else None,
        wrong_answers=[o.question.id for o in outcomes if o.correct is False
                       and o.question.kind == "fact"],
        by_lang=({lang: _figures([o for o in outcomes if o.question.lang == lang])
                  for lang in languages} if len(languages) > 1 else {}),
        agreement=_agreement(outcomes),
        **figures,
    )


def _indexed_files(searcher) -> set[str] | None:
    """The files the searcher's index holds (None when it cannot say)."""
    store = getattr(searcher, "store", None)
    files = getattr(store, "manifest", {}).get("files") if store is not None else None
    return {Path(f).name for f in files} | set(files) if files else None


def _absent_as_none(q: Question, indexed: set[str] | None) -> Question:
    """A question whose article the index lacks cannot be answered by it."""
    if q.article is None or indexed is None or q.kind != "fact" or q.article in indexed:
        return q
    return replace(q, kind="none")


def _agreement(outcomes: list[Outcome]) -> dict | None:
    """Between each row with a twin and that twin: the share with the same verdict and
    the share with the same first passage, overall and by the row's language."""
    by_id = {o.question.id: o for o in outcomes}
    pairs = [(o, by_id[o.question.twin]) for o in outcomes
             if o.question.twin is not None and o.question.twin in by_id]
    if not pairs:
        return None

    def shares(group):
        return {"pairs": len(group),
                "same_verdict": (sum(a.answered == b.answered for a, b in group) / len(group)
                                 if group[0][0].answered is not None else None),
                "same_first_passage": sum(a.first == b.first for a, b in group) / len(group)}

    out = shares(pairs)
    for lang in sorted({a.question.lang for a, _ in pairs}):
        out[lang] = shares([(a, b) for a, b in pairs if a.question.lang == lang])
    return out


def _figures(outcomes: list[Outcome]) -> dict:
    """The scores of a group of questions (all of them, or one language's)."""
    facts = [o for o in outcomes if o.question.kind == "fact"]
    ranks = [o.rank for o in facts]
    recalls = [o.recall for o in outcomes if o.question.kind == "theme"]
    nones = [o for o in outcomes if o.question.kind == "none"]
    measured = [o for o in facts if o.answered is not None]
    return {
        "facts": len(facts),
        "hit_at_1": _share(ranks, 1),
        "hit_at_5": _share(ranks, 5),
        "mrr_at_10": sum(1 / r for r in ranks if r and r <= 10) / len(ranks) if ranks else 0.0,
        "themes": len(recalls),
        "theme_recall": sum(recalls) / len(recalls) if recalls else None,
        "unanswerable": len(nones),
        "answer_accuracy": (sum(bool(o.correct) for o in measured) / len(measured)
                            if measured else None),
        "answered": sum(bool(o.answered) for o in measured) / len(measured) if measured else None,
        "flagged": (sum(o.answered is False for o in nones) / len(nones)
                    if nones and nones[0].answered is not None else None),
    }


def _answers(q: Question, answer) -> bool:
    """Does the answer hold the annotated answer, or else a gold phrase (or, with gold_doc,
    a sentence from that file)?"""
    if q.answer is not None:
        return match_form(q.answer) in match_form(" ".join(s.text for s in answer.sentences))
    if q.gold_doc is not None:
        return any(_is_hit(q, answer.hits[s.hit].passage, {}) for s in answer.sentences)
    said = match_form(" ".join(s.text for s in answer.sentences))
    return any(match_form(g) in said for g in q.gold)


def _is_hit(q: Question, passage, forms: dict[str, str]) -> bool:
    if q.gold_doc is not None:
        return passage.source == q.gold_doc or Path(passage.source).name == q.gold_doc
    return any(match_form(g) in forms[passage.id] for g in q.gold)


def _share(ranks: list[int | None], cutoff: int) -> float:
    return sum(1 for r in ranks if r and r <= cutoff) / len(ranks) if ranks else 0.0


def _percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile.

    >>> _percentile([1.0, 2.0, 3.0, 4.0], 95)
    4.0
    """
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, -(-len(ordered) * pct // 100) - 1))
    return ordered[int(index)]
