"""Query vectors of fixed texts, kept from one ingest to the next.

Every build embeds the same texts whatever the corpus: the background questions that
calibrate the no-answer threshold (answer.compose) and the theme descriptions
(index.themes). On the seed corpus that was 1.9 s of an 8 s ingest. They are kept in
one small file per model under the user's cache folder, keyed by the model, its query
prefix and the text, so a text embedded once is never embedded again by that model.

    $ESS_CACHE (default: $XDG_CACHE_HOME/ess-recherche, else ~/.cache/ess-recherche)

`ESS_CACHE=off` turns the cache off. A cache that cannot be read or written is
ignored: the vectors are then computed, as without it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from pathlib import Path

import numpy as np

from index.settings import Settings

log = logging.getLogger(__name__)


def folder() -> Path | None:
    """Where the cache lives; None when ESS_CACHE=off (index.settings)."""
    return Settings.from_env().cache


def embed_queries(embedder, texts: list[str]) -> np.ndarray:
    """The query vectors of `texts` (n × dim), embedding only those never seen before."""
    place = folder()
    if place is None or not texts:
        return embedder.embed_queries(texts)
    model = f"{embedder.name}\n{embedder.query_prefix}\n{embedder.dim}"
    path = place / f"queries-{_sha(model)[:16]}.npz"
    known = _read(path, embedder.dim)
    keys = [_sha(f"{model}\n{text}") for text in texts]
    missing = {key: text for key, text in zip(keys, texts, strict=True) if key not in known}
    if missing:
        fresh = embedder.embed_queries(list(missing.values()))
        known.update(zip(missing, np.asarray(fresh, dtype=np.float32), strict=True))
        _write(path, known)
    return np.stack([known[key] for key in keys])


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _read(path: Path, dim: int) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as data:
            keys, vectors = data["keys"], data["vectors"]
        if vectors.shape != (len(keys), dim):
            return {}
        return {str(key): vector for key, vector in zip(keys, vectors, strict=True)}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError) as exc:
        log.debug("query cache %s unreadable (%s): ignored", path, exc)
        return {}


def _write(path: Path, known: dict[str, np.ndarray]) -> None:
    """Replace the file in one step, so a reader never sees half of it."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as out:
            np.savez(out, keys=np.array(list(known), dtype="U64"),
                     vectors=np.stack(list(known.values())).astype(np.float32))
        os.replace(tmp, path)
    except OSError as exc:
        log.debug("query cache %s not written (%s)", path, exc)
        try:
            tmp.unlink(missing_ok=True)
        except OSError:  # no folder to hold it: nothing was written
            pass
