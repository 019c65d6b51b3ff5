"""The FAISS index follows the corpus size: exact, then HNSW, recorded in the manifest."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import FakeEmbedder
from ess.cli import main
from index import store, vectors
from index.search import Searcher
from ingest.build import build


def clustered(n: int, dim: int = 64, seed: int = 0) -> np.ndarray:
    """Unit vectors in 50 clusters, like embeddings of texts on a few topics."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((50, dim)).astype(np.float32)
    x = centres[rng.integers(0, 50, n)] + 0.5 * rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_hnsw_finds_what_exact_search_finds():
    data, queries = clustered(5000), clustered(100, seed=1)
    exact = vectors.build(data, vectors.VectorSettings("flat"))
    approximate = vectors.build(data, vectors.choose(5000, "hnsw"))
    _, truth = exact.search(queries, 10)
    _, found = approximate.search(queries, 100)
    recall = np.mean([len(set(found[i, :10]) & set(truth[i])) / 10 for i in range(100)])
    assert recall >= 0.95
    scores, rows = approximate.search(queries[:1], 5)
    assert np.allclose(scores[0], data[rows[0]] @ queries[0], atol=1e-3)  # still cosines


def test_settings_round_trip_and_old_manifests_are_flat():
    settings = vectors.choose(50_000)
    assert settings.kind == "hnsw"
    assert vectors.VectorSettings.from_dict(settings.to_dict()) == settings
    assert vectors.VectorSettings.from_dict(None).kind == "flat"
    assert vectors.VectorSettings.from_dict({"kind": "flat"}).to_dict() == {"kind": "flat"}
    with pytest.raises(ValueError, match="auto"):
        vectors.choose(10, "ivf")


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.md").write_text(
        "## FINANCE\n\n1. Créer des fonds de garantie.\n2. Former les élus au microcrédit.\n\n"
        "## GENRE\n\n1. Promouvoir le leadership féminin.\n", encoding="utf-8")
    return folder


def test_a_small_corpus_gets_exact_search_and_hnsw_on_demand(corpus, tmp_path):
    build(corpus, tmp_path / "auto", embedder=FakeEmbedder(), show_progress=False)
    assert store.load(tmp_path / "auto").manifest["vectors"] == {"kind": "flat"}
    build(corpus, tmp_path / "hnsw", embedder=FakeEmbedder(), show_progress=False,
          vector_kind="hnsw")
    loaded = store.load(tmp_path / "hnsw")
    assert loaded.manifest["vectors"] == {"kind": "hnsw", "m": 32, "ef_construction": 80,
                                          "ef_search": 128, "storage": "fp16"}
    assert loaded.vectors.hnsw.efSearch == 128  # applied at load
    exact = Searcher(tmp_path / "auto", embedder=FakeEmbedder())
    approximate = Searcher(tmp_path / "hnsw", embedder=FakeEmbedder())
    for query in ("fonds de garantie", "leadership féminin", "microcrédit"):
        assert ([h.passage.id for h in approximate.search(query, 3)]
                == [h.passage.id for h in exact.search(query, 3)])


def test_the_cli_option_switches_the_index_without_embedding_again(corpus, tmp_path,
                                                                   fake_model, capsys):
    index_dir = tmp_path / "index"
    assert main(["ingest", str(corpus), "--index", str(index_dir), "--quiet"]) == 0
    assert main(["ingest", str(corpus), "--index", str(index_dir), "--quiet",
                 "--vectors", "hnsw"]) == 0
    assert "dont 0 calculé" in capsys.readouterr().out
    manifest = json.loads((store.current(index_dir) / "manifest.json").read_text("utf-8"))
    assert manifest["vectors"]["kind"] == "hnsw"
    with pytest.raises(SystemExit) as refused:
        main(["ingest", str(corpus), "--index", str(index_dir), "--vectors", "ivf"])
    assert refused.value.code == 2
    assert "choix invalide : 'ivf'" in capsys.readouterr().err
