"""The engine every front end calls (ess.engine): it follows the current build, loads a
model only when a question needs it, and answers with the page's filters."""

from __future__ import annotations

import pytest

from conftest import FakeEmbedder
from ess.engine import CANDIDATES, Engine
from ingest.build import build

FINANCE = """# Finance solidaire

1. Créer des fonds de garantie pour les coopératives.
2. Former les élus locaux au microcrédit.
"""
GENDER = """# Égalité

1. Soutenir les projets productifs des organisations de femmes.
"""


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "finance.md").write_text(FINANCE, encoding="utf-8")
    return folder


def built(corpus, index, embedder=None):
    build(corpus, index, embedder=embedder or FakeEmbedder(), show_progress=False)
    return index


def test_listing_themes_and_related_passages_loads_no_model(corpus, tmp_path):
    index = built(corpus, tmp_path / "index")
    engine = Engine(index)  # the manifest names « fake », a model no loader knows
    themes = engine.themes  # the bundled catalogue, assigned at ingest
    assert set(themes.counts()) == {t.id for t in themes.themes}
    first = engine.searcher.passages[0]
    assert [r.hit.passage.id for r in engine.related(first.id, 1)] != [first.id]
    assert engine.searcher._embedder is None  # nothing loaded the model
    assert engine.health().to_dict() == {"status": "ok", "build": engine.build,
                                         "passages": 2, "model": "fake"}


def test_a_new_build_is_picked_up_at_the_next_call(corpus, tmp_path):
    index = built(corpus, tmp_path / "index")
    engine = Engine(index, embedder=FakeEmbedder())
    before, searcher = engine.build, engine.searcher
    assert engine.searcher is searcher  # loaded once while the build stays current
    (corpus / "egalite.md").write_text(GENDER, encoding="utf-8")
    built(corpus, index)
    assert engine.build != before and engine.searcher is not searcher
    assert len(engine.searcher.passages) == 3
    assert any("femmes" in h.passage.text for h in engine.search("organisations de femmes"))


def test_the_answer_keeps_to_the_documents_chosen(corpus, tmp_path):
    (corpus / "egalite.md").write_text(GENDER, encoding="utf-8")
    engine = Engine(built(corpus, tmp_path / "index"), embedder=FakeEmbedder())
    retrieval = engine.retrieve("fonds de garantie des coopératives", CANDIDATES)
    titles = {h.passage.title for h in retrieval.hits}
    assert titles == {"Finance solidaire", "Égalité"}
    answer = engine.answer("fonds de garantie des coopératives", 5, retrieval=retrieval,
                           documents=["Égalité"])
    assert {h.passage.title for h in answer.hits} == {"Égalité"}
    assert [h.rank for h in answer.hits] == list(range(1, len(answer.hits) + 1))


def test_a_source_is_read_once_per_version_and_none_once_gone(corpus, tmp_path):
    engine = Engine(built(corpus, tmp_path / "index"), embedder=FakeEmbedder())
    passage = engine.searcher.passages[0]
    assert engine.source_text(passage) == FINANCE
    assert engine.source_text(passage) is engine.source_text(passage)  # cached
    (corpus / "finance.md").write_text(FINANCE + "\n3. Une nouvelle idée.\n", encoding="utf-8")
    assert engine.source_text(passage).endswith("Une nouvelle idée.\n")  # a new version
    (corpus / "finance.md").unlink()
    assert engine.source_text(passage) is None
