"""Question files and retrieval measures, scored against a searcher whose rankings we set."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from answer import evaluate as evaluate_module
from answer.evaluate import Question, evaluate, load_questions
from conftest import SHARED
from index.errors import QuestionsError
from index.records import Hit, Passage
from index.search import Retrieval


def passage(pid: str, text: str, source: str = "rapport.txt") -> Passage:
    return Passage(pid, source, "Rapport", "Section", None, 0, len(text), text)


FILLERS = [passage(f"f{n:02}", f"Texte de remplissage numéro {n} sur la vie associative.")
           for n in range(1, 16)]


class RankedSearcher:
    """Returns, for each query, the passages in the order given; records its calls.

    `clock`, when given, is a list holding the fake time in seconds; each search of a
    query listed in `costs` advances it by that many milliseconds.
    """

    def __init__(self, passages, rankings, clock=None, costs=None):
        self.passages = list(passages)
        self.rankings, self.clock, self.costs = rankings, clock, costs or {}
        self.calls: list[tuple[str, int]] = []
        self.modes: list[str] = []

    def retrieve(self, query: str, k: int, mode: str = "hybrid") -> Retrieval:
        return Retrieval(query, self.search(query, k, mode))

    def search(self, query: str, k: int, mode: str = "hybrid") -> list[Hit]:
        self.calls.append((query, k))
        self.modes.append(mode)
        if self.clock is not None:
            self.clock[0] += self.costs.get(query, 0) / 1000
        by_id = {p.id: p for p in self.passages}
        ids = self.rankings.get(query, [])[:k]
        return [Hit(rank, 1 / rank, by_id[pid]) for rank, pid in enumerate(ids, 1)]


def ranked(gold_id: str | None, rank: int | None, length: int = 15) -> list[str]:
    """`length` filler ids with `gold_id` put at `rank` (1-based), or left out."""
    ids = [f.id for f in FILLERS[:length]]
    if gold_id is not None and rank is not None:
        ids.insert(rank - 1, gold_id)
    return ids[:length]


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


# --- load_questions ------------------------------------------------------------------


def test_load_questions_reads_both_row_formats(tmp_path):
    rows = [
        {"id": "d01", "question": "À quels objectifs l'ESS contribue-t-elle ?",
         "gold": ["objectifs de développement durable"], "kind": "fact"},
        {"id": "t1", "question": "Que disent les textes sur l'emploi ?",
         "gold": ["travail décent", "dialogue social"], "kind": "theme"},
        {"id": "doc1", "question": "Quel texte parle de Carthagène ?", "gold_doc": "feuille.txt"},
        {"question": "Sans identifiant ?", "gold": ["coopératives"]},
    ]
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    path = write_lines(tmp_path / "q.jsonl", ["\ufeff" + lines[0], "", lines[1], "   ",
                                              lines[2], lines[3]])
    assert load_questions(path) == [
        Question("d01", "À quels objectifs l'ESS contribue-t-elle ?", "fact",
                 ("objectifs de développement durable",)),
        Question("t1", "Que disent les textes sur l'emploi ?", "theme",
                 ("travail décent", "dialogue social")),
        Question("doc1", "Quel texte parle de Carthagène ?", "fact", (), "feuille.txt"),
        Question(f"{path}:6", "Sans identifiant ?", "fact", ("coopératives",)),
    ]


GOOD = '{"id": "a", "question": "Qu\'est-ce que l\'ESS ?", "gold": ["économie sociale"]}'


@pytest.mark.parametrize("lines, message", [
    ([GOOD, '{"id": "b", "question": '], "{path}:2 n'est pas une ligne JSON valide"),
    (['{"id": "a", "gold": ["x"]}'], '{path}:1 : il manque le champ "question" (texte)'),
    (['{"question": 3, "gold": ["x"]}'], '{path}:1 : il manque le champ "question" (texte)'),
    (['["question", "gold"]'], '{path}:1 : il manque le champ "question" (texte)'),
    ([GOOD, "", '{"question": "Q ?", "gold": ["x"], "kind": "liste"}'],
     '{path}:3 : "kind" doit valoir "fact", "theme" ou "none"'),
    (['{"question": "Q ?", "gold": ["x"], "lang": ""}'],
     '{path}:1 : "lang" doit être un code de langue ("fr", "es"…)'),
    (['{"question": "Q ?"}'],
     '{path}:1 : il faut "gold" (une liste de phrases) ou "gold_doc" (un fichier)'),
    (['{"question": "Q ?", "gold": []}'],
     '{path}:1 : il faut "gold" (une liste de phrases) ou "gold_doc" (un fichier)'),
    (['{"question": "Q ?", "gold": "économie sociale"}'],
     '{path}:1 : il faut "gold" (une liste de phrases) ou "gold_doc" (un fichier)'),
    (['{"question": "Q ?", "gold_doc": "a.txt", "kind": "theme"}'],
     '{path}:1 : il faut "gold" (une liste de phrases) ou "gold_doc" (un fichier)'),
    ([], "le fichier de questions {path} ne contient aucune question"),
    (["", "  ", ""], "le fichier de questions {path} ne contient aucune question"),
], ids=["bad-json-line-2", "no-question", "question-not-text", "not-an-object", "bad-kind",
        "empty-lang", "no-gold", "empty-gold", "gold-not-a-list", "gold-doc-on-theme", "empty",
        "blank-lines-only"])
def test_load_questions_errors(tmp_path, lines, message):
    path = write_lines(tmp_path / "q.jsonl", lines)
    with pytest.raises(QuestionsError) as caught:
        load_questions(path)
    assert str(caught.value) == message.format(path=path)


def test_load_questions_missing_file(tmp_path):
    path = tmp_path / "absent.jsonl"
    with pytest.raises(QuestionsError) as caught:
        load_questions(path)
    assert str(caught.value) == f"le fichier de questions {path} n'existe pas"


def test_load_questions_not_utf8(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes('{"question": "Économie ?", "gold": ["été"]}\n'.encode("latin-1"))
    with pytest.raises(QuestionsError) as caught:
        load_questions(path)
    assert str(caught.value).startswith(f"le fichier de questions {path} est illisible (")
    assert str(caught.value).endswith(": il doit être en UTF-8, une question JSON par ligne")


# --- evaluate ------------------------------------------------------------------------

GOLD = [passage(f"g{n}", text) for n, text in enumerate([
    "Créer des fonds d'investissement dédiés aux coopératives.",
    "Former les opérateurs bancaires aux spécificités de l'ESS.",
    "Les mutuelles associent chaque sociétaire aux décisions.",
    "Le commerce équitable rémunère justement les producteurs.",
], 1)]
FACTS = [Question(f"q{n}", f"question {n}", "fact", (phrase,)) for n, phrase in enumerate([
    "fonds d'investissement", "opérateurs bancaires", "chaque sociétaire", "commerce équitable",
], 1)]


def test_hit_at_1_hit_at_5_and_mrr(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(evaluate_module, "time", SimpleNamespace(perf_counter=lambda: clock[0]))
    rankings = {"question 1": ranked("g1", 1), "question 2": ranked("g2", 3),
                "question 3": ranked("g3", 7), "question 4": ranked(None, None)}
    costs = {"question 1": 5, "question 2": 1, "question 3": 3, "question 4": 40}
    searcher = RankedSearcher(FILLERS + GOLD, rankings, clock, costs)
    report = evaluate(searcher, FACTS, k=20)
    assert (report.questions, report.facts, report.themes) == (4, 4, 0)
    assert report.hit_at_1 == 0.25
    assert report.hit_at_5 == 0.5
    assert report.mrr_at_10 == pytest.approx((1 + 1 / 3 + 1 / 7) / 4)
    assert report.theme_recall is None
    assert report.misses == ["q4"]
    # one warm-up search, then each question once, at depth max(k, 10)
    assert searcher.calls == [("question 1", 20)] + [(q.question, 20) for q in FACTS]
    # latencies [5, 1, 3, 40] ms: median 4, nearest-rank p95 = the largest
    assert report.latency_median_ms == pytest.approx(4.0)
    assert report.latency_p95_ms == pytest.approx(40.0)


def test_rank_beyond_10_is_a_miss_and_depth_is_at_least_10():
    searcher = RankedSearcher(FILLERS + GOLD, {"question 1": ranked("g1", 12),
                                               "question 2": ranked("g2", 10)})
    report = evaluate(searcher, FACTS[:2], k=20)
    assert report.misses == ["q1"]
    assert report.mrr_at_10 == pytest.approx((0 + 1 / 10) / 2)
    assert (report.hit_at_1, report.hit_at_5) == (0.0, 0.0)
    shallow = RankedSearcher(FILLERS + GOLD, {})
    evaluate(shallow, FACTS[:1], k=3)
    assert shallow.calls == [("question 1", 10), ("question 1", 10)]


def test_theme_recall_counts_gold_phrases_in_the_top_k():
    themes = [
        Question("t1", "thème 1", "theme",
                 ("fonds d'investissement", "opérateurs bancaires", "chaque sociétaire",
                  "une phrase absente")),
        Question("t2", "thème 2", "theme", ("commerce équitable",)),
    ]
    rankings = {"thème 1": ["g1", "f01", "g2", "f02", "g3"],  # g3 is beyond k = 3
                "thème 2": ["f01", "g4"]}
    report = evaluate(RankedSearcher(FILLERS + GOLD, rankings), themes, k=3)
    assert report.themes == 2 and report.facts == 0
    assert report.theme_recall == pytest.approx((2 / 4 + 1) / 2)
    assert (report.hit_at_1, report.mrr_at_10, report.misses) == (0.0, 0.0, [])


@pytest.mark.parametrize("gold, text", [
    ("économie sociale", "Promouvoir l'ÉCONOMIE SOCIALE partout."),
    ("l’économie sociale", "Promouvoir l'économie sociale partout."),
    ("l'économie sociale", "Promouvoir l’économie sociale partout."),
    ("l'économie sociale", "Promouvoir l'**économie sociale** partout."),
    ("**l'économie** sociale", "Promouvoir l'économie sociale partout."),
    ("l'économie sociale", "Promouvoir l'économie\n  sociale\u00a0partout."),
    ("L’économie   sociale\net solidaire", "Promouvoir L'**ÉCONOMIE** sociale et solidaire."),
])
def test_gold_phrases_match_in_match_form(gold, text):
    searcher = RankedSearcher([*FILLERS, passage("g", text)], {"q": ["f01", "g"]})
    report = evaluate(searcher, [Question("x", "q", "fact", (gold,))])
    assert report.mrr_at_10 == 0.5 and report.misses == []


@pytest.mark.parametrize("gold", ["économie solidaire", "economie sociale"])
def test_gold_phrase_absent_is_a_miss(gold):
    searcher = RankedSearcher([*FILLERS, passage("g", "Promouvoir l'économie sociale.")],
                              {"q": ["f01", "g"]})
    report = evaluate(searcher, [Question("x", "q", "fact", (gold,))])
    assert report.mrr_at_10 == 0.0 and report.misses == ["x"]


@pytest.mark.parametrize("gold_doc, rank", [
    ("rapports/2024/bilan-ess.txt", 2), ("bilan-ess.txt", 2), ("autre.txt", None)])
def test_gold_doc_matches_by_path_or_file_name(gold_doc, rank):
    doc = passage("d", "Le bilan annuel des structures.", source="rapports/2024/bilan-ess.txt")
    searcher = RankedSearcher([*FILLERS, doc], {"q": ["f01", "d", "f02"]})
    report = evaluate(searcher, [Question("x", "q", "fact", (), gold_doc)])
    assert report.mrr_at_10 == (1 / rank if rank else 0.0)
    assert report.misses == ([] if rank else ["x"])


def test_passage_statistics_and_latencies():
    passages = [passage("a", "abcd"), passage("b", "abcdefgh"), passage("c", "abcdefghijkl")]
    searcher = RankedSearcher(passages, {"q": ["a"]})
    report = evaluate(searcher, [Question("x", "q", "fact", ("abcd",))], k=5)
    assert (report.passages, report.mean_passage_chars, report.k) == (3, 8.0, 5)
    assert isinstance(report.latency_median_ms, float) and report.latency_median_ms >= 0
    assert report.latency_p95_ms >= report.latency_median_ms
    assert set(report.to_dict()) >= {"hit_at_1", "hit_at_5", "mrr_at_10", "theme_recall",
                                     "mean_passage_chars", "latency_median_ms",
                                     "latency_p95_ms", "misses"}


# --- the shared development set ------------------------------------------------------


def test_shared_dev_set_loads():
    path = SHARED / "eval" / "dev.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} is absent: the shared evaluation set is not checked out here")
    questions = load_questions(path)
    assert len(questions) == 25
    assert sum(q.kind == "fact" for q in questions) == 24
    assert [q.id for q in questions if q.kind == "theme"] == ["dt1"]
    assert all(q.gold and all(isinstance(g, str) and g for g in q.gold) for q in questions)
    assert len({q.id for q in questions}) == 25


def test_evaluate_with_no_question_is_a_clear_error():
    with pytest.raises(QuestionsError, match="^aucune question à évaluer$"):
        evaluate(object(), [])


# --- answers, unanswerable rows and languages ---------------------------------------


class FixedAnswerer:
    """Answers each question with the given sentences (hit index, text), or not at all."""

    def __init__(self, answers: dict[str, list[tuple[int, str]] | None]):
        self.answers = answers

    def compose(self, question, hits, retrieval=None):
        from answer.compose import Answer, Sentence

        chosen = self.answers.get(question)
        sentences = [Sentence(i, 0, len(t), t, 1.0) for i, t in (chosen or [])]
        return Answer(question, hits, sentences, chosen is not None)


def test_answers_are_scored_and_unanswerable_rows_counted_per_language():
    questions = [
        Question("f1", "question 1", "fact", ("fonds d'investissement",)),
        Question("f2", "pregunta 2", "fact", ("opérateurs bancaires",), lang="es"),
        Question("f3", "question 3", "fact", ("chaque sociétaire",)),
        Question("n1", "question sans réponse", "none"),
        Question("n2", "pregunta sin respuesta", "none", lang="es"),
    ]
    rankings = {"question 1": ranked("g1", 1), "pregunta 2": ranked("g2", 2),
                "question 3": ranked("g3", 1), "question sans réponse": ranked(None, None),
                "pregunta sin respuesta": ranked(None, None)}
    answers = {"question 1": [(0, "Créer des fonds d'investissement dédiés aux coopératives.")],
               "pregunta 2": [(0, "Texte de remplissage numéro 1 sur la vie associative.")],
               "question 3": None,  # flagged, though its passage was found
               "question sans réponse": None,
               "pregunta sin respuesta": [(0, "Texte de remplissage.")]}
    report = evaluate(RankedSearcher(FILLERS + GOLD, rankings), questions, k=10,
                      answerer=FixedAnswerer(answers))
    assert (report.facts, report.unanswerable) == (3, 2)
    assert report.hit_at_1 == pytest.approx(2 / 3)
    assert report.answer_accuracy == pytest.approx(1 / 3)
    assert report.answered == pytest.approx(2 / 3)
    assert report.flagged == 0.5
    assert report.wrong_answers == ["f2", "f3"] and report.misses == []
    assert report.answer_latency_median_ms >= 0
    assert set(report.by_lang) == {"es", "fr"}
    assert report.by_lang["fr"]["answer_accuracy"] == 0.5
    assert report.by_lang["fr"]["flagged"] == 1.0 and report.by_lang["es"]["flagged"] == 0.0
    assert report.by_lang["es"]["hit_at_1"] == 0.0 and report.by_lang["es"]["hit_at_5"] == 1.0


def test_without_an_answerer_no_answer_figure_is_given():
    report = evaluate(RankedSearcher(FILLERS + GOLD, {"question 1": ranked("g1", 1)}),
                      FACTS[:1] + [Question("n", "question 9", "none")])
    assert (report.answer_accuracy, report.answered, report.flagged) == (None, None, None)
    assert report.by_lang == {} and report.unanswerable == 1 and report.facts == 1


def test_load_questions_reads_unanswerable_rows_and_languages(tmp_path):
    path = write_lines(tmp_path / "q.jsonl", [
        '{"id": "n1", "question": "¿Cuál es el IVA?", "kind": "none", "lang": "es"}',
        '{"id": "f1", "question": "How to fund?", "gold": ["fonds"], "lang": "en"}'])
    assert load_questions(path) == [
        Question("n1", "¿Cuál es el IVA?", "none", (), None, "es"),
        Question("f1", "How to fund?", "fact", ("fonds",), None, "en")]
