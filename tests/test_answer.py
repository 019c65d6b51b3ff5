"""The answer composer (answer.compose) and the no-answer gate (answer.gate), on an index
built with the fake embedder; tests/test_answers_real.py runs them with the real model
on the real corpus."""

from __future__ import annotations

import numpy as np
import pytest

from answer import features
from answer.compose import (
    MAX_CHARS,
    MAX_UNITS,
    NO_ANSWER,
    Answer,
    Answerer,
    Models,
    Sentence,
    choose,
    load_models,
)
from answer.gate import NOT_A_QUESTION, reason
from conftest import FakeEmbedder
from index import store
from index.errors import IndexUnreadable
from index.records import Hit, Passage
from index.search import Searcher
from index.units import Unit
from ingest.build import build

FINANCE = ("## FINANCE\n\n"
           "Les coopératives manquent de capitaux propres. Les fonds de garantie réduisent le "
           "risque pris par les banques. Ils permettent de financer les reprises d'entreprises "
           "par leurs salariés. Le microcrédit aide les femmes rurales à créer leur activité.\n\n"
           "1. Créer des fonds de garantie pour les coopératives.\n"
           "2. Former les élus au microcrédit.\n")


class Scripted:
    """A model whose probabilities a test sets: `by_text` maps a word found in a unit's
    text to its probability (units model), `value` is every row's (gate)."""

    def __init__(self, value=0.0, by_text=None, meta=None):
        self.value, self.by_text, self.meta = value, by_text or {}, meta or {}
        self.rows = []

    def probability(self, rows):
        self.rows.append(np.asarray(rows))
        return np.full(len(rows), self.value)


