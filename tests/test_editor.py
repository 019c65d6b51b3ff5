"""The editor secret: where it comes from, and the gate that checks it."""

import hmac

import pytest

from ess import editor
from index.errors import SettingError


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_no_secret_configured_means_none():
    assert editor.secret({}) is None
    assert editor.secret({"ESS_EDITOR_PASSWORD": ""}) is None


def test_the_variable_wins_over_the_file(tmp_path):
    named = tmp_path / "secret"
    named.write_text("du fichier\n", encoding="utf-8")
    assert editor.secret({"ESS_EDITOR_PASSWORD": "clé", "ESS_EDITOR_PASSWORD_FILE": str(named)}) \
        == "clé"
    assert editor.secret({"ESS_EDITOR_PASSWORD_FILE": str(named)}) == "du fichier"


def test_a_missing_or_empty_file_is_a_french_error_naming_it(tmp_path):
    with pytest.raises(SettingError, match="ESS_EDITOR_PASSWORD_FILE nomme .*absent"):
        editor.secret({"ESS_EDITOR_PASSWORD_FILE": str(tmp_path / "absent")})
    empty = tmp_path / "vide"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(SettingError, match="vide"):
        editor.secret({"ESS_EDITOR_PASSWORD_FILE": str(empty)})


def test_the_right_secret_opens_and_a_wrong_one_does_not():
    gate = editor.Gate("Solidaire 2026", clock=Clock())
    assert gate.check("Solidaire 2026").ok
    verdict = gate.check("solidaire 2026")
    assert not verdict.ok and verdict.message == "Mot de passe incorrect."


def test_failures_double_the_wait_and_refuse_even_the_right_secret_meanwhile():
    clock = Clock()
    gate = editor.Gate("bon", clock=clock)
    assert not gate.check("faux").ok           # wait 1 s
    refused = gate.check("bon")
    assert not refused.ok and refused.message == "Trop d'essais : réessayez dans 1 s."
    clock.now += 1
    assert not gate.check("faux").ok           # wait 2 s
    clock.now += 1
    assert "réessayez dans 1 s" in gate.check("bon").message
    clock.now += 1
    assert not gate.check("faux").ok           # wait 4 s
    assert "réessayez dans 4 s" in gate.check("bon").message
    clock.now += 4
    assert gate.check("bon").ok                # and success resets the count
    assert not gate.check("faux").ok
    assert "réessayez dans 1 s" in gate.check("bon").message


def test_the_wait_is_capped():
    clock = Clock()
    gate = editor.Gate("bon", clock=clock)
    for _ in range(30):
        gate.check("faux")
        clock.now += editor.MAX_WAIT_S
    assert gate._open_at - clock.now <= editor.MAX_WAIT_S


def test_the_comparison_is_constant_time(monkeypatch):
    compared = []
    real = hmac.compare_digest
    monkeypatch.setattr(editor.hmac, "compare_digest",
                        lambda a, b: compared.append((len(a), len(b))) or real(a, b))
    gate = editor.Gate("un secret assez long", clock=Clock())
    gate.check("x")
    assert compared == [(32, 32)]  # digests of equal length, whatever was typed
