"""Whether an input is a question, and what it asks for, in four languages
(answer.questions)."""

from __future__ import annotations

import pytest

from answer.questions import asked, content_words, gives, is_question


@pytest.mark.parametrize("text", [
    "bonjour", "Bonjour !", "?", "...", "le la les de du", "merci beaucoup", "tu es qui ?",
    "🙂", "🌻 ?", "hola", "gracias", "hello", "thank you", "olá", "obrigado", "", "   ",
    "l’ d’ qu’", "« »", "Salut, ça va ?",
])
def test_inputs_without_a_content_word_are_not_questions(text):
    assert not is_question(text)


@pytest.mark.parametrize("text", [
    "Que propose-t-on pour financer les coopératives ?", "microcrédit", "Quel temps fera-t-il "
    "demain ?", "¿Cómo financiar las cooperativas?", "How can cooperatives be financed?",
    "Como financiar as cooperativas?", "ESS", "qsdfgh", "2022",
])
def test_inputs_with_a_content_word_are_questions(text):
    assert is_question(text)


def test_content_words_fold_accents_and_drop_elisions():
    assert content_words("L’économie d’aujourd’hui qu’elle finance") == \
        ["economie", "aujourd", "hui", "finance"]


@pytest.mark.parametrize("question, kind", [
    ("Qui a fondé la première coopérative ?", "person"),
    ("¿Quién fundó la cooperativa?", "person"), ("Who founded it?", "person"),
    ("Quem fundou a cooperativa?", "person"),
    ("En quelle année la loi a-t-elle été votée ?", "date"), ("When was it built?", "date"),
    ("¿Cuándo se fundó?", "date"), ("Quando foi fundada?", "date"),
    ("Combien de membres compte-t-elle ?", "number"), ("How many members?", "number"),
    ("¿Cuántos miembros tiene?", "number"), ("Quantos membros tem?", "number"),
    ("Où se trouve le siège ?", "place"), ("¿Dónde está la sede?", "place"),
    ("Combien coûte l'adhésion ?", "amount"), ("À quelle heure ouvre le siège ?", "time"),
    ("Qu'est-ce que l'ESS ?", "definition"), ("Pourquoi financer l'ESS ?", "reason"),
    ("Comment financer les coopératives ?", "manner"),
    ("Que propose-t-on pour les femmes ?", "other"),
])
def test_what_a_question_asks_for(question, kind):
    assert asked(question) == kind


@pytest.mark.parametrize("kind, text, expected", [
    ("date", "La coopérative fut fondée en 1844.", True),
    ("date", "Elle a été fondée le 21 décembre.", True),
    ("date", "Elle a été fondée par des tisserands.", False),
    ("number", "Elle compte 28 membres.", True),
    ("number", "Elle compte des membres.", False),
    ("amount", "L'adhésion coûte 20 €.", True),
    ("amount", "L'adhésion est payante.", False),
    ("person", "Elle a été fondée par Robert Owen.", True),
    ("person", "elle a été fondée par des tisserands.", False),
])
def test_what_a_text_gives(kind, text, expected):
    assert gives(kind, text) is expected