@pytest.fixture
def searcher(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text(FINANCE, encoding="utf-8")
    build(corpus, tmp_path / "index", embedder=FakeEmbedder(), show_progress=False)
    return Searcher(tmp_path / "index", embedder=FakeEmbedder())


def candidate(hit, start, text, position=0):
    return features.Candidate(hit, Unit(start, start + len(text), text, 1), position, 0.8)


def test_choose_opens_on_the_most_probable_and_adds_only_what_reaches_more():
    cands = [candidate(0, 0, "Créer des fonds de garantie."),
             candidate(1, 0, "Former les élus au microcrédit."),
             candidate(2, 0, "Soutenir les banques coopératives du territoire.")]
    assert choose(cands, np.array([0.2, 0.9, 0.5]), more=0.4) == [1, 2]
    assert choose(cands, np.array([0.2, 0.9, 0.5]), more=0.95) == [1]
    assert choose(cands, np.array([0.6, 0.9, 0.5]), more=0.1) == [1, 0, 2]


def test_choose_keeps_to_three_units_700_characters_and_no_repeat():
    long = "Créer " + "des fonds de garantie " * 32 + "."
    cands = [candidate(0, 0, "Former les élus au microcrédit."),
             candidate(1, 0, long),  # would pass MAX_CHARS
             candidate(0, 0, "Former les élus au microcrédit. Ils financeront."),  # overlaps
             candidate(2, 0, "Former les élus au microcrédit rural."),  # repeats the first
             candidate(3, 0, "Soutenir les banques coopératives."),
             candidate(4, 0, "Ouvrir des guichets dans les villages."),
             candidate(5, 0, "Mesurer les effets sur l'emploi.")]
    chosen = choose(cands, np.array([0.9, 0.8, 0.8, 0.8, 0.7, 0.6, 0.5]), more=0.1)
    assert chosen == [0, 4, 5]
    assert len(chosen) == MAX_UNITS
    assert sum(len(cands[c].unit.text) for c in chosen) <= MAX_CHARS


def test_two_units_of_one_passage_may_both_answer_if_they_do_not_overlap():
    cands = [candidate(0, 0, "Les coopératives manquent de capitaux."),
             candidate(0, 39, "Les fonds de garantie réduisent le risque.", 1)]
    assert choose(cands, np.array([0.9, 0.8]), more=0.5) == [0, 1]


class ByWords(Scripted):
    """A units model that believes the unit holding most of the question's rare words."""

    def probability(self, rows):
        return np.asarray(rows)[:, features.UNIT_FEATURES.index("held")]


def test_the_answer_is_verbatim_numbered_in_reading_order(searcher):
    answerer = Answerer(searcher, Models(ByWords(meta={"more_threshold": 0.3}),
                                         Scripted(0.9, meta={"threshold": 0.5})))
    answer = answerer.answer("microcrédit des femmes rurales et fonds de garantie")
    assert answer.answered and 1 <= len(answer.sentences) <= MAX_UNITS
    for s in answer.sentences:
        assert answer.hits[s.hit].passage.text[s.start:s.end] == s.text
        assert f"{s.text} [{s.marker}]" in answer.text()
    markers = [s.marker for s in answer.sentences]
    assert markers[0] == 1 and markers == sorted(markers)
    assert [h.rank for h in answer.hits] == list(range(1, len(answer.hits) + 1))
    # the unit holding most rare words opens: that sentence, or its short passage whole
    assert ("Le microcrédit aide les femmes rurales à créer leur activité."
            in answer.sentences[0].text)


def test_below_the_threshold_the_answer_says_so_and_keeps_the_passages(searcher):
    answerer = Answerer(searcher, Models(Scripted(0.9, meta={"more_threshold": 0.5}),
                                         Scripted(0.1, meta={"threshold": 0.5})))
    flagged = answerer.answer("fonds de garantie des coopératives")
    assert not flagged.answered and flagged.hits and flagged.text() == NO_ANSWER
    assert flagged.to_dict()["answered"] is False


def test_an_input_that_is_not_a_question_gets_an_invitation_and_no_passage(searcher):
    gate = Scripted(0.9, meta={"threshold": 0.5})
    answerer = Answerer(searcher, Models(Scripted(0.9, meta={"more_threshold": 0.5}), gate))
    for text in ("bonjour", "?", "le la les de du", "🙂", "   ", "Merci !"):
        answer = answerer.answer(text)
        assert not answer.answered and answer.hits == [] and answer.sentences == []
        assert answer.text() == NOT_A_QUESTION == answer.reason
        assert answer.to_dict()["reason"] == NOT_A_QUESTION
    assert gate.rows == []  # the models were never asked


def test_evidence_without_the_retrieval_is_the_evidence_with_it(searcher):
    answerer = Answerer(searcher)
    question = "Comment financer les reprises d'entreprises par les salariés ?"
    retrieval = searcher.retrieve(question, 5)
    with_it = answerer.evidence(question, retrieval.hits, retrieval)
    without = answerer.evidence(question, retrieval.hits)
    assert np.allclose(with_it.unit_rows, without.unit_rows)
    names = features.QUESTION_FEATURES
    # without the retrieval, the nearest cosines are the FAISS top 10, not the top 100
    same = [i for i, n in enumerate(names) if n != "cos_spread"]
    assert np.allclose(with_it.question_row[same], without.question_row[same])


def test_an_answer_embeds_nothing_but_the_question(searcher):
    answerer = Answerer(searcher)
    calls = []
    embed = searcher.embedder.embed_passages
    searcher.embedder.embed_passages = lambda texts, **kw: calls.append(list(texts)) or embed(
        texts, **kw)
    answerer.answer("Comment financer les reprises d'entreprises par les salariés ?")
    assert calls == []


def test_ingest_records_what_the_gate_reads(searcher):
    calibration = searcher.store.manifest["no_answer"]
    assert calibration["method"] == "learned-v1"
    assert calibration["background_questions"] == 150
    assert set(calibration["background"]) == {"fr", "es", "en", "pt"}
    for mean, std in calibration["background"].values():
        assert -1.0 <= mean <= 1.0 and std > 0
    assert searcher.store.background.shape == (150, 64)
    assert searcher.store.hubness.shape == (len(searcher.passages),)


def test_an_index_without_calibration_says_to_rebuild(searcher, tmp_path):
    searcher.store.manifest.pop("no_answer")
    with pytest.raises(IndexUnreadable, match="reconstruisez-le avec `ess ingest --rebuild`"):
        Answerer(searcher)
    assert store.load(tmp_path / "index").manifest["no_answer"]  # the file is untouched


def test_reasons_a_reader_can_use():
    assert reason("other", False, ["TVA", "Belgique"]) == \
        "Les documents ne mentionnent pas « TVA », « Belgique »."
    assert reason("number", False, []) == ("Aucun des passages les plus proches ne donne de "
                                           "chiffre.")
    assert reason("number", True, []) == "" == reason("manner", False, [])


def test_markdown_export_cites_every_passage_and_escapes_markup():
    text = "Créer des **fonds** <script>x</script>."
    hits = [Hit(1, 1.0, Passage("p1", "a.txt", "Feuille de route", "Finance", 2, 0, len(text),
                                text))]
    answer = Answer("Comment créer des fonds ?", hits, [Sentence(0, 0, len(text), text, 0.9)],
                    True)
    exported = answer.to_markdown()
    assert exported.startswith("# Comment créer des fonds ?\n\n## Réponse\n\n")
    assert "**[1]** Feuille de route › Finance › recommandation n° 2 — `a.txt:0-" in exported
    assert "\\*\\*fonds\\*\\*" in exported and "\\<script\\>" in exported
    assert "<script>" not in exported


def test_answer_text_of_an_empty_answer():
    assert Answer("?", [], [], False).text() == NO_ANSWER


def test_the_shipped_models_load_once():
    assert load_models() is load_models()
