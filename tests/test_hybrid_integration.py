"""Hybrid search with the real default model on the real corpus: the query shapes users
type (keywords without accents, one word, capitals, typos, long questions, Spanish and
English), and the fusion's promise on the dev set."""

from __future__ import annotations

import pytest

from answer.evaluate import evaluate, load_questions
from conftest import SHARED

FINANCE = "ESS et un système financier plus stable, résilient et démocratique"
GENDER = ("Changer la vie de nos organisations en intégrant et en incorporant une perspective "
          "de genres")
DIGITAL = "Les outils numériques au service de l'ESS"
FOOD = ("Changer la logique du modèle de production, de distribution et de consommation des "
        "aliments par le biais de l'ESS")


def top(searcher, query, k=3, mode="hybrid"):
    return [(h.passage.section, h.passage.item) for h in searcher.search(query, k, mode)]


@pytest.mark.parametrize(("query", "expected"), [
    ("microcredit", (FINANCE, 3)),  # one word, accent left out
    ("egalite femmes hommes", (GENDER, 3)),  # keywords without accents
    ("ÉGALITÉ FEMMES HOMMES", (GENDER, 3)),  # capitals
    ("blockchain", (FINANCE, 6)),
    ("fracture numerique", (DIGITAL, 3)),
])
def test_keyword_queries_find_the_accented_passage_first(real_searcher, query, expected):
    assert top(real_searcher, query, 1) == [expected]


def test_a_question_with_typos_still_finds_the_topic(real_searcher):
    assert (FOOD, 7) in top(real_searcher, "banques de semances indigenes ?")


def test_a_very_long_question_finds_the_finance_recommendations(real_searcher):
    query = ("Dans le cadre d'un programme de développement territorial, nous cherchons à savoir "
             "quelles recommandations ont été formulées concernant la manière dont les "
             "organisations de l'économie sociale et solidaire pourraient contribuer au "
             "financement des entreprises locales, notamment via des instruments adaptés à "
             "l'économie populaire et des institutions financières spécialisées, afin de créer "
             "des emplois décents. ") * 3
    assert (FINANCE, 2) in top(real_searcher, query)


def test_the_headline_question_cites_the_finance_section(real_searcher):
    sections = [s for s, _ in top(real_searcher, "Comment financer les entreprises de l'ESS ?", 5)]
    assert FINANCE in sections


@pytest.mark.parametrize(("query", "expected"), [
    ("¿Cómo luchar contra la brecha digital?", (DIGITAL, 3)),
    ("How can the digital divide be bridged?", (DIGITAL, 3)),
    ("¿Qué proponen para el liderazgo de las mujeres?", (GENDER, 8)),
    ("What do they propose about indigenous seed banks?", (FOOD, 7)),
    ("¿Cómo financiar las cooperativas?", None),
    ("How can cooperatives be financed?", None),
])
def test_spanish_and_english_questions_find_the_french_passages(real_searcher, query, expected):
    dense, hybrid = top(real_searcher, query, 3, "dense"), top(real_searcher, query, 3)
    assert hybrid[0] == dense[0]  # the lexical half does not push the dense answer down
    if expected is not None:
        assert expected in hybrid


def test_the_mean_passage_stays_readable(real_searcher):
    texts = [p.text for p in real_searcher.passages]
    assert sum(map(len, texts)) / len(texts) < 600


@pytest.mark.skipif(not (SHARED / "eval" / "dev.jsonl").exists(),
                    reason="../shared/eval/dev.jsonl is not beside this checkout")
def test_hybrid_is_at_least_as_good_as_either_half_on_the_dev_set(real_searcher):
    questions = load_questions(SHARED / "eval" / "dev.jsonl")
    reports = {mode: evaluate(real_searcher, questions, mode=mode)
               for mode in ("dense", "lexical", "hybrid")}
    for metric in ("hit_at_1", "hit_at_5", "mrr_at_10"):
        best_half = max(getattr(reports["dense"], metric), getattr(reports["lexical"], metric))
        assert getattr(reports["hybrid"], metric) >= best_half, metric
    assert reports["hybrid"].theme_recall >= 0.9
