"""What the previous build of an index can lend to the next: file hashes and vectors.

`ess ingest` on an existing index reads every file again (cheap) but embeds only
the passages whose text or section is new: a passage keeps its vector when the
previous build has the same passage id (same file, same text) read the same way by
the model (same section path). The result is the index a full rebuild would give,
since the model is deterministic. A previous build made with another model or other
splitting settings lends nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from index import store
from index.errors import EssError


@dataclass(frozen=True)
class Changes:
    added: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def none(self) -> bool:
        return not (self.added or self.modified or self.deleted)

    def summary(self) -> str:
        """« 2 ajoutés, 1 modifié, 1 supprimé, 40 inchangés »

        >>> Changes(["a", "b"], ["c"], ["d"], ["e"] * 40).summary()
        '2 ajoutés, 1 modifié, 1 supprimé, 40 inchangés'
        """
        parts = [(len(self.added), "ajouté"), (len(self.modified), "modifié"),
                 (len(self.deleted), "supprimé"), (len(self.unchanged), "inchangé")]
        return ", ".join(f"{n} {word}{'s' if n > 1 else ''}" for n, word in parts)


def compare(before: dict[str, str], after: dict[str, str]) -> Changes:
    """File-level changes between two {source: sha256} maps."""
    return Changes(
        added=sorted(s for s in after if s not in before),
        modified=sorted(s for s in after if s in before and before[s] != after[s]),
        deleted=sorted(s for s in before if s not in after),
        unchanged=sorted(s for s in after if before.get(s) == after[s]))


def previous_manifest(index_dir: Path) -> dict | None:
    """The manifest of the index's current build, or None if it has none that can be read.

    A build of an older format is read too (its vectors can be reused: `reusable_vectors`);
    its `format` tells the ingest that it must be written again."""
    import json

    try:
        folder = store.current(index_dir)
    except EssError:
        return None
    try:
        return store.read_manifest(folder)
    except EssError:
        try:
            manifest = json.loads((folder / store.MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        old = isinstance(manifest, dict) and isinstance(manifest.get("format"), int)
        return manifest if old and manifest["format"] < store.FORMAT else None


def reusable_vectors(index_dir: Path) -> dict[str, object]:
    """The previous build's vectors, its passages' and its answer units', by `vector_key`;
    empty if it cannot be read.

    A build of an older format lends its passages' vectors too (an upgrade embeds only
    what the older format lacked), so it is read part by part rather than loaded whole.
    """
    import faiss
    import numpy as np

    from index.table import PassageTable
    from index.text import with_context
    from index.unit_index import UnitIndex

    try:
        folder = store.current(index_dir)
        passages = PassageTable(folder / store.PASSAGES)
        vectors = faiss.read_index(str(folder / store.VECTORS))
        if vectors.ntotal != len(passages):
            return {}
        matrix = vectors.reconstruct_n(0, vectors.ntotal)
    except (EssError, OSError, RuntimeError):
        return {}
    known = {vector_key(with_context(p.section, p.text)): matrix[row]
             for row, p in enumerate(passages)}
    try:
        units = UnitIndex.load(folder)
    except (OSError, ValueError):
        return known
    if units.passages != len(passages) or units.vectors.shape[1] != matrix.shape[1]:
        return known
    for row, passage in enumerate(passages):
        first = int(units.offsets[row])
        for offset, unit in enumerate(units.of(row, passage.text)):
            # a passage's own vector (float32) wins over a unit's of the same text (float16)
            known.setdefault(vector_key(with_context(passage.section, unit.text)),
                             np.asarray(units.vectors[first + offset], dtype=np.float32))
    return known


def vector_key(text: str) -> str:
    """What a vector is reused by: the text the model read, wherever it comes from (a file
    renamed or a paragraph moved keeps its vector). The model and the splitting are
    checked before any reuse."""
    return hashlib.sha256(text.encode()).hexdigest()
