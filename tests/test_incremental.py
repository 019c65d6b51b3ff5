"""Incremental ingest: only new or changed passages are embedded, the result equals a
full rebuild, and an unchanged corpus leaves the index as it is."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import FakeEmbedder
from ess.cli import main
from index import store
from ingest.build import build


def write(folder, name, text):
    (folder / name).write_text(text, encoding="utf-8")


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    write(folder, "a.md", "## FINANCE\n\n1. Créer des fonds de garantie.\n2. Former les élus.\n")
    write(folder, "b.md", "## GENRE\n\n1. Promouvoir le leadership féminin.\n")
    write(folder, "c.md", "## NUMÉRIQUE\n\n1. Lutter contre la fracture numérique.\n")
    return folder


def contents(index_dir):
    built = store.load(index_dir)
    vectors = built.vectors.reconstruct_n(0, built.vectors.ntotal)
    return (built.passages, vectors, built.manifest["files"], built.themes.assignments,
            built.manifest["no_answer"])


def test_an_incremental_ingest_equals_a_full_rebuild(corpus, tmp_path):
    step = tmp_path / "step"
    build(corpus, step, embedder=FakeEmbedder(), show_progress=False)
    write(corpus, "d.md", "## SANTÉ\n\n1. Professionnaliser les soins.\n")  # added
    write(corpus, "a.md", "## FINANCE\n\n1. Créer des fonds de garantie.\n2. Former les élus "
                          "au microcrédit.\n")  # modified
    (corpus / "c.md").unlink()  # deleted
    embedder = FakeEmbedder()
    report = build(corpus, step, embedder=embedder, show_progress=False)
    assert report.changes.summary() == "1 ajouté, 1 modifié, 1 supprimé, 1 inchangé"
    assert report.embedded == embedder.embedded == 2  # the changed item and the new file
    build(corpus, tmp_path / "full", embedder=FakeEmbedder(), show_progress=False, rebuild=True)
    (p1, v1, f1, t1, n1), (p2, v2, f2, t2, n2) = contents(step), contents(tmp_path / "full")
    assert (p1, f1, t1, n1) == (p2, f2, t2, n2)
    assert np.allclose(v1, v2)


def test_an_unchanged_corpus_leaves_the_index_as_it_is(corpus, tmp_path):
    index_dir = tmp_path / "index"
    build(corpus, index_dir, embedder=FakeEmbedder(), show_progress=False)
    before = (index_dir / "CURRENT").read_text(encoding="utf-8")
    embedder = FakeEmbedder()
    report = build(corpus, index_dir, embedder=embedder, show_progress=False)
    assert not report.written and embedder.embedded == 0
    assert report.changes.summary() == "0 ajouté, 0 modifié, 0 supprimé, 3 inchangés"
    assert (index_dir / "CURRENT").read_text(encoding="utf-8") == before


def test_new_titles_or_themes_rebuild_without_embedding_again(corpus, tmp_path):
    index_dir = tmp_path / "index"
    build(corpus, index_dir, embedder=FakeEmbedder(), show_progress=False)
    write(corpus, "README.md", "| Fichier | Titre |\n| --- | --- |\n| `a.md` | Rapport A |\n")
    embedder = FakeEmbedder()
    report = build(corpus, index_dir, embedder=embedder, show_progress=False)
    assert report.written and embedder.embedded == 0
    assert {p.title for p in store.load(index_dir).passages if p.source == "a.md"} == \
        {"Rapport A"}


def test_another_model_or_rebuild_embeds_everything(corpus, tmp_path):
    index_dir = tmp_path / "index"
    build(corpus, index_dir, embedder=FakeEmbedder(), show_progress=False)
    other = FakeEmbedder(name="other")
    report = build(corpus, index_dir, embedder=other, show_progress=False)
    assert report.changes is None and other.embedded == 4
    again = FakeEmbedder(name="other")
    assert build(corpus, index_dir, embedder=again, show_progress=False,
                 rebuild=True).changes is None
    assert again.embedded == 4


def test_cli_reports_what_it_did(corpus, tmp_path, capsys, fake_model):
    index_dir = str(tmp_path / "index")
    assert main(["ingest", str(corpus), "--index", index_dir, "--quiet"]) == 0
    assert capsys.readouterr().out.startswith("3 fichiers, 4 passages indexés en ")
    assert main(["ingest", str(corpus), "--index", index_dir, "--quiet"]) == 0
    assert capsys.readouterr().out.startswith(
        "Index à jour (0 ajouté, 0 modifié, 0 supprimé, 3 inchangés) en ")
    write(corpus, "d.md", "1. Planter des arbres.\n")
    assert main(["ingest", str(corpus), "--index", index_dir, "--quiet"]) == 0
    assert capsys.readouterr().out.startswith(
        "1 ajouté, 0 modifié, 0 supprimé, 3 inchangés ; 5 passages dont 1 calculé en ")
    assert main(["ingest", str(corpus), "--index", index_dir, "--quiet", "--rebuild"]) == 0
    assert capsys.readouterr().out.startswith("4 fichiers, 5 passages indexés en ")


def test_a_text_repeated_across_files_is_embedded_once(corpus, tmp_path):
    write(corpus, "d.md", "## FINANCE\n\n1. Créer des fonds de garantie.\n")  # as in a.md
    embedder = FakeEmbedder()
    report = build(corpus, tmp_path / "index", embedder=embedder, show_progress=False)
    assert report.passages == 5 and report.embedded == embedder.embedded == 4
    built = store.load(tmp_path / "index")
    rows = [i for i, p in enumerate(built.passages) if p.text == "Créer des fonds de garantie."]
    assert len(rows) == 2 and {built.passages[i].source for i in rows} == {"a.md", "d.md"}
    vectors = built.vectors.reconstruct_n(0, built.vectors.ntotal)
    assert np.array_equal(vectors[rows[0]], vectors[rows[1]])


def test_a_renamed_file_keeps_its_vectors(corpus, tmp_path):
    index_dir = tmp_path / "index"
    build(corpus, index_dir, embedder=FakeEmbedder(), show_progress=False)
    (corpus / "b.md").rename(corpus / "genre.md")
    embedder = FakeEmbedder()
    report = build(corpus, index_dir, embedder=embedder, show_progress=False)
    assert report.changes.summary() == "1 ajouté, 0 modifié, 1 supprimé, 2 inchangés"
    assert report.embedded == embedder.embedded == 0


def test_a_build_reports_the_seconds_of_each_stage(corpus, tmp_path):
    report = build(corpus, tmp_path / "index", embedder=FakeEmbedder(), show_progress=False)
    assert list(report.stages) == ["read", "split", "load_model", "embed", "embed_units",
                                   "lexical", "calibrate", "themes", "write"]
    assert all(seconds >= 0 for seconds in report.stages.values())
