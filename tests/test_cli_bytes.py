"""`ess search` and `ess answer` as real processes, fed questions in any encoding.

A questions file saved in latin-1 or cp1252, a stray byte in an argument
(`ess answer $'financer \\xff'`), a terminal whose encoding lacks a character of the
output: each question gets its results, decoded as the corpus's files are (U+FFFD
for a byte that cannot be read), and no batch stops half-way with a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT

ESS = [sys.executable, "-m", "ess"]
QUESTIONS = ["Comment financer l'économie sociale et solidaire ?",
             "Que propose-t-on pour l'égalité femmes-hommes ?",
             "Quel rôle pour les coopératives agricoles ?"]


def ess(*args: str | bytes, stdin: bytes | None = None, **env: str) -> subprocess.CompletedProcess:
    """`ess ARGS` with `stdin` piped in, in a locale given by `env`; stdout and stderr
    kept as bytes."""
    environment = {**os.environ, **env}
    return subprocess.run([*ESS, *args], cwd=ROOT, input=stdin, capture_output=True,
                          timeout=300, env=environment)


@pytest.mark.parametrize("locale", ["C.UTF-8", "C"])
@pytest.mark.parametrize("encoding", ["latin-1", "cp1252", "utf-16"])
def test_a_questions_file_in_any_encoding_gets_every_question_searched(real_index, locale,
                                                                         encoding):
    data = "\r\n".join([*QUESTIONS, "", "Qu'en est-il des « mutuelles » ?"]).encode(encoding)
    done = ess("search", "--index", str(real_index), "-k", "2", "--json", stdin=data,
               LC_ALL=locale)
    assert (done.returncode, done.stderr) == (0, b"")
    rows = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    assert [row["query"] for row in rows] == [*QUESTIONS, "Qu'en est-il des « mutuelles » ?"]
    assert all(len(row["results"]) == 2 for row in rows)


def test_a_latin1_questions_file_gets_every_question_answered(real_index):
    data = ("\n".join(QUESTIONS) + "\n").encode("latin-1")
    done = ess("answer", "--index", str(real_index), stdin=data)
    assert (done.returncode, done.stderr) == (0, b"")
    printed = done.stdout.decode("utf-8")
    assert [line[2:] for line in printed.splitlines() if line.startswith("? ")] == QUESTIONS
    assert printed.count("\n? ") == 2


def test_a_stray_byte_in_a_batch_becomes_a_replacement_character(real_index):
    data = "Comment financer l'économie ".encode() + b"\xff\n" + QUESTIONS[1].encode() + b"\n"
    done = ess("answer", "--index", str(real_index), "--json", stdin=data)
    assert (done.returncode, done.stderr) == (0, b"")
    rows = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    assert [row["question"] for row in rows] == ["Comment financer l'économie \ufffd",
                                                 QUESTIONS[1]]
    assert all(row["results"] for row in rows)


@pytest.mark.skipif(sys.platform == "win32", reason="arguments are bytes on POSIX only")
@pytest.mark.parametrize("command", ["search", "answer"])
def test_an_argument_with_an_invalid_byte_is_decoded_as_the_corpus_is(real_index, command):
    argument = "financer l'économie ".encode() + b"\xff"  # UTF-8, and one byte that is not
    done = ess(command, argument, "--index", str(real_index), "--json", LC_ALL="C.UTF-8")
    assert (done.returncode, done.stderr) == (0, b"")
    row = json.loads(done.stdout)
    assert row["query" if command == "search" else "question"] == "financer l'économie \ufffd"
    assert row["results"]
    latin = ess(command, "financer l'économie".encode("latin-1"), "--index", str(real_index),
                "--json", LC_ALL="C.UTF-8")
    assert latin.returncode == 0
    assert json.loads(latin.stdout)["query" if command == "search" else "question"] == \
        "financer l'économie"


def test_a_terminal_without_a_character_gets_a_question_mark_not_a_traceback(real_index):
    """A latin-1 terminal cannot show « › » (citations) nor « ’ »: they become « ? »."""
    data = ("\n".join(QUESTIONS[:2]) + "\n").encode("utf-8")
    done = ess("search", "--index", str(real_index), "-k", "3", stdin=data,
               PYTHONIOENCODING="latin-1")
    assert (done.returncode, done.stderr) == (0, b"")
    printed = done.stdout.decode("latin-1")
    assert printed.count("\n1. [") == 2 and "? Que propose-t-on pour l'égalité" in printed
    assert " ? " in printed  # a « › » of a citation, replaced


def test_an_empty_question_is_an_error_in_a_real_process(real_index):
    done = ess("search", "", "--index", str(real_index))
    assert (done.returncode, done.stdout) == (1, b"")
    assert done.stderr.decode() == "Erreur : la question est vide : donnez une question\n"
