"""Answers with the real default model on the real corpus: what a reader gets, in four
languages, and what the gate flags."""

from __future__ import annotations

import json

import pytest

from answer.compose import Answerer
from answer.evaluate import evaluate, load_questions
from conftest import ROOT, SHARED
from index.units import has_verb, heading_like, refers_back

DATA = ROOT / "tests" / "data"


@pytest.fixture(scope="module")
def answerer(real_searcher):
    return Answerer(real_searcher)


def readable(answer) -> None:
    """Each unit reads alone, is verbatim, and the markers come in reading order."""
    assert answer.answered and 1 <= len(answer.sentences) <= 3
    for s in answer.sentences:
        passage = answer.hits[s.hit].passage
        assert passage.text[s.start:s.end] == s.text
        assert not refers_back(s.text) and not heading_like(s.text)
        whole = s.start == 0 and s.end == len(passage.text)
        assert whole or has_verb(s.text)  # a verbless unit only as a whole recommendation
    assert [s.marker for s in answer.sentences] == sorted(s.marker for s in answer.sentences)
    assert answer.sentences[0].marker == 1


def test_the_gender_question_opens_on_a_sentence_and_cites_in_order(answerer):
    answer = answerer.answer("Que propose-t-on pour l'égalité entre les femmes et les hommes ?")
    readable(answer)
    assert not answer.text().startswith("Reconnaissance de l'intersectionnalité")
    assert "Ces propositions peuvent" not in answer.text().split("[")[0]


def test_the_theme_of_the_2026_meetings_is_given(answerer):
    answer = answerer.answer("Quel était le thème des Rencontres du Mont-Blanc de Genève en 2026 ?")
    readable(answer)
    assert "Construire un avenir durable et souverain" in answer.text()
    assert "Les Rencontres du Mont Blanc 2026 [" not in answer.text()


@pytest.mark.parametrize("question, gold", [
    ("¿Cómo financiar las cooperativas y las empresas de economía social?", "financ"),
    ("How do we fight the digital divide?", "fracture numérique"),
    ("Quais valores as mútuas promovem?", "la non-lucrativité"),
    ("¿Cuál era el tema de los Encuentros del Mont-Blanc de Ginebra en 2026?",
     "avenir durable et souverain"),
])
def test_questions_in_other_languages_are_answered_from_the_french_passages(answerer, question,
                                                                              gold):
    answer = answerer.answer(question)
    readable(answer)
    assert gold in answer.text()


@pytest.mark.parametrize("question, reason", [
    ("Quel est le taux de TVA des coopératives en Belgique ?",
     "Les documents ne mentionnent pas « TVA », « Belgique »."),
    ("Quels sont les horaires d'ouverture de la mairie de Carthagène ?",
     "Aucun des passages les plus proches ne donne d'horaire."),
    ("¿Cómo se prepara una paella valenciana?", ""),
    ("Who won the 2022 football World Cup?",
     "Les documents ne mentionnent pas « World », « Cup »."),
    ("Qual é a previsão do tempo para Lisboa amanhã?",
     "Les documents ne mentionnent pas « Lisboa »."),
    ("Quelle est la recette de la fondue savoyarde ?", ""),
])
def test_questions_the_corpus_cannot_answer_are_flagged_in_four_languages(answerer, question,
                                                                         reason):
    answer = answerer.answer(question)
    assert not answer.answered and answer.hits
    assert answer.reason == reason


def test_the_development_sets_answered_and_flagged(answerer, real_searcher):
    """The learned gate's trade-off on this project's sets (docs/evaluation.md: 1.0
    answered, 0.917 accurate, 0.72 flagged when trained): every French held-out question
    and nine in ten of the others answered, two in three unanswerable questions flagged
    and at least six in ten in every language. A retrained model that falls below
    these figures is a regression to explain."""
    multilingual = evaluate(real_searcher, load_questions(DATA / "multilingual.jsonl"),
                            answerer=answerer)
    assert multilingual.answered >= 0.9 and multilingual.answer_accuracy >= 0.8
    assert set(multilingual.by_lang) == {"es", "en", "pt"}
    unanswerable = evaluate(real_searcher, load_questions(DATA / "unanswerable.jsonl"),
                            answerer=answerer)
    assert unanswerable.flagged >= 0.65
    assert all(f["flagged"] >= 0.6 for f in unanswerable.by_lang.values())
    heldout = evaluate(real_searcher, load_questions(DATA / "fr_heldout.jsonl"),
                       answerer=answerer)
    assert heldout.answered == 1.0


def test_every_answer_of_the_dev_set_reads_alone(answerer):
    path = SHARED / "eval" / "dev.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} is absent: the shared evaluation set is not checked out here")
    for line in path.read_text(encoding="utf-8").splitlines():
        answer = answerer.answer(json.loads(line)["question"])
        if answer.answered:
            readable(answer)


def test_the_data_sets_are_well_formed():
    for name, languages in (("multilingual.jsonl", {"es", "en", "pt"}),
                            ("unanswerable.jsonl", {"fr", "es", "en", "pt"}),
                            ("fr_heldout.jsonl", {"fr"})):
        questions = load_questions(DATA / name)
        assert {q.lang for q in questions} == languages
        assert len({q.id for q in questions}) == len(questions)
    assert sum(1 for _ in load_questions(DATA / "multilingual.jsonl")) >= 20
    assert sum(1 for _ in load_questions(DATA / "unanswerable.jsonl")) >= 30
