"""The optional cross-encoder reranker (index.rerank): the Searcher's hook, a tiny
cross-encoder built here (2 layers, 32 dimensions, a vocabulary of the test's words) so
that no model is downloaded, `--reranker` on the command line and ESS_RERANKER."""

from __future__ import annotations

import json
import re
import socket
import unicodedata

import pytest

from conftest import FakeEmbedder
from ess.cli import main
from index.errors import ModelUnavailable
from index.rerank import DEPTH, load_reranker
from index.search import Searcher
from ingest.build import build

RECOMMENDATIONS = [
    "Créer un fonds de garantie pour les coopératives.",
    "Former les élus au financement solidaire des coopératives.",
    "Ouvrir les marchés publics aux entreprises de l'économie sociale.",
    "Financer les coopératives par l'épargne salariale.",
    "Soutenir les banques coopératives dans les territoires.",
    "Créer des emplois durables dans les coopératives rurales.",
]
QUERY = "Comment financer les coopératives ?"


@pytest.fixture(autouse=True)
def no_env(monkeypatch):
    for name in ("ESS_INDEX", "ESS_MODEL", "ESS_RERANKER"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    items = "\n".join(f"{n}. {text}" for n, text in enumerate(RECOMMENDATIONS, 1))
    (folder / "feuille.md").write_text(f"# Feuille de route\n\n## FINANCE\n\n{items}\n",
                                       encoding="utf-8")
    return folder


@pytest.fixture
def index_dir(corpus, tmp_path):
    folder = tmp_path / "index"
    build(corpus, folder, embedder=FakeEmbedder(), show_progress=False)
    return folder


def tiny_cross_encoder(folder, num_labels=1):
    """A randomly initialised BERT cross-encoder (seeded: its scores are fixed), saved as
    a model folder that sentence-transformers' CrossEncoder loads."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    folded = unicodedata.normalize("NFKD", " ".join(RECOMMENDATIONS + [QUERY, "Finance"]))
    words = sorted(set(re.findall(r"[a-z]+", folded.lower())))
    folder.mkdir()
    (folder / "vocab.txt").write_text(
        "\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]) + "\n",
        encoding="utf-8")
    (folder / "tokenizer_config.json").write_text(
        json.dumps({"tokenizer_class": "BertTokenizer", "do_lower_case": True}),
        encoding="utf-8")
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(words) + 5, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, num_labels=num_labels,
                        max_position_embeddings=128, initializer_range=0.5)
    BertForSequenceClassification(config).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def cross_encoder(tmp_path_factory):
    pytest.importorskip("sentence_transformers", reason="the st extra installs it")
    return tiny_cross_encoder(tmp_path_factory.mktemp("ce") / "tiny-reranker")


class Reverse:
    """A reranker that puts the first stage's order upside down and notes what it saw."""

    depth = 3

    def __init__(self):
        self.seen = []

    def rerank(self, query, hits, k):
        from index.rerank import reorder

        self.seen.append((query, [h.passage.id for h in hits]))
        return reorder(hits, [float(h.rank) for h in hits], k)


def test_the_searcher_hands_its_best_candidates_to_the_reranker(index_dir):
    reverse = Reverse()
    first = Searcher(index_dir, embedder=FakeEmbedder(), reranker=None).search(QUERY, 6)
    searcher = Searcher(index_dir, embedder=FakeEmbedder(), reranker=reverse)
    hits = searcher.search(f"  {QUERY} ", 2)
    assert reverse.seen == [(QUERY, [h.passage.id for h in first[:3]])]  # depth 3, not k 2
    assert [(h.rank, h.passage.id) for h in hits] == [(1, first[2].passage.id),
                                                       (2, first[1].passage.id)]
    assert [h.score for h in hits] == [3.0, 2.0]
    assert len(searcher.search(QUERY, 5)) == 5  # more asked than its depth: all of them
    assert len(reverse.seen[-1][1]) == 5
    assert searcher.search("  ", 5) == [] and len(reverse.seen) == 2


def test_a_cross_encoder_reorders_the_hits_by_its_scores(index_dir, cross_encoder):
    from sentence_transformers import CrossEncoder

    reranker = load_reranker(str(cross_encoder))
    assert reranker.depth == DEPTH == 30
    first = Searcher(index_dir, embedder=FakeEmbedder()).search(QUERY, 6)
    hits = Searcher(index_dir, embedder=FakeEmbedder(), reranker=reranker).search(QUERY, 6)
    model = CrossEncoder(str(cross_encoder), device="cpu")
    alone = {h.passage.id: float(model.predict([(QUERY, f"Finance : {h.passage.text}")])[0])
             for h in first}  # each pair scored on its own: the section path, then the text
    assert [h.passage.id for h in hits] == sorted(alone, key=lambda pid: -alone[pid])
    assert [h.passage.id for h in hits] != [h.passage.id for h in first]
    assert all(abs(h.score - alone[h.passage.id]) < 1e-5 for h in hits)
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5, 6]


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def cli_index(corpus, tmp_path, fake_model, capsys):
    folder = tmp_path / "cli-index"
    assert run(capsys, "ingest", corpus, "--index", folder, "--model", "fake", "--quiet")[0] == 0
    return folder


