"""Property: whatever bytes a corpus file holds, reading it gives text or a skip with a reason.

Random bytes, and real files (text, Markdown, PDF, Word, HTML) with bytes overwritten,
inserted or cut off, go through `ingest.read.read_one`, the boundary every reader
runs behind. Nothing else may come out: no exception, no text that cannot be saved.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bad_files import word_file
from test_formats import HTML, pdf

from ingest.limits import Limits
from ingest.read import Document, Skipped, read_one

TEXT = ("# Économie sociale\r\n\r\n## FINANCE\r\n\r\n1. Créer des « fonds » d’investissement "
        "solidaires.\r\n2. L'égalité femmes-hommes\xa0: qu’en dit-on ?\r\n")


def _pdf_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "seed.pdf"
        pdf(path, [["FINANCE", "1. Creer des fonds de garantie."], ["2. Former les elus."]])
        return path.read_bytes()


SEEDS = {
    ".txt": TEXT.encode("utf-8"),
    ".md": TEXT.encode("cp1252", errors="replace"),
    ".pdf": _pdf_bytes(),
    ".docx": word_file().getvalue(),
    ".html": HTML.encode("utf-8"),
}
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def outcome_of(suffix: str, data: bytes) -> Document | Skipped:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / f"fichier{suffix}").write_bytes(data)
        return read_one(root, root / f"fichier{suffix}", Limits())


def assert_text_or_reason(outcome) -> None:
    if isinstance(outcome, Skipped):
        assert isinstance(outcome.reason, str) and outcome.reason.strip()
    else:
        assert isinstance(outcome, Document) and outcome.text.strip()
        outcome.text.encode("utf-8")  # no lone surrogate: the text can be written out
        io.StringIO().write(outcome.title)


@pytest.mark.parametrize("suffix", list(SEEDS))
@SETTINGS
@given(data=st.binary(max_size=4000))
def test_random_bytes_give_text_or_a_reason(suffix, data):
    assert_text_or_reason(outcome_of(suffix, data))


@st.composite
def mutated(draw, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 12))):
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["overwrite", "insert", "delete"]))
        value = draw(st.binary(min_size=1, max_size=8))
        if kind == "overwrite":
            data[at:at + len(value)] = value
        elif kind == "insert":
            data[at:at] = value
        else:
            del data[at:at + len(value)]
    if draw(st.booleans()):
        data = data[:draw(st.integers(0, len(data)))]  # a file cut short
    return bytes(data)


@pytest.mark.parametrize("suffix", list(SEEDS))
@SETTINGS
@given(data=st.data())
def test_damaged_real_files_give_text_or_a_reason(suffix, data):
    assert_text_or_reason(outcome_of(suffix, data.draw(mutated(SEEDS[suffix]))))


@pytest.mark.parametrize("suffix", list(SEEDS))
def test_the_unmutated_seeds_are_read(suffix):
    outcome = outcome_of(suffix, SEEDS[suffix])
    assert isinstance(outcome, Document), outcome
