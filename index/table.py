"""The passages of a loaded build, read from `passages.jsonl` when asked for.

Parsing every line into a `Passage` at load would cost about a gigabyte and several
seconds for a million passages, while a query shows five. The table maps the file
(the OS shares and caches it), finds where each line starts once, and parses a line
when its passage is asked for; recently read passages are kept.

It behaves as a read-only list of passages: `len`, indexing, iteration.
"""

from __future__ import annotations

import json
import mmap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

from index.errors import IndexUnreadable
from index.records import Passage

CACHE = 65_536  # parsed passages kept in memory
_CHUNK = 1 << 26  # bytes scanned at a time for line starts


class PassageTable(Sequence[Passage]):
    def __init__(self, path: Path) -> None:
        """Map the file and index its lines (OSError if it cannot be read)."""
        self._path = path
        with open(path, "rb") as handle:
            # read, not mapped, to find the lines: a mapped page that was read stays in
            # this process's resident memory, a read one only in the OS file cache
            self._starts = _line_starts(handle)
            size = handle.seek(0, 2)
            self._data = (mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
                          if size else b"")
        self._cache: dict[int, Passage] = {}

    def __len__(self) -> int:
        return len(self._starts) - 1

    def __getitem__(self, row):
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        row = int(row)
        if row < 0:
            row += len(self)
        if not 0 <= row < len(self):
            raise IndexError("passage row out of range")
        passage = self._cache.get(row)
        if passage is None:
            if len(self._cache) >= CACHE:
                self._cache.clear()
            line = self._data[self._starts[row]:self._starts[row + 1]]
            try:
                passage = self._cache[row] = Passage.from_dict(json.loads(line))
            except (ValueError, KeyError, TypeError):
                raise IndexUnreadable(
                    f"la table des passages {self._path} est abîmée (passage {row + 1}) : "
                    "reconstruisez-le avec `ess ingest --rebuild`") from None
        return passage

    def __iter__(self) -> Iterator[Passage]:
        for row in range(len(self)):
            yield self[row]

    def __eq__(self, other: object) -> bool:
        """Equal to any sequence of the same passages (a list of them included)."""
        if not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # mutable cache, compared by content

    def check(self) -> None:
        """Parse the first and last lines: IndexUnreadable if they are damaged."""
        if len(self):
            self[0], self[len(self) - 1]


def _line_starts(handle: BinaryIO) -> np.ndarray:
    """Byte offsets where each non-blank line starts, then the end of the file (a line's
    span runs to the next one's start: blank lines between are white space to JSON).

    >>> import io
    >>> _line_starts(io.BytesIO(b'{"a": 1}\\n\\n{"b": 2}')).tolist()
    [0, 10, 18]
    """
    ends, at = [], 0
    while chunk := handle.read(_CHUNK):
        ends.append(np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10) + at + 1)
        at += len(chunk)
    ends = np.concatenate(ends) if ends else np.zeros(0, dtype=np.int64)
    if at and (not len(ends) or ends[-1] != at):  # no newline at the end
        ends = np.append(ends, at)
    starts = np.concatenate([[0], ends]).astype(np.int64)
    lines = starts[:-1][np.diff(starts) > 1]
    return np.append(lines, at).astype(np.int64)
