"""Exploring the corpus by theme: passages grouped by document and section, and a map.

The map places every passage on two axes, the first two principal components of
the stored passage vectors (plain numpy SVD), so that passages the model reads as
close sit close; each point carries its citation and themes for the page's tooltip.
Themes are told apart by colour and by shape (`theme_marks`), never by colour alone;
passages without a theme are « Sans thème », always last.
"""

from __future__ import annotations

import unicodedata

from ess.render import plain_text
from index.records import Passage

NO_THEME = "Sans thème"
# Colours that stay apart from their neighbours in the legend (Kelly's contrasting
# colours, darkened where light on white), then shapes cycling at another pace: no
# two themes of the catalogue share both. « Sans thème » is grey.
COLOURS = ["#1f77b4", "#e6550d", "#2ca02c", "#d62728", "#7b4fa8", "#8c564b", "#d6337f",
           "#4d4d4d", "#9c8a00", "#17a2b8", "#1a3d7c", "#a05d00"]
SHAPES = ["circle", "square", "triangle-up", "diamond", "cross", "triangle-down",
          "triangle-left", "triangle-right"]
NO_THEME_MARK = ("#9e9e9e", "circle")


def _sort_key(label: str) -> str:
    """Alphabetical order as French readers expect it: « Égalité » beside « Éducation »
    among the E, not after the Z."""
    folded = unicodedata.normalize("NFKD", label.casefold())
    return "".join(c for c in folded if not unicodedata.combining(c))


def theme_order(labels) -> list[str]:
    """Theme labels in alphabetical order, « Sans thème » last.

    >>> theme_order(["Sans thème", "Finance", "Égalité de genre", "Biens communs"])
    ['Biens communs', 'Égalité de genre', 'Finance', 'Sans thème']
    """
    labels = set(labels)  # a pandas column too: its values, not its index
    named = sorted({label for label in labels if label != NO_THEME}, key=_sort_key)
    return named + ([NO_THEME] if NO_THEME in labels else [])


def theme_marks(labels) -> tuple[list[str], list[str], list[str]]:
    """The map's legend: the labels in order, a colour and a shape for each.

    >>> order, colours, shapes = theme_marks(["Finance", "Sans thème", "Biens communs"])
    >>> order, shapes
    (['Biens communs', 'Finance', 'Sans thème'], ['circle', 'square', 'circle'])
    >>> colours[-1]
    '#9e9e9e'
    """
    order = theme_order(labels)
    colours, shapes = [], []
    for number, label in enumerate(order):
        colour, shape = (NO_THEME_MARK if label == NO_THEME else
                         (COLOURS[number % len(COLOURS)], SHAPES[number % len(SHAPES)]))
        colours.append(colour)
        shapes.append(shape)
    return order, colours, shapes


def theme_groups(searcher, theme_id: str) -> list[tuple[str, str, list[Passage]]]:
    """The passages of a theme as (document title, section, passages), in corpus order."""
    members = searcher.themes.members(theme_id)
    groups: dict[tuple[str, str], list[Passage]] = {}
    for passage in searcher.passages:
        if passage.id in members:
            groups.setdefault((passage.title, passage.section), []).append(passage)
    return [(title, section, passages) for (title, section), passages in groups.items()]


def map_points(searcher) -> list[dict]:
    """One point per passage and theme: x, y, the theme (« Sans thème » for a passage
    without one), all its themes, its citation, its text's start and a French
    description read aloud for the point (« Finance : Feuille de route … »).

    A passage of several themes is drawn once for each, the copies set in a small ring
    around its place (1.5 % of the map's width away), so that none hides another and
    every theme shows its whole extent.
    """
    import math

    import numpy as np

    vectors = searcher.store.vectors.reconstruct_n(0, searcher.store.vectors.ntotal)
    centred = vectors - vectors.mean(axis=0)
    if len(centred) >= 2:
        _, _, axes = np.linalg.svd(centred, full_matrices=False)
        xy = centred @ axes[:2].T
    else:
        xy = np.zeros((len(centred), 2))
    ring = 0.015 * float(np.ptp(xy, axis=0).max()) if len(xy) else 0.0
    labels = {t.id: t.label for t in searcher.themes.themes}
    points = []
    for (x, y), passage in zip(xy.tolist(), searcher.passages, strict=True):
        themes = list(dict.fromkeys(labels[t] for t in searcher.themes.assignments.get(
            passage.id, []) if t in labels))
        text = plain_text(passage.text)
        text = text[:160] + ("…" if len(text) > 160 else "")
        for number, theme in enumerate(themes or [NO_THEME]):
            angle = 2 * math.pi * number / max(1, len(themes))
            shift = ring if len(themes) > 1 else 0.0
            points.append({"x": x + shift * math.cos(angle), "y": y + shift * math.sin(angle),
                           "thème": theme, "thèmes": ", ".join(themes) or NO_THEME,
                           "citation": passage.citation(), "passage": text,
                           "description": f"{theme} : {passage.citation()}"})
    return points


def theme_table(searcher) -> list[dict]:
    """Passages by theme and document: one row per (theme, document) that has any,
    themes in `theme_order` (« Sans thème » last), documents by count then title.

    A passage with several themes counts in each of them, as `ess themes` counts.
    """
    labels = {t.id: t.label for t in searcher.themes.themes}
    counts: dict[tuple[str, str], int] = {}
    for passage in searcher.passages:
        themes = [labels[t] for t in searcher.themes.assignments.get(passage.id, [])
                  if t in labels] or [NO_THEME]
        for label in dict.fromkeys(themes):
            counts[label, passage.title] = counts.get((label, passage.title), 0) + 1
    rank = {label: number for number, label in enumerate(theme_order({t for t, _ in counts}))}
    ordered = sorted(counts.items(), key=lambda row: (rank[row[0][0]], -row[1],
                                                       _sort_key(row[0][1])))
    return [{"thème": theme, "document": title, "passages": count}
            for (theme, title), count in ordered]
