"""The editor secret: where it comes from, and the throttle that checks it."""

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


ME = editor.Client("203.0.113.7", "onglet-1")  # an editor's browser tab
OTHER = editor.Client("198.51.100.20", "onglet-2")  # another editor, elsewhere


def test_the_right_secret_opens_and_a_wrong_one_does_not():
    throttle = editor.Throttle("Solidaire 2026", clock=Clock())
    assert throttle.check("Solidaire 2026", ME).ok
    attempt = throttle.check("solidaire 2026", ME)
    assert attempt == (False, "Mot de passe incorrect : réessayez dans 1 s.")


def test_failures_double_the_wait_and_refuse_even_the_right_secret_meanwhile():
    clock = Clock()
    throttle = editor.Throttle("bon", clock=clock)
    assert throttle.check("faux", ME).message == "Mot de passe incorrect : réessayez dans 1 s."
    refused = throttle.check("bon", ME)
    assert refused == (False, "Trop d'essais : réessayez dans 1 s.")
    clock.now += 1
    assert throttle.check("faux", ME).message == "Mot de passe incorrect : réessayez dans 2 s."
    clock.now += 1
    assert throttle.check("bon", ME).message == "Trop d'essais : réessayez dans 1 s."
    clock.now += 1
    assert throttle.check("faux", ME).message.endswith("réessayez dans 4 s.")
    clock.now += 1.5
    assert throttle.check("bon", ME).message == "Trop d'essais : réessayez dans 3 s."
    clock.now += 2.5
    assert throttle.check("bon", ME).ok                # and success resets the count
    assert throttle.check("faux", ME).message.endswith("réessayez dans 1 s.")


def test_the_wait_is_capped_and_said():
    clock = Clock()
    throttle = editor.Throttle("bon", clock=clock)
    waits = []
    for _ in range(30):
        message = throttle.check("faux", ME).message
        waits.append(int(message.removeprefix("Mot de passe incorrect : réessayez dans ")
                         .removesuffix(" s.")))
        clock.now += waits[-1]
    assert waits[:7] == [1, 2, 4, 8, 16, 32, 60] and set(waits[6:]) == {editor.MAX_WAIT_S}


def test_one_client_s_failures_never_keep_another_out():
    """One wrong try every five minutes, for two hours, from one tab: every other editor,
    elsewhere, in another tab at the same address, or at an unknown address, gets in at
    once, each time."""
    clock = Clock()
    throttle = editor.Throttle("bon", clock=clock)
    neighbour = editor.Client(ME.address, "onglet-3")
    local = editor.Client(None, "onglet-4")
    for _ in range(24):
        assert not throttle.check("faux", ME).ok
        for other in (OTHER, neighbour, local):
            assert throttle.check("bon", other).ok, other
        clock.now += 300
    assert throttle.check("bon", ME).ok  # its own wait was over long ago


def test_new_tabs_do_not_escape_the_wait_of_their_address():
    clock = Clock()
    throttle = editor.Throttle("bon", clock=clock)
    for number in range(editor.ADDRESS_FREE):  # a fresh tab for each try
        attempt = throttle.check("faux", editor.Client(ME.address, f"onglet-neuf-{number}"))
        assert attempt.message == "Mot de passe incorrect : réessayez dans 1 s."
    clock.now += 1
    assert throttle.check("faux", editor.Client(ME.address, "encore un")).message == (
        "Mot de passe incorrect : réessayez dans 2 s.")
    assert throttle.check("bon", editor.Client(ME.address, "et un autre")) == (
        False, "Trop d'essais : réessayez dans 2 s.")
    assert throttle.check("bon", OTHER).ok  # elsewhere, nothing changes
    clock.now += 2
    assert throttle.check("bon", editor.Client(ME.address, "plus tard")).ok


def test_only_a_burst_from_many_clients_makes_everyone_wait():
    clock = Clock()
    throttle = editor.Throttle("bon", clock=clock)
    for number in range(editor.BURST_CLIENTS - 1):
        throttle.check("faux", editor.Client(f"192.0.2.{number}", "x"))
        clock.now += 1
    assert throttle.check("bon", OTHER).ok  # many, but not yet a burst
    throttle.check("faux", editor.Client("192.0.2.250", "x"))
    assert throttle.check("bon", OTHER) == (
        False, "Trop d'essais de mots de passe sur ce serveur, venus de nombreux visiteurs : "
               "réessayez dans 30 s.")
    clock.now += editor.BURST_WAIT_S
    assert throttle.check("bon", OTHER).ok


def test_failures_spread_over_more_than_the_window_are_no_burst():
    clock = Clock()
    throttle = editor.Throttle("bon", clock=clock)
    for number in range(3 * editor.BURST_CLIENTS):
        throttle.check("faux", editor.Client(f"192.0.2.{number}", "x"))
        clock.now += editor.BURST_WINDOW_S / (editor.BURST_CLIENTS - 1) + 0.5
    assert throttle.check("bon", OTHER).ok


def test_failures_are_forgotten_after_a_quiet_while():
    clock = Clock()
    throttle = editor.Throttle("bon", clock=clock)
    for _ in range(5):
        throttle.check("faux", ME)
        clock.now += editor.MAX_WAIT_S
    clock.now += editor.FORGET_S
    assert throttle.check("faux", ME).message == "Mot de passe incorrect : réessayez dans 1 s."


def test_a_crowd_of_sessions_does_not_fill_the_memory():
    clock = Clock()
    throttle = editor.Throttle("bon", clock=clock)
    for number in range(editor.MAX_CLIENTS + 500):
        throttle.check("faux", editor.Client(f"10.{number // 65536}.{number // 256 % 256}."
                                         f"{number % 256}", str(number)))
        clock.now += editor.BURST_WINDOW_S  # never a burst: each is alone in its minute
    assert len(throttle._sessions) == len(throttle._addresses) == editor.MAX_CLIENTS


def test_the_comparison_is_constant_time(monkeypatch):
    compared = []
    real = hmac.compare_digest
    monkeypatch.setattr(editor.hmac, "compare_digest",
                        lambda a, b: compared.append((len(a), len(b))) or real(a, b))
    throttle = editor.Throttle("un secret assez long", clock=Clock())
    throttle.check("x", ME)
    assert compared == [(32, 32)]  # digests of equal length, whatever was typed
