"""Passages related to a passage: "more like this", and near-duplicates across documents.

Similarity fuses, as the search does (index.fusion, dense weight 0.5), the cosine of
the stored passage vectors with BM25 taking the passage's own text as the query; no
text is embedded again. The vectors carry their section path, which pulls passages
towards their own section, so a passage of the same section loses SAME_SECTION of
cosine: readers value the same idea found elsewhere most. On the 9 hand-judged pairs of
tests/data/related_pairs.json this put 14 of 18 directions in the top 5 (3 with the
cosine alone, 9 with a penalty of 0.04) and no unrelated pair in the top 10; the
penalty was chosen on those pairs (docs/evaluation.md).
A related passage is never the passage itself, one overlapping it, or one with the
same text; each says whether it comes from another section or another document.
"""

from __future__ import annotations

from dataclasses import dataclass

from index.errors import EssError
from index.fusion import FusionConfig, fuse
from index.records import Hit, Passage
from index.search import nearest_rows, with_lexical
from index.text import match_form
from index.tokenize import SAME_WORDS, overlap, tokenize

FUSION = FusionConfig(dense_weight=0.5, method="convex-minmax-coverage")
SAME_SECTION = 0.08
# Near-duplicates: passages of different documents among each other's 10 nearest whose
# sets of BM25 tokens overlap this much (Jaccard; why 0.6: index.tokenize.SAME_WORDS).
DUPLICATE_THRESHOLD = SAME_WORDS


class UnknownPassage(EssError):
    """No passage has the given id."""


@dataclass(frozen=True)
class Related:
    hit: Hit
    other_section: bool
    other_document: bool

    def to_dict(self) -> dict:
        """The JSON of `ess search`'s results, plus the two flags."""
        return {**self.hit.to_dict(), "other_section": self.other_section,
                "other_document": self.other_document}


def related(searcher, passage_id: str, k: int = 5) -> list[Related]:
    """The k passages most related to the given one, best first."""
    origin = _passage(searcher, passage_id)
    vector = searcher.passage_vector(origin)
    depth = min(len(searcher.passages), FUSION.candidates)
    lexical = searcher.store.lexical.score(origin.text)
    vectors = searcher.store.vectors
    dense = with_lexical(vectors, vector, nearest_rows(vectors, vector, depth), lexical.scores,
                         depth)
    for row in dense:
        if _same_section(searcher.passages[row], origin):
            dense[row] -= SAME_SECTION
    out: list[Related] = []
    seen = {match_form(origin.text)}
    for row, score in fuse(dense, lexical.scores, lexical.coverage, FUSION):
        passage = searcher.passages[row]
        if passage.overlaps(origin) or match_form(passage.text) in seen:
            continue
        seen.add(match_form(passage.text))
        out.append(Related(Hit(len(out) + 1, score, passage),
                           other_section=not _same_section(passage, origin),
                           other_document=passage.source != origin.source))
        if len(out) == k:
            break
    return out


def duplicates(searcher, threshold: float = DUPLICATE_THRESHOLD) -> list[tuple[Passage, Passage,
                                                                             float]]:
    """Pairs of passages from different documents that say nearly the same thing."""
    tokens = {p.id: set(tokenize(p.text)) for p in searcher.passages}
    pairs = {}
    for passage in searcher.passages:
        vector = searcher.passage_vector(passage)[None]
        _, rows = searcher.store.vectors.search(vector, min(11, len(searcher.passages)))
        for row in rows[0]:
            other = searcher.passages[row]
            if row < 0 or other.source == passage.source:
                continue
            shared = overlap(tokens[passage.id], tokens[other.id])
            if shared >= threshold:
                first, second = sorted((passage, other), key=lambda p: (p.source, p.start))
                pairs[(first.id, second.id)] = (first, second, round(shared, 3))
    return sorted(pairs.values(), key=lambda pair: -pair[2])


def _same_section(a: Passage, b: Passage) -> bool:
    return (a.source, a.section) == (b.source, b.section)


def _passage(searcher, passage_id: str) -> Passage:
    try:
        return searcher.passages[searcher.row_of(passage_id)]
    except KeyError:
        raise UnknownPassage(f"aucun passage n'a l'identifiant {passage_id!r} : les "
                             "identifiants sont dans la sortie de `ess search --json`") from None

