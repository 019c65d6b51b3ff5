"""`ess eval --no-answers`: the search measured alone, no answer composed (an answer has
the model read its sentences, which takes long with a large model)."""

from __future__ import annotations

import json

from ess.cli import main


def test_eval_without_answers_reports_the_search_alone(tmp_path, fake_model, capsys):
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "feuille.txt").write_text(
        "## FINANCE SOLIDAIRE\n\n1. Créer des fonds d'investissement dédiés aux coopératives.\n"
        "2. Former les opérateurs bancaires aux spécificités de l'ESS.\n", encoding="utf-8")
    index = tmp_path / "index"
    assert main(["ingest", str(tmp_path / "corpus"), "--index", str(index), "--model", "fake",
                 "--quiet"]) == 0
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": "f1", "question": "opérateurs bancaires",
                                     "gold": ["former les opérateurs"]}) + "\n",
                         encoding="utf-8")
    capsys.readouterr()
    assert main(["eval", str(questions), "--index", str(index), "--no-answers"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:5] == ["mode               hybrid", "questions          1 (1 fait, 0 thème)",
                         "hit@1              1,000", "hit@5              1,000",
                         "MRR@10             1,000"]
    assert lines[5].startswith("passages ") and lines[6].startswith("latence ")
    assert len(lines) == 7  # no answer accuracy, no answer latency
    assert main(["eval", str(questions), "--index", str(index), "--no-answers", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["answer_accuracy"], report["answered"], report["answer_latency_median_ms"]) \
        == (None, None, None)
    assert main(["eval", str(questions), "--index", str(index), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["answered"] is not None
