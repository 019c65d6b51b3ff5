"""The French tokenizer of the lexical half (index.tokenize)."""

import pytest

from index.tokenize import fold, tokenize, words


@pytest.mark.parametrize("elided, bare", [
    ("l'économie", "économie"), ("l’économie", "économie"), ("d'un réseau", "réseau"),
    ("qu'elle finance", "finance"), ("qu’elle finance", "finance"), ("n'exclut", "exclut"),
    ("s'engage", "engage"), ("j’adhère", "adhère"), ("jusqu'à la récolte", "récolte"),
    ("lorsqu’il coopère", "coopère"), ("c'est l'ESS", "ESS"), ("m'inscrire", "inscrire"),
])
def test_elisions_are_dropped_with_straight_and_curly_apostrophes(elided, bare):
    assert tokenize(elided) == tokenize(bare) != []


@pytest.mark.parametrize("accented, plain", [
    ("égalité", "egalite"), ("ÉGALITÉ", "egalite"), ("coopératives", "cooperatives"),
    ("numérique", "numerique"), ("Genève", "geneve"), ("œuvre", "oeuvre"),
])
def test_accents_and_case_are_folded(accented, plain):
    assert tokenize(accented) == tokenize(plain) != []


def test_stop_words_and_question_words_are_dropped():
    assert tokenize("Comment les uns et les autres le font-ils dans la ville ?") == \
        tokenize("uns autres font-ils ville")
    assert tokenize("Quelles sont les règles ?") == tokenize("règles")
    assert tokenize("de la des du et à au aux un une") == []


@pytest.mark.parametrize("plural, singular", [
    ("coopératives", "coopérative"), ("femmes", "femme"), ("mutuelles", "mutuelle"),
    ("financières", "financière"), ("organisations", "organisation"), ("biens", "bien"),
])
def test_a_stemmed_plural_matches_its_singular(plural, singular):
    assert tokenize(plural) == tokenize(singular) != []


def test_derived_forms_meet():
    assert tokenize("financer") == tokenize("financement") == tokenize("financières")


def test_numbers_and_acronyms_are_kept():
    assert tokenize("l'agenda 2030 de l'ONU") == ["agend", "2030", "onu"]
    assert words("L'ESS représente 10 %") == ["ess", "represente", "10"]


def test_fold_keeps_punctuation_and_guillemets():
    assert fold("« Économie »\u00a0!") == "« economie » !"  # NFKD: NBSP becomes a space


def test_bien_commun_is_not_a_stop_word():
    assert tokenize("le bien commun") == tokenize("les biens communs") == ["bien", "commun"]
