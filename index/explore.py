"""Exploring the corpus by theme: passages grouped by document and section, and a map.

The map places every passage on two axes, the first two principal components of
the stored passage vectors (plain numpy SVD), so that passages the model reads as
close sit close; each point carries its citation and themes for the page's tooltip.
"""

from __future__ import annotations

from index.records import Passage


def theme_groups(searcher, theme_id: str) -> list[tuple[str, str, list[Passage]]]:
    """The passages of a theme as (document title, section, passages), in corpus order."""
    members = searcher.themes.members(theme_id)
    groups: dict[tuple[str, str], list[Passage]] = {}
    for passage in searcher.passages:
        if passage.id in members:
            groups.setdefault((passage.title, passage.section), []).append(passage)
    return [(title, section, passages) for (title, section), passages in groups.items()]


def map_points(searcher) -> list[dict]:
    """One point per passage: x, y, its first theme (or « aucun »), themes, citation, text."""
    import numpy as np

    vectors = searcher.store.vectors.reconstruct_n(0, searcher.store.vectors.ntotal)
    centred = vectors - vectors.mean(axis=0)
    if len(centred) >= 2:
        _, _, axes = np.linalg.svd(centred, full_matrices=False)
        xy = centred @ axes[:2].T
    else:
        xy = np.zeros((len(centred), 2))
    labels = {t.id: t.label for t in searcher.themes.themes}
    points = []
    for (x, y), passage in zip(xy.tolist(), searcher.passages, strict=True):
        themes = [labels[t] for t in searcher.themes.assignments.get(passage.id, []) if t in labels]
        points.append({"x": x, "y": y, "thème": themes[0] if themes else "aucun",
                       "thèmes": ", ".join(themes) or "aucun", "citation": passage.citation(),
                       "passage": passage.text[:160] + ("…" if len(passage.text) > 160 else "")})
    return points
