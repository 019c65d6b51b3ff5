"""Measure retrieval on a question set: hit@1, hit@5, MRR@10, theme recall, latency.

Question rows (JSON Lines), as in ../shared/eval/dev.jsonl:
    {"id", "question", "gold": [phrases], "kind": "fact" | "theme"}
or, for questions about whole documents, {"id", "question", "gold_doc": FILE}.

A `fact` row is a hit at rank r when the passage at rank r contains one of its
gold phrases (both in `index.text.match_form`), or, with `gold_doc`, comes from
that file. A `theme` row scores the share of its gold phrases found in the top k.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from index.errors import QuestionsError
from index.text import match_form


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    kind: str = "fact"
    gold: tuple[str, ...] = ()
    gold_doc: str | None = None


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

    def to_dict(self) -> dict:
        return asdict(self)


def load_questions(path: Path) -> list[Question]:
    """Read a question file; any defect is a QuestionsError naming the line."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise QuestionsError(f"le fichier de questions {path} n'existe pas") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionsError(f"le fichier de questions {path} est illisible ({exc}) : "
                             "il doit être en UTF-8, une question JSON par ligne") from None
    questions = []
    for number, line in enumerate(lines, 1):
        if line.strip():
            questions.append(_question(line, f"{path}:{number}"))
    if not questions:
        raise QuestionsError(f"le fichier de questions {path} ne contient aucune question")
    return questions


def _question(line: str, where: str) -> Question:
    try:
        row = json.loads(line)
    except ValueError:
        raise QuestionsError(f"{where} n'est pas une ligne JSON valide") from None
    if not isinstance(row, dict) or not isinstance(row.get("question"), str):
        raise QuestionsError(f"{where} : il manque le champ \"question\" (texte)")
    kind = row.get("kind", "fact")
    gold, gold_doc = row.get("gold"), row.get("gold_doc")
    if kind not in ("fact", "theme"):
        raise QuestionsError(f"{where} : \"kind\" doit valoir \"fact\" ou \"theme\"")
    if gold_doc is not None and kind == "fact" and isinstance(gold_doc, str):
        return Question(str(row.get("id", where)), row["question"], kind, (), gold_doc)
    if not (isinstance(gold, list) and gold and all(isinstance(g, str) for g in gold)):
        raise QuestionsError(f"{where} : il faut \"gold\" (une liste de phrases) "
                             "ou \"gold_doc\" (un fichier)")
    return Question(str(row.get("id", where)), row["question"], kind, tuple(gold))


def evaluate(searcher, questions: list[Question], k: int = 20, mode: str = "hybrid") -> Report:
    """Run every question through `searcher.search` and score the rankings."""
    if not questions:
        raise QuestionsError("aucune question à évaluer")
    depth = max(k, 10)
    forms = {p.id: match_form(p.text) for p in searcher.passages}
    searcher.search(questions[0].question, depth, mode)  # warm-up: latency is measured warm
    ranks, recalls, latencies, misses = [], [], [], []
    for q in questions:
        began = time.perf_counter()
        hits = searcher.search(q.question, depth, mode)
        latencies.append((time.perf_counter() - began) * 1000)
        if q.kind == "theme":
            found = " \n ".join(forms[h.passage.id] for h in hits[:k])
            recalls.append(sum(match_form(g) in found for g in q.gold) / len(q.gold))
            continue
        rank = next((h.rank for h in hits if _is_hit(q, h.passage, forms)), None)
        ranks.append(rank)
        if rank is None or rank > 10:
            misses.append(q.id)
    passages = searcher.passages
    return Report(
        questions=len(questions),
        facts=len(ranks),
        hit_at_1=_share(ranks, 1),
        hit_at_5=_share(ranks, 5),
        mrr_at_10=sum(1 / r for r in ranks if r and r <= 10) / len(ranks) if ranks else 0.0,
        themes=len(recalls),
        theme_recall=sum(recalls) / len(recalls) if recalls else None,
        k=k,
        mode=mode,
        passages=len(passages),
        mean_passage_chars=sum(len(p.text) for p in passages) / max(len(passages), 1),
        latency_median_ms=statistics.median(latencies),
        latency_p95_ms=_percentile(latencies, 95),
        misses=misses,
    )


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
