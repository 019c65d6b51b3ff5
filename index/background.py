"""What an unrelated question looks like on an index, learnt at ingest from background questions.

index/background_questions.txt holds 150 questions in French, Spanish, English and
Portuguese that no corpus of reports should answer (recipes, weather, sport…). Their
vectors serve twice, and are kept in the build (`background.npy`):

- **Hub passages.** Some passages sit close to every question: long, general
  paragraphs (« Aujourd'hui, il nous faut penser nos souverainetés… » came first for
  many unrelated questions). A passage's `hubness` is the mean cosine of its HUB_K
  closest background questions; the hybrid search subtracts FusionConfig.hub_weight
  times it from the passage's cosine (index.search). Stored as `hubness.npy`.
- **The no-answer threshold** (answer.gate): the evidence of each background question
  on this index, whose mean plus Z standard deviations a question must reach. e5
  cosines crowd into a narrow band (0.75 to 0.90 here) and move with the corpus and
  the model, so the threshold is learnt per index rather than fixed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from index.language import detect

if TYPE_CHECKING:
    import numpy as np

CALIBRATION = "learned-v1"  # the gate (answer.gate) reads only a calibration of this method
QUESTIONS = Path(__file__).with_name("background_questions.txt")
FILE = "background.npy"
HUBNESS = "hubness.npy"
HUB_K = 5
CHUNK = 65_536  # passages compared at once: bounded memory on large corpora


def questions() -> list[str]:
    lines = QUESTIONS.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def embed(embedder) -> np.ndarray:
    """The background questions' vectors (kept between ingests by index.query_cache)."""
    from index import query_cache

    return query_cache.embed_queries(embedder, questions())


def hubness(vectors: np.ndarray, background: np.ndarray, k: int = HUB_K) -> np.ndarray:
    """Each passage's mean cosine with its k closest background questions.

    >>> import numpy as np
    >>> passages = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    >>> [round(float(h), 3) for h in hubness(passages, np.array([[1, 0], [.6, .8], [.8, .6]]), 2)]
    [0.9, 0.7]
    """
    import numpy as np

    k = min(k, len(background))
    out = np.empty(len(vectors), dtype=np.float32)
    for start in range(0, len(vectors), CHUNK):
        sims = vectors[start:start + CHUNK] @ background.T
        out[start:start + CHUNK] = np.partition(sims, -k, axis=1)[:, -k:].mean(axis=1)
    return out


def best_cosines(vectors: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Each query's highest cosine with any passage (exactly, by blocks of passages)."""
    import numpy as np

    best = np.full(len(queries), -1.0, dtype=np.float32)
    for start in range(0, len(vectors), CHUNK):
        best = np.maximum(best, (queries @ vectors[start:start + CHUNK].T).max(axis=1))
    return best


def save(folder: Path, background: np.ndarray, hub: np.ndarray) -> None:
    import numpy as np

    np.save(folder / FILE, background.astype(np.float32), allow_pickle=False)
    np.save(folder / HUBNESS, hub.astype(np.float32), allow_pickle=False)


def load(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """The background vectors and the passages' hubness (the latter mapped from disk)."""
    import numpy as np

    return (np.load(folder / FILE, allow_pickle=False),
            np.load(folder / HUBNESS, mmap_mode="r", allow_pickle=False))


def calibrate(background: np.ndarray, questions: list[str], best: np.ndarray) -> dict:
    """The gate's settings for an index: the background questions' best cosines on it,
    [mean, standard deviation] by language (a language with fewer than 5 questions
    borrows the overall figures)."""
    languages = [detect(q) for q in questions]
    overall = [round(float(best.mean()), 6), round(float(best.std()), 6) or 1.0]
    stats = {}
    for lang in sorted(set(languages)):
        values = best[[i for i, seen in enumerate(languages) if seen == lang]]
        stats[lang] = ([round(float(values.mean()), 6), round(float(values.std()), 6) or 1.0]
                       if len(values) >= 5 else overall)
    return {"method": CALIBRATION, "background": stats, "overall": overall,
            "background_questions": len(questions)}
