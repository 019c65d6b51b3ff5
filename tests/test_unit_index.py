"""The answer units' vectors kept in the build (index.unit_index): made at ingest, reused
by an incremental ingest like the passages', read back exactly."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from conftest import FakeEmbedder
from index import store
from index.text import with_context
from index.unit_index import cut
from index.units import units
from ingest.build import build

LONG = ("## FINANCE\n\n"
        "Les coopératives manquent de capitaux propres. Elles dépendent souvent du crédit "
        "bancaire. Les fonds de garantie réduisent le risque pris par les banques. Ils "
        "permettent aussi de financer les reprises d'entreprises par leurs salariés.\n\n"
        "1. Créer des fonds de garantie.\n")


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.md").write_text(LONG, encoding="utf-8")
    (folder / "b.md").write_text("## GENRE\n\n1. Promouvoir le leadership féminin.\n",
                                 encoding="utf-8")
    return folder


def test_every_passage_has_its_units_with_their_vectors(corpus, tmp_path):
    embedder = FakeEmbedder()
    build(corpus, tmp_path / "index", embedder=embedder, show_progress=False)
    built = store.load(tmp_path / "index")
    assert built.manifest["units"]["count"] == len(built.units.vectors)
    passage_vectors = built.vectors.reconstruct_n(0, built.vectors.ntotal)
    several = 0
    for row, passage in enumerate(built.passages):
        found = built.units.of(row, passage.text)
        assert [(u.start, u.end, u.text) for u in found] == \
               [(u.start, u.end, u.text) for u in units(passage.text)]
        for offset, unit in enumerate(found):
            vector = np.asarray(built.units.vectors[built.units.offsets[row] + offset],
                                dtype=np.float32)
            whole = unit.start == 0 and unit.end == len(passage.text)
            expected = (passage_vectors[row] if whole else
                        embedder.embed_passages([with_context(passage.section, unit.text)])[0])
            assert np.allclose(vector, expected, atol=1e-3)  # float16 on disk
        several += len(found) > 1
    assert several == 1  # the long paragraph is cut in sentences; the items stay whole


def test_an_incremental_ingest_embeds_only_new_units(corpus, tmp_path):
    index_dir = tmp_path / "index"
    build(corpus, index_dir, embedder=FakeEmbedder(), show_progress=False)
    (corpus / "c.md").write_text(LONG.replace("FINANCE", "CRÉDIT").replace(
        "Créer des fonds de garantie.", "Former les élus au microcrédit."), encoding="utf-8")
    embedder = FakeEmbedder()
    report = build(corpus, index_dir, embedder=embedder, show_progress=False)
    built = store.load(index_dir)
    # c.md's paragraph has the same sentences under another section: read with the new
    # section, its 4 units and the passage are new; its item too; nothing of a.md or b.md.
    assert report.embedded == 2
    assert embedder.embedded == 2 + built.manifest["units"]["embedded"]
    assert built.manifest["units"]["embedded"] == 4


def test_an_index_of_the_previous_format_lends_its_passage_vectors(corpus, tmp_path):
    index_dir = tmp_path / "index"
    build(corpus, index_dir, embedder=FakeEmbedder(), show_progress=False)
    folder = store.current(index_dir)
    manifest = json.loads((folder / store.MANIFEST).read_text(encoding="utf-8"))
    manifest["format"] = store.FORMAT - 1  # as an index built before the units were kept
    (folder / store.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    for name in ("unit_vectors.npy", "unit_spans.npy", "unit_offsets.npy"):
        (folder / name).unlink()
    embedder = FakeEmbedder()
    report = build(corpus, index_dir, embedder=embedder, show_progress=False)
    assert report.written and report.embedded == 0  # written again, no passage embedded
    assert embedder.embedded == store.load(index_dir).manifest["units"]["embedded"] == 4


def test_damaged_units_are_a_clear_error(corpus, tmp_path):
    index_dir = tmp_path / "index"
    build(corpus, index_dir, embedder=FakeEmbedder(), show_progress=False)
    spans = store.current(index_dir) / "unit_spans.npy"
    shutil.copy(store.current(index_dir) / "unit_offsets.npy", spans)
    with pytest.raises(store.IndexUnreadable, match="les phrases de .* sont absentes ou "
                                                    "abîmées : reconstruisez-le"):
        store.load(index_dir)


def test_cut_keeps_offsets_and_marks_whole_passages():
    from index.records import Passage

    text = ("Les coopératives manquent de capitaux. Elles dépendent du crédit. Les fonds de "
            "garantie réduisent le risque des banques et ouvrent le crédit aux coopératives "
            "qui reprennent une entreprise, dans toutes les régions du pays et au-delà.")
    passages = [Passage("a", "a.md", "A", "Finance", None, 0, len(text), text),
                Passage("b", "b.md", "B", "", 1, 0, 16, "Créer des fonds.")]
    pieces = cut(passages)
    assert pieces.offsets.tolist()[0] == 0 and pieces.offsets[-1] == len(pieces.texts)
    assert pieces.owners.tolist() == [0] * int(pieces.offsets[1]) + [1]
    assert pieces.texts[-1] is None  # the item is its whole passage: its vector is reused
    first, joined = pieces.spans[0], pieces.spans[1]
    assert text[first[0]:first[1]] == "Les coopératives manquent de capitaux."
    assert text[joined[0]:joined[1]] == ("Les coopératives manquent de capitaux. Elles "
                                         "dépendent du crédit.")  # « Elles » needs the first
    assert joined[2] == 2  # sentences it joins
    assert pieces.texts[0] == with_context("Finance", text[first[0]:first[1]])
