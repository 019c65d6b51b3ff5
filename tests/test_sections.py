"""Section evidence: centroids written with the build, read back, and weighed in the fusion."""

from __future__ import annotations

import numpy as np

from index import sections, store
from index.fusion import FusionConfig, fuse
from index.search import Searcher
from ingest.build import build

REPORT = """# Rapport

## FINANCE SOLIDAIRE

1. Créer des fonds de garantie pour les coopératives.

2. Ouvrir des banques coopératives dans chaque région.

3. Former les élus au microcrédit et aux fonds solidaires.

## ÉGALITÉ

1. Promouvoir le leadership féminin dans les coopératives.
"""


def test_the_build_keeps_one_centroid_per_section(tmp_path, fake_model):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "rapport.md").write_text(REPORT, encoding="utf-8")
    (corpus / "notes.txt").write_text("Une note sans titre sur les coopératives.\n",
                                      encoding="utf-8")
    build(corpus, tmp_path / "index", show_progress=False)
    built = store.load(tmp_path / "index")
    centroids, members = built.sections
    assert centroids.shape == (2, 64) and len(members) == len(built.passages) == 5
    by_section = {p.section: int(m) for p, m in zip(built.passages, members, strict=True)}
    assert by_section[""] == -1  # the untitled note has no section
    finance = [row for row, p in enumerate(built.passages) if p.section == "Finance solidaire"]
    vectors = built.vectors.reconstruct_n(0, built.vectors.ntotal)
    assert np.allclose(centroids[members[finance[0]]], vectors[finance].mean(axis=0), atol=1e-6)
    assert built.manifest["fusion"]["section_weight"] == FusionConfig().section_weight


def test_a_question_about_a_section_lifts_its_passages(tmp_path, fake_model):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "rapport.md").write_text(REPORT, encoding="utf-8")
    build(corpus, tmp_path / "index", show_progress=False)
    searcher = Searcher(tmp_path / "index")
    question = "coopératives fonds banques microcrédit"
    weighed = [h.passage.section for h in searcher.search(question, 4)]
    assert weighed[:3] == ["Finance solidaire"] * 3
    query = searcher.query_vector(question)
    rows = np.arange(4)
    evidence = sections.evidence(*searcher.store.sections, query, rows)
    assert evidence.max() == 1.0 and evidence.min() == 0.0  # finance highest, égalité lowest


def test_fusion_adds_the_weighed_section_evidence():
    dense = {0: 0.90, 1: 0.89}
    lexical = np.zeros(2, dtype=np.float32)
    plain = fuse(dense, lexical, 1.0, FusionConfig(section_weight=1.0))
    lifted = fuse(dense, lexical, 1.0, FusionConfig(section_weight=1.0),
                  np.array([0.0, 1.0], dtype=np.float32))
    assert [row for row, _ in plain] == [0, 1] and [row for row, _ in lifted] == [1, 0]
    assert all(0 <= score <= 1 for _, score in lifted)  # the fused score stays in [0, 1]


def test_a_build_without_sections_files_still_loads_and_searches(tmp_path, fake_model):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "rapport.md").write_text(REPORT, encoding="utf-8")
    build(corpus, tmp_path / "index", show_progress=False)
    folder = store.current(tmp_path / "index")
    (folder / sections.CENTROIDS).unlink()
    (folder / sections.MEMBERS).unlink()
    searcher = Searcher(tmp_path / "index")
    assert searcher.store.sections is None
    assert searcher.search("fonds de garantie", 1)[0].passage.item == 1
