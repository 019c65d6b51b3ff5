"""Input that asks nothing (« bonjour », « ? », « le la les ») gets the same French
invitation to ask a full question in the three front ends, never passages dressed as
an answer; with the real model on the real corpus."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from answer.gate import NOT_A_QUESTION
from ess.cli import main

INPUTS = ["bonjour", "?", "le la les de du", "Merci !", "🙂"]


@pytest.mark.parametrize("text", INPUTS)
def test_the_command_line_invites_a_question(real_index, capsys, text):
    assert main(["answer", text, "--index", str(real_index), "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer == {"question": text, "answered": False, "answer": NOT_A_QUESTION,
                      "reason": NOT_A_QUESTION, "sentences": [], "results": []}
    assert main(["answer", text, "--index", str(real_index)]) == 0
    assert " ".join(capsys.readouterr().out.split()) == NOT_A_QUESTION  # wrapped to the terminal


def test_the_command_line_reads_greetings_from_standard_input_too(real_index, capsys,
                                                                  monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("bonjour\nComment financer les "
                                                 "coopératives ?\n"))
    assert main(["answer", "--index", str(real_index), "--json"]) == 0
    first, second = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert first["answered"] is False and first["results"] == []
    assert second["answered"] is True and second["results"]


def test_the_api_invites_a_question(real_index):
    import ess.api

    with TestClient(ess.api.create_app(real_index)) as client:
        for text in INPUTS:
            body = client.get("/answer", params={"q": text}).json()
            assert body["answered"] is False and body["results"] == []
            assert body["reason"] == NOT_A_QUESTION == body["answer"]


def test_the_page_invites_a_question(monkeypatch, real_index):
    from streamlit.testing.v1 import AppTest

    from conftest import ROOT

    monkeypatch.setenv("ESS_INDEX", str(real_index))
    monkeypatch.delenv("ESS_EDITOR_PASSWORD", raising=False)
    monkeypatch.delenv("ESS_EDITOR_PASSWORD_FILE", raising=False)
    app = AppTest.from_file(str(ROOT / "ess" / "page.py"), default_timeout=120)
    app.run()
    app.text_input(key="question").input("bonjour")
    app.button[0].click()
    app.run()
    assert not app.exception
    assert [i.value for i in app.info] == [NOT_A_QUESTION]
    assert not [m for m in app.markdown if m.value.startswith('<div class="ess-card"')]
    assert "Réponse" not in [h.value for h in app.header]
