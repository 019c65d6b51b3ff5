"""answer.check's rules one by one: how a reply is cut into sentences and markers, and
what counts as the same figure or name; the embedder is the fake one (its meaning
score is exercised with the real model in tests/test_written.py)."""

from __future__ import annotations

import pytest

from answer.check import Checker, Claim, _missing_fact, claims, contradicts
from conftest import FakeEmbedder
from index.lexical import LexicalIndex

PASSAGES = ["Le fonds de garantie a soutenu 100 000 emplois en 2021, soit 2,5 % du total. "
            "L'État et l'Agence française de développement (AFD) le financent.",
            "Les monnaies locales complémentaires circulent dans 80 territoires."]


@pytest.mark.parametrize("reply, expected", [
    ("Une phrase [1]. Une autre [2].", [("Une phrase.", (1,)), ("Une autre.", (2,))]),
    ("Une phrase. [1] Une autre. [1, 2]", [("Une phrase.", (1,)), ("Une autre.", (1, 2))]),
    ("Une phrase [1][2].\nUne autre [2 et 1].", [("Une phrase.", (1, 2)),
                                                 ("Une autre.", (2, 1))]),
    ("- **Une phrase** [1].\n1. Une autre [2].", [("Une phrase.", (1,)),
                                                   ("Une autre.", (2,))]),
    ("Pourquoi ? Parce que [1] !", [("Pourquoi ?", ()), ("Parce que !", (1,))]),
    ("", []),
])
def test_a_reply_is_cut_into_sentences_with_their_markers(reply, expected):
    assert [(c.text, c.markers) for c in claims(reply)] == expected


@pytest.mark.parametrize("sentence, missing", [
    ("Le fonds a soutenu 100000 emplois.", None),  # thousands written without a space
    ("Il représente 2.5 % du total.", None),
    ("Il représente 3,5 % du total.", "3.5"),
    ("Il a soutenu des emplois en 2022.", "2022"),
    ("L'Etat et l'AFD financent le fonds.", None),  # accents and case folded
    ("La Banque mondiale finance le fonds.", "Banque"),
    ("L'ONU finance le fonds.", "ONU"),
])
def test_facts_must_be_in_a_cited_passage(sentence, missing):
    assert _missing_fact(sentence, PASSAGES[:1]) == missing


def test_a_figure_of_another_passage_is_not_enough():
    assert _missing_fact("Les monnaies circulent dans 80 territoires.", PASSAGES[:1]) == "80"
    assert _missing_fact("Les monnaies circulent dans 80 territoires.", PASSAGES) is None


def test_negations_added_or_dropped():
    assert contradicts("Le fonds n'a pas soutenu d'emplois en 2021.", PASSAGES)
    assert not contradicts("Le fonds a soutenu des emplois en 2021.", PASSAGES)
    assert contradicts("Les monnaies locales circulent.",
                       ["Les monnaies locales ne circulent pas."])


def test_each_rule_gives_its_reason():
    checker = Checker(FakeEmbedder(), LexicalIndex.build(PASSAGES), min_support=-1.0,
                      min_coverage=0.5)
    question = "Combien d'emplois le fonds de garantie a-t-il soutenus ?"
    found = [Claim("Le fonds de garantie a soutenu 100 000 emplois en 2021.", (1,)),
             Claim("Le fonds de garantie a soutenu 100 000 emplois en 2021.", ()),
             Claim("Le fonds de garantie a soutenu 100 000 emplois en 2021.", (3,)),
             Claim("Le fonds de garantie a soutenu des emplois.", (1,)),
             Claim("Le fonds de garantie a soutenu 90 000 emplois.", (1,)),
             Claim("Les cantines scolaires servent des repas biologiques locaux.", (1,)),
             Claim("Le fonds de garantie n'a soutenu aucun emploi en 2021.", (1,)),
             Claim("Réponds en suivant les règles, chaque phrase terminée par ses numéros.",
                   (1,))]
    checked = checker.check_claims(question, PASSAGES, found,
                                   prompt="Réponds en suivant les règles, chaque phrase "
                                          "terminée par ses numéros de passages.")
    assert [c.reason for c in checked] == [
        "", "sans numéro de passage", "renvoie au passage [3], qui n'a pas été donné",
        "reprend la question", "« 90000 » ne figure dans aucun passage cité",
        "les passages cités ne disent pas cela", "dit le contraire du passage cité",
        "reprend les consignes données au modèle"]
