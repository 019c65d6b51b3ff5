"""The answer composer (index.answer) and the no-answer gate (index.gate), with the fake
embedder; tests/test_answers_real.py runs them with the real model on the real corpus."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import FakeEmbedder
from index import store
from index.answer import MAX_CHARS, MAX_UNITS, NO_ANSWER, Answer, Answerer, compose
from index.errors import IndexUnreadable
from index.gate import Gate, asked_kinds
from index.lexical import LexicalIndex
from index.records import Hit, Passage
from index.search import Searcher
from ingest.build import build


def hit(rank, text, section="Finance", item=None, source="a.txt"):
    return Hit(rank, 1.0 / rank, Passage(f"p{rank}", source, "Feuille de route", section, item,
                                         0, len(text), text))


def check_verbatim_and_ordered(answer: Answer) -> None:
    """Every unit is its passage's text at its offsets; markers read 1, 2, 3 in order;
    the cited passages come first, numbered as cited."""
    for s in answer.sentences:
        assert answer.hits[s.hit].passage.text[s.start:s.end] == s.text
        assert f"{s.text} [{s.marker}]" in answer.text()
    markers = [s.marker for s in answer.sentences]
    assert markers == sorted(markers) and markers[:1] in ([], [1])
    assert sorted(set(markers)) == list(range(1, len(set(markers)) + 1))
    assert [h.rank for h in answer.hits] == list(range(1, len(answer.hits) + 1))


def test_the_best_unit_of_the_best_passage_comes_first():
    long = ("Les rencontres ont eu lieu à Genève, au siège de l'Organisation internationale du "
            "Travail, pendant deux jours de débats entre les réseaux. Il faut créer des fonds "
            "de garantie pour les coopératives. Les débats ont aussi porté sur le numérique et "
            "sur l'alimentation durable dans les territoires ruraux.")
    hits = [hit(1, long), hit(2, "Former les élus aux marchés publics.")]
    answer = compose("fonds de garantie pour les coopératives", hits, FakeEmbedder())
    assert answer.answered
    assert answer.sentences[0].text == ("Il faut créer des fonds de garantie pour les "
                                        "coopératives.")
    assert answer.text().startswith("Il faut créer des fonds de garantie pour les coopératives. "
                                    "[1]")
    start = long.index("Il faut")
    assert answer.highlights(0) == [(start, start + len(answer.sentences[0].text))]
    check_verbatim_and_ordered(answer)


def test_at_most_three_units_one_per_passage_short_and_in_reading_order():
    hits = [hit(i, f"Créer des fonds coopératifs numéro {i} pour les territoires.")
            for i in range(1, 6)]
    answer = compose("créer des fonds coopératifs", hits, FakeEmbedder())
    assert 1 <= len(answer.sentences) <= MAX_UNITS
    assert len({s.hit for s in answer.sentences}) == len(answer.sentences)
    assert len(" ".join(s.text for s in answer.sentences)) <= MAX_CHARS
    check_verbatim_and_ordered(answer)


def test_a_passage_that_answers_better_goes_first_and_the_numbering_follows():
    hits = [hit(1, "Les rencontres ont eu lieu à Genève en janvier."),
            hit(2, "Organiser des débats sur le numérique."),
            hit(3, "Créer des fonds de garantie pour les coopératives.")]
    answer = compose("fonds de garantie coopératives", hits, FakeEmbedder())
    assert answer.sentences[0].text == "Créer des fonds de garantie pour les coopératives."
    assert answer.sentences[0].marker == 1
    assert answer.hits[0].passage.id == "p3"  # the cited passage is now [1]
    assert [h.passage.id for h in answer.hits[1:]][-2:] in (["p1", "p2"], ["p2", "p1"]) or \
        answer.hits[1].passage.id in ("p1", "p2")
    check_verbatim_and_ordered(answer)


def test_no_verbless_fragment_and_no_orphan_reference_is_chosen():
    gender = ("Développer la formation et la rééducation à la coexistence au sein des "
              "organisations pour les différents genres, et pas seulement pour les femmes, dans "
              "toutes les régions. Reconnaissance de l'intersectionnalité des inégalités entre "
              "les sexes. Promouvoir le leadership féminin dans les associations, à tous les "
              "niveaux de responsabilité et dans tous les territoires du continent.")
    orphan = ("Promouvoir des relations de pouvoir avec les autres, où les personnes se "
              "motivent et s'inspirent mutuellement dans les organisations et les "
              "associations de tous les territoires du continent. Ces propositions peuvent être "
              "étendues à d'autres groupes sociaux qui ont souffert de la discrimination de genre.")
    hits = [hit(1, gender), hit(2, orphan)]
    answer = compose("intersectionnalité des inégalités entre les sexes ; discrimination de genre "
                     "des groupes sociaux", hits, FakeEmbedder())
    for s in answer.sentences:
        assert not s.text.startswith("Reconnaissance de l'intersectionnalité")
        assert not s.text.startswith("Ces propositions")
    check_verbatim_and_ordered(answer)


def test_no_answer_keeps_the_passages():
    hits = [hit(1, "Créer des fonds.")]
    answer = compose("TVA en Belgique", hits, FakeEmbedder(), answered=False)
    assert (answer.answered, answer.sentences, answer.hits) == (False, [], hits)
    assert answer.text() == NO_ANSWER


def test_markdown_export_cites_every_passage_and_escapes_markup():
    hits = [hit(1, "Créer des **fonds** <script>x</script>.", item=2)]
    answer = compose("Comment créer des fonds ?", hits, FakeEmbedder())
    exported = answer.to_markdown()
    assert exported.startswith("# Comment créer des fonds ?\n\n## Réponse\n\n")
    assert "**[1]** Feuille de route › Finance › recommandation n° 2 — `a.txt:0-" in exported
    assert "\\*\\*fonds\\*\\*" in exported and "\\<script\\>" in exported
    assert "<script>" not in exported


def test_answer_text_of_an_empty_answer():
    assert Answer("?", [], [], False).text() == NO_ANSWER


@pytest.mark.parametrize("question, kinds", [
    ("Quels sont les horaires d'ouverture de la mairie ?", ["time"]),
    ("Combien coûte l'adhésion annuelle ?", ["amount", "number"]),
    ("¿Cuántos trabajadores tiene la economía social?", ["number"]),
    ("When did the meetings take place?", ["date"]),
    ("Quanto custa a inscrição?", ["amount"]),
    ("Comment financer les coopératives ?", []),
])
def test_the_kind_of_answer_a_question_asks_for(question, kinds):
    assert asked_kinds(question) == kinds


def test_the_gate_checks_evidence_names_and_the_kind_of_answer():
    lexical = LexicalIndex.build(["Créer des fonds de garantie pour les coopératives en France.",
                                  "Les rencontres ont lieu en 2026 à Genève."])
    background = np.array([[0.0, 1.0]], dtype=np.float32)
    gate = Gate({"threshold": 0.5}, background, lexical)
    query = np.array([1.0, 0.0], dtype=np.float32)  # far from the background question
    nearest = ["Créer des fonds de garantie pour les coopératives en France."]
    assert gate.verdict("Comment financer les coopératives en France ?", query, 0.9, nearest)
    assert not gate.verdict("Comment financer les coopératives ?", query, 0.2, nearest)
    named = gate.verdict("Quel est le taux de TVA des coopératives en Belgique ?", query, 0.9,
                         nearest)
    assert not named and named.reason == "Les documents ne mentionnent pas « TVA », « Belgique »."
    typo = gate.verdict("Comment financer les coopératives en Frence ?", query, 0.9, nearest)
    assert typo  # one letter away from a word of the corpus: forgiven
    counted = gate.verdict("Combien de coopératives ont des fonds de garantie ?", query, 0.9,
                           nearest)
    assert not counted and counted.reason == ("Aucun des passages les plus proches ne donne de "
                                              "chiffre.")
    dated = gate.verdict("Quand ont lieu les rencontres ?", query, 0.9,
                         ["Les rencontres ont lieu en 2026 à Genève."])
    assert dated
    foreign = gate.verdict("¿Cuál es el IVA de las cooperativas en Bélgica?", query, 0.9, nearest)
    assert foreign  # names are checked in French questions only; the evidence decides


@pytest.fixture
def searcher(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("## FINANCE\n\n1. Créer des fonds de garantie pour les "
                                 "coopératives.\n2. Former les élus au microcrédit.\n",
                                 encoding="utf-8")
    build(corpus, tmp_path / "index", embedder=FakeEmbedder(), show_progress=False)
    return Searcher(tmp_path / "index", embedder=FakeEmbedder())


def test_ingest_records_a_calibrated_gate(searcher):
    calibration = searcher.store.manifest["no_answer"]
    assert calibration["method"] == "background-z-v2" and calibration["z"] == 1.25
    assert calibration["background_questions"] == 150
    assert -1.0 <= calibration["threshold"] <= 1.1
    assert searcher.store.background.shape == (150, 64)
    assert searcher.store.hubness.shape == (len(searcher.passages),)


def test_the_answerer_answers_above_the_threshold_and_not_below(searcher):
    answerer = Answerer(searcher)
    answerer.gate.threshold = -5.0
    answer = answerer.answer("fonds de garantie des coopératives")
    assert answer.answered and answer.sentences
    answerer.gate.threshold = 5.0  # above any evidence: nothing can answer
    flagged = answerer.answer("fonds de garantie des coopératives")
    assert not flagged.answered and flagged.hits and flagged.text() == NO_ANSWER
    assert not answerer.answer("   ").answered


def test_an_index_without_calibration_says_to_rebuild(searcher, tmp_path):
    searcher.store.manifest.pop("no_answer")
    with pytest.raises(IndexUnreadable, match="reconstruisez-le avec `ess ingest --rebuild`"):
        Answerer(searcher)
    assert store.load(tmp_path / "index").manifest["no_answer"]  # the file is untouched


def test_a_whole_passage_unit_reuses_the_stored_vector(searcher):
    answerer = Answerer(searcher)
    answerer.gate.threshold = -5.0
    calls = []
    embed = searcher.embedder.embed_passages
    searcher.embedder.embed_passages = lambda texts, **kw: calls.append(list(texts)) or embed(
        texts, **kw)
    answer = answerer.answer("fonds de garantie des coopératives", 2)
    assert answer.sentences  # both passages are one unit: nothing to embed again
    assert calls == []
