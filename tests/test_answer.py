"""The answer composer and the no-answer calibration (index.answer), with the fake embedder."""

from __future__ import annotations

import pytest

from conftest import FakeEmbedder
from index import store
from index.answer import NO_ANSWER, Answer, Answerer, compose, sentences
from index.errors import IndexUnreadable
from index.records import Hit, Passage
from index.search import Searcher
from ingest.build import build


def hit(rank, text, section="Finance", item=None, source="a.txt"):
    return Hit(rank, 1.0 / rank, Passage(f"p{rank}", source, "Feuille de route", section, item,
                                         0, len(text), text))


def test_sentences_split_on_ends_not_on_abbreviations():
    text = "Selon M. Dupont, il faut agir. L'art. 3 le prévoit ! Et ensuite ? Oui… Fin"
    assert [text[a:b] for a, b in sentences(text)] == [
        "Selon M. Dupont, il faut agir.", "L'art. 3 le prévoit !", "Et ensuite ?", "Oui…", "Fin"]


def test_the_best_sentence_is_chosen_not_the_first_one():
    hits = [hit(1, "Les rencontres ont eu lieu à Genève. Il faut créer des fonds de garantie "
                   "pour les coopératives."),
            hit(2, "Former les élus aux marchés publics.")]
    answer = compose("fonds de garantie pour les coopératives", hits, FakeEmbedder())
    assert answer.answered
    assert answer.sentences[0].text == ("Il faut créer des fonds de garantie pour les "
                                        "coopératives.")
    assert answer.text().startswith("Il faut créer des fonds de garantie pour les coopératives. "
                                    "[1]")
    assert answer.highlights(0) == [(37, 95)]
    assert answer.highlights(1) == [] or answer.sentences[1].hit == 1


def test_at_most_three_sentences_one_per_passage_with_markers_to_their_passages():
    hits = [hit(i, f"Créer des fonds coopératifs numéro {i}. Créer des fonds coopératifs bis {i}.")
            for i in range(1, 6)]
    answer = compose("créer des fonds coopératifs", hits, FakeEmbedder(), from_top=5)
    assert 1 <= len(answer.sentences) <= 3
    assert len({s.hit for s in answer.sentences}) == len(answer.sentences)
    for s in answer.sentences:
        assert f"{s.text} [{s.marker}]" in answer.text()
        assert hits[s.hit].passage.text[s.start:s.end] == s.text


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


@pytest.fixture
def searcher(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("## FINANCE\n\n1. Créer des fonds de garantie pour les "
                                 "coopératives.\n2. Former les élus au microcrédit.\n",
                                 encoding="utf-8")
    build(corpus, tmp_path / "index", embedder=FakeEmbedder(), show_progress=False)
    return Searcher(tmp_path / "index", embedder=FakeEmbedder())


def test_ingest_records_a_calibrated_threshold(searcher):
    calibration = searcher.store.manifest["no_answer"]
    assert calibration["background_questions"] == 100
    assert calibration["quantile"] == 0.9 and calibration["coverage_weight"] == 0.02
    assert -1.0 <= calibration["threshold"] <= 1.02


def test_the_answerer_answers_above_the_threshold_and_not_below(searcher):
    answerer = Answerer(searcher)
    answerer.threshold = 0.5
    assert answerer.answer("fonds de garantie des coopératives").answered
    answerer.threshold = 1.5  # above any cosine: nothing can answer
    flagged = answerer.answer("fonds de garantie des coopératives")
    assert not flagged.answered and flagged.hits
    assert not answerer.answer("   ").answered


def test_an_index_without_calibration_says_to_rebuild(searcher, tmp_path):
    searcher.store.manifest.pop("no_answer")
    with pytest.raises(IndexUnreadable, match="reconstruisez-le avec `ess ingest --rebuild`"):
        Answerer(searcher)
    assert store.load(tmp_path / "index").manifest["no_answer"]  # the file is untouched


def test_answer_text_of_an_empty_answer():
    assert Answer("?", [], [], False).text() == NO_ANSWER


def test_a_whole_passage_sentence_reuses_the_stored_vector(searcher):
    answerer = Answerer(searcher)
    calls = []
    embed = searcher.embedder.embed_passages
    searcher.embedder.embed_passages = lambda texts, **kw: calls.append(list(texts)) or embed(
        texts, **kw)
    answer = answerer.answer("fonds de garantie des coopératives", 2)
    assert answer.sentences  # both passages are one sentence: nothing to embed again
    assert calls == []
