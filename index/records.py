"""Typed records passed between stages: a passage with its citation, a search hit.

A passage's `start`/`end` are character offsets into the text of its source file
as `ingest.read.read_text` returns it (see docs/format.md): the source text
between them, white space collapsed, is the passage text.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


def item_label(item: int) -> str:
    """How a numbered recommendation is cited.

    >>> item_label(12)
    'recommandation n° 12'
    """
    return f"recommandation n° {item}"


@dataclass(frozen=True)
class Passage:
    """One retrievable unit of a document, with everything needed to cite it."""

    id: str
    source: str  # path relative to the corpus folder, with "/" separators
    title: str  # document title shown to users
    section: str  # section path, levels joined by " > "
    item: int | None  # recommendation number, when the passage is a numbered item
    start: int
    end: int
    text: str  # the source text between start and end, white space collapsed
    page: int | None = None  # the page a PDF passage starts on

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, row: dict) -> Passage:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__ if name in row})

    def citation(self) -> str:
        """Human citation: document › section › recommendation n° N.

        >>> Passage("x", "a.txt", "Feuille de route", "Finance", 2, 0, 1, "t").citation()
        'Feuille de route › Finance › recommandation n° 2'
        """
        parts = [self.title]
        if self.section:
            parts.append(self.section.replace(" > ", " › "))
        return " › ".join(parts + self.locators())

    def locators(self) -> list[str]:
        """Where the passage sits in its document, as every citation says it (the CLI's,
        the page's cards): its recommendation number and its page, when known.

        >>> Passage("x", "a.pdf", "T", "", 2, 0, 1, "t", page=7).locators()
        ['recommandation n° 2', 'p. 7']
        """
        found = [] if self.item is None else [item_label(self.item)]
        return found if self.page is None else [*found, f"p. {self.page}"]

    def overlaps(self, other: Passage) -> bool:
        """Do the two passages share characters of the same file?"""
        return self.source == other.source and self.start < other.end and other.start < self.end

    def location(self) -> str:
        """Where to check the passage: `source:start-end` (character offsets)."""
        return f"{self.source}:{self.start}-{self.end}"


@dataclass(frozen=True)
class Hit:
    """A passage returned for a query, with its rank (from 1) and score."""

    rank: int
    score: float
    passage: Passage

    def to_dict(self) -> dict:
        """The JSON result of `ess search --json` (a contract: keys are only ever added)."""
        return {"rank": self.rank, "score": round(float(self.score), 6), **self.passage.to_dict()}
