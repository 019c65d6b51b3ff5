"""The passage table: passages.jsonl mapped and read line by line when asked for."""

from __future__ import annotations

import json

import pytest

from index.errors import IndexUnreadable
from index.records import Passage
from index.table import PassageTable


def passage(number: int, text: str = "L’ESS finance « les communs ».") -> Passage:
    return Passage(f"p{number}", "a.md", "A", "Finance", number, 0, len(text), text)


def write(path, passages, between="\n", end="\n"):
    path.write_text(between.join(json.dumps(p.to_dict(), ensure_ascii=False)
                                 for p in passages) + end, encoding="utf-8")


def test_it_reads_like_a_list_of_passages(tmp_path):
    rows = [passage(n) for n in range(1, 6)]
    write(tmp_path / "p.jsonl", rows)
    table = PassageTable(tmp_path / "p.jsonl")
    assert len(table) == 5 and table[0] == rows[0] and table[-1] == rows[4]
    assert table[1:3] == rows[1:3] and list(table) == rows and table == rows
    assert rows[2] in table and table.index(rows[3]) == 3
    with pytest.raises(IndexError):
        table[5]


@pytest.mark.parametrize("between, end", [("\n\n", "\n"), ("\n", ""), ("\n\n\n", "\n\n")],
                         ids=["blank-line", "no-final-newline", "blank-lines"])
def test_blank_lines_and_a_missing_final_newline(tmp_path, between, end):
    rows = [passage(n) for n in range(1, 4)]
    write(tmp_path / "p.jsonl", rows, between, end)
    assert PassageTable(tmp_path / "p.jsonl") == rows


def test_an_empty_file_is_an_empty_table(tmp_path):
    (tmp_path / "p.jsonl").write_bytes(b"")
    table = PassageTable(tmp_path / "p.jsonl")
    assert len(table) == 0 and list(table) == []
    table.check()


def test_a_damaged_line_names_the_file_and_the_way_out(tmp_path):
    rows = [passage(n) for n in range(1, 4)]
    write(tmp_path / "p.jsonl", rows)
    lines = (tmp_path / "p.jsonl").read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1][:20]
    (tmp_path / "p.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = PassageTable(tmp_path / "p.jsonl")
    table.check()  # the first and last lines are sound
    with pytest.raises(IndexUnreadable) as caught:
        table[1]
    assert str(caught.value) == (f"la table des passages {tmp_path / 'p.jsonl'} est abîmée "
                                 "(passage 2) : reconstruisez-le avec `ess ingest --rebuild`")