def test_cli_search_answer_and_eval_take_a_reranker(cli_index, cross_encoder, capsys, tmp_path):
    reranked = Searcher(cli_index, embedder=FakeEmbedder(),
                        reranker=load_reranker(str(cross_encoder)))
    expected = [h.passage.id for h in reranked.search(QUERY, 4)]
    code, out, err = run(capsys, "search", QUERY, "--index", cli_index, "-k", 4, "--json",
                         "--reranker", cross_encoder)
    assert (code, err) == (0, "")
    assert [r["id"] for r in json.loads(out)["results"]] == expected
    plain = json.loads(run(capsys, "search", QUERY, "--index", cli_index, "-k", 4,
                           "--json")[1])
    assert [r["id"] for r in plain["results"]] != expected

    code, out, _ = run(capsys, "answer", QUERY, "--index", cli_index, "-k", 2, "--json",
                       "--reranker", cross_encoder)  # the answer is drawn from the reranked 2
    assert code == 0 and {r["id"] for r in json.loads(out)["results"]} == set(expected[:2])

    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": "q1", "question": QUERY, "kind": "fact",
                                     "gold": [RECOMMENDATIONS[3]]}) + "\n", encoding="utf-8")
    code, out, _ = run(capsys, "eval", questions, "--index", cli_index, "--json",
                       "--reranker", cross_encoder)
    ranks = {h.passage.text: h.rank for h in reranked.search(QUERY, 10)}
    plain_ranks = {h["text"]: h["rank"] for h in json.loads(run(
        capsys, "search", QUERY, "--index", cli_index, "-k", 10, "--json")[1])["results"]}
    assert ranks[RECOMMENDATIONS[3]] != plain_ranks[RECOMMENDATIONS[3]]
    assert code == 0 and json.loads(out)["mrr_at_10"] == pytest.approx(
        1 / ranks[RECOMMENDATIONS[3]])


LOAD_ERROR = ("Erreur : impossible de charger le reranker {name!r} : indiquez le dossier d'un "
              "cross-encoder sentence-transformers, ou le nom d'un cross-encoder déjà présent "
              "dans le cache Hugging Face local (ESS_ONLINE=1 autorise un téléchargement), ou "
              "cherchez sans reranker (ni --reranker ni ESS_RERANKER)\n")  # no class name


@pytest.mark.parametrize("name", ["nobody/no-such-reranker", "/no/such/folder"])
def test_cli_a_missing_reranker_says_what_to_do_without_going_online(
        name, cli_index, capsys, monkeypatch):
    pytest.importorskip("sentence_transformers", reason="the st extra installs it")
    attempts = []

    def refuse(sock, address):
        attempts.append(address)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    code, out, err = run(capsys, "search", QUERY, "--index", cli_index, "--reranker", name)
    assert (code, out) == (1, "")
    assert err == LOAD_ERROR.format(name=name)
    assert "Traceback" not in err and attempts == []


def test_a_model_with_two_outputs_is_not_taken_for_a_reranker(tmp_path, index_dir):
    pytest.importorskip("sentence_transformers", reason="the st extra installs it")
    folder = tiny_cross_encoder(tmp_path / "nli", num_labels=2)
    with pytest.raises(ModelUnavailable) as caught:
        load_reranker(str(folder))
    assert str(caught.value) == (
        f"le modèle {str(folder)!r} donne 2 scores par paire : un reranker n'en donne qu'un "
        "(un cross-encoder de pertinence, comme ceux de MS MARCO) ; indiquez-en un autre, ou "
        "cherchez sans reranker")


def test_ess_reranker_sets_the_reranker_of_every_searcher(index_dir, cross_encoder,
                                                          monkeypatch):
    monkeypatch.setenv("ESS_RERANKER", str(cross_encoder))
    assert Searcher(index_dir, embedder=FakeEmbedder()).reranker.name == str(cross_encoder)
    monkeypatch.setenv("ESS_RERANKER", "off")
    assert Searcher(index_dir, embedder=FakeEmbedder()).reranker is None
    monkeypatch.setenv("ESS_RERANKER", str(index_dir / "absent"))
    with pytest.raises(ModelUnavailable, match=r"^impossible de charger le reranker "):
        _ = Searcher(index_dir, embedder=FakeEmbedder()).reranker  # loaded when first needed
