"""The JSON objects the front ends print or send: `ess … --json` and the HTTP API.

One function per kind of object, so that the command line (ess.cli) and the API
(ess.api) give the same object for the same question; their keys are a contract
(docs/format.md): keys are only ever added. Answers have theirs already
(`answer.compose.Answer.to_dict`).
"""

from __future__ import annotations

from collections.abc import Sequence

from index.records import Hit


def search_payload(query: str, hits: Sequence[Hit]) -> dict:
    """One line of `ess search --json`: the question and its results, best first."""
    return {"query": query, "results": [hit.to_dict() for hit in hits]}


def related_payload(passage_id: str, found: Sequence) -> dict:
    """`ess related PASSAGE_ID --json`: the passage's id and its related passages
    (index.related.Related), best first."""
    return {"passage": passage_id, "results": [r.to_dict() for r in found]}


def duplicates_payload(pairs: Sequence) -> list[dict]:
    """`ess related --duplicates --json`: the near-identical pairs (index.related.duplicates)."""
    return [{"first": a.to_dict(), "second": b.to_dict(), "overlap": overlap}
            for a, b, overlap in pairs]


def themes_payload(searcher) -> list[dict]:
    """`ess themes --json`: each theme of the catalogue with its number of passages."""
    themes = searcher.themes
    counts = themes.counts()
    return [{"id": t.id, "label": t.label, "description": t.description,
             "passages": counts[t.id]} for t in themes.themes]


def theme_payload(searcher, theme_id: str) -> dict:
    """`ess theme THEME_ID --json`: the theme's passages grouped by document and section,
    in corpus order; index.themes.UnknownTheme if the catalogue has no such theme."""
    from ess.explore import theme_groups

    return {"theme": theme_id, "groups": [
        {"title": title, "section": section, "passages": [p.to_dict() for p in passages]}
        for title, section, passages in theme_groups(searcher, theme_id)]}
