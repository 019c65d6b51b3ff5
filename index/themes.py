"""Themes: a catalogue the users edit (corpus/themes.toml) and the passages of each theme.

A passage belongs to a theme when either
- its section path or text holds one of the theme's key terms (compared as BM25
  tokens: accents folded, stemmed, so « financières » meets « financier ») and the
  model does not find it far from the theme (z ≥ Z_WITH_TERM), or
- the model finds it very close to the theme (z ≥ Z_ALONE),
where z is the passage's cosine to the theme (label, description and terms read as a
query) standardised over all passages of the index: how much closer than usual.

Assignments are made at ingest from the stored vectors and kept in the build
(themes.json) with the catalogue's sha256. When only the catalogue changed since,
they are made again at load from the same vectors: no passage is embedded again.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

from index.config import PROJECT_ROOT
from index.errors import EssError, os_reason
from index.tokenize import tokenize

CATALOGUE = "themes.toml"
FILE = "themes.json"
Z_WITH_TERM = 0.0
Z_ALONE = 2.5


class CatalogueError(EssError):
    """The theme catalogue cannot be used as written."""


class UnknownTheme(CatalogueError):
    """No theme of the catalogue has the given id."""


@dataclass(frozen=True)
class Theme:
    id: str
    label: str
    description: str
    terms: tuple[str, ...]

    def query(self) -> str:
        """What the model reads for the theme."""
        return f"{self.label} : {self.description} ({', '.join(self.terms)})"


def find_catalogue(corpus: Path) -> Path | None:
    """The corpus folder's themes.toml, else the project's (the ESS themes), else none."""
    for path in (corpus / CATALOGUE, PROJECT_ROOT / "corpus" / CATALOGUE):
        if path.is_file():
            return path
    return None


def _where(exc: tomllib.TOMLDecodeError) -> str:
    """Where TOML went wrong, in French (tomllib says it in English, at the end of its
    message).

    >>> try:
    ...     tomllib.loads('[[theme]]\\nid = \\n')
    ... except tomllib.TOMLDecodeError as exc:
    ...     _where(exc)
    ' (ligne 2, colonne 6)'
    """
    found = re.search(r"at line (\d+), column (\d+)", str(exc))
    return f" (ligne {found[1]}, colonne {found[2]})" if found else ""


def load_catalogue(path: Path) -> list[Theme]:
    """Read a catalogue; a mistake in it is a CatalogueError naming the file and the fix."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogueError(f"catalogue de thèmes {path} illisible ({os_reason(exc)}) : "
                             "vérifiez ses droits") from None
    except UnicodeDecodeError:
        raise CatalogueError(f"catalogue de thèmes {path} illisible : il n'est pas en UTF-8 ; "
                             "enregistrez-le en UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"catalogue de thèmes {path} : TOML invalide{_where(exc)} : "
                             "corrigez-le") from None
    themes, seen = [], set()
    for number, row in enumerate(data.get("theme", []), 1):
        where = f"{path}, thème n° {number}"
        if not isinstance(row, dict) or not all(isinstance(row.get(k), str) and row[k].strip()
                                                for k in ("id", "label", "description")):
            raise CatalogueError(f"{where} : il faut id, label et description (textes)")
        terms = row.get("terms", [])
        if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
            raise CatalogueError(f"{where} : terms doit être une liste de textes")
        if row["id"] in seen:
            raise CatalogueError(f"{where} : l'identifiant {row['id']!r} est déjà pris")
        seen.add(row["id"])
        themes.append(Theme(row["id"], row["label"], row["description"], tuple(terms)))
    if not themes:
        raise CatalogueError(f"{path} ne contient aucun thème : ajoutez des blocs [[theme]]")
    return themes


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assign(themes: list[Theme], passages, vectors, embedder) -> dict[str, list[str]]:
    """Theme ids by passage id, for the passages that have at least one (a passage
    missing here has none); `vectors` are the passages', in order."""
    import numpy as np

    if not themes or not passages:
        return {}
    from index import query_cache

    queries = query_cache.embed_queries(embedder, [t.query() for t in themes])
    sims = vectors @ queries.T  # passages × themes
    z = (sims - sims.mean(axis=0)) / np.maximum(sims.std(axis=0), 1e-6)
    terms = [[set(tokenize(term)) for term in t.terms if tokenize(term)] for t in themes]
    out = {}
    for row, passage in enumerate(passages):
        tokens = set(tokenize(f"{passage.section} {passage.text}"))
        ids = [
            theme.id for col, theme in enumerate(themes)
            if z[row, col] >= Z_ALONE or (z[row, col] >= Z_WITH_TERM
                                          and any(term <= tokens for term in terms[col]))]
        if ids:
            out[passage.id] = ids
    return out


@dataclass(frozen=True)
class ThemeIndex:
    """The themes of an index and their passages."""

    catalogue: str
    sha256: str
    themes: list[Theme]
    assignments: dict[str, list[str]]  # passage id → theme ids (passages with none left out)

    def theme(self, theme_id: str) -> Theme:
        for theme in self.themes:
            if theme.id == theme_id:
                return theme
        known = ", ".join(t.id for t in self.themes)
        raise UnknownTheme(f"thème inconnu : {theme_id!r} ; thèmes du catalogue : {known}")

    def members(self, theme_id: str) -> set[str]:
        self.theme(theme_id)
        return {pid for pid, ids in self.assignments.items() if theme_id in ids}

    def counts(self) -> dict[str, int]:
        return {t.id: len(self.members(t.id)) for t in self.themes}

    def save(self, folder: Path) -> None:
        data = {"catalogue": self.catalogue, "sha256": self.sha256,
                "method": {"z_with_term": Z_WITH_TERM, "z_alone": Z_ALONE},
                "themes": [asdict(t) for t in self.themes], "assignments": self.assignments}
        (folder / FILE).write_text(json.dumps(data, ensure_ascii=False) + "\n",
                                   encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> ThemeIndex | None:
        path = folder / FILE
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        themes = [Theme(t["id"], t["label"], t["description"], tuple(t["terms"]))
                  for t in data["themes"]]
        return cls(data["catalogue"], data["sha256"], themes, data["assignments"])


def build_themes(catalogue: Path | None, passages, vectors, embedder) -> ThemeIndex:
    """Assign the catalogue's themes to the passages (an empty index without a catalogue)."""
    if catalogue is None:
        return ThemeIndex("", "", [], {})
    themes = load_catalogue(catalogue)
    return ThemeIndex(str(catalogue.resolve()), sha256(catalogue), themes,
                      assign(themes, passages, vectors, embedder))


def current_themes(stored: ThemeIndex | None, passages, vectors_of, embedder_of) -> ThemeIndex:
    """The stored assignments, made again from the stored vectors if the catalogue changed
    (`vectors_of()` and `embedder_of()` are called only then)."""
    if stored is None or not stored.catalogue:
        return stored or ThemeIndex("", "", [], {})
    path = Path(stored.catalogue)
    if not path.is_file() or sha256(path) == stored.sha256:
        return stored
    return build_themes(path, passages, vectors_of(), embedder_of())
