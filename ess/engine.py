"""The one object every front end calls: the page, the command line and the API.

`Engine(index_dir)` answers from the index folder's current build. It loads that build
when first asked (index.store.current: one small file read a call) and loads it again
when an ingest has made another build current, so a long-running page or API picks up
new documents at the next question. Models load only when first needed: listing themes
or related passages never loads the embedding model, and the reranker named by
ESS_RERANKER loads at the first search.

The read path is written once, here:
- `search`: the k best passages (index.search);
- `answer`: the search, the optional filters of the page (documents, sections), then the
  answer composed from what the search computed (answer.compose: the gate reuses the
  search's cosines and BM25 scores, nothing is searched twice);
- `write`: the answer written by a language model the user brings, every sentence
  checked (answer.written), when one is configured;
- `related`, `themes`, `health`, `source_text`: the rest of what a front end shows.
Front ends parse their input, call one of these and render the typed records they get
(index.records.Hit, answer.compose.Answer, index.related.Related…).
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from answer.compose import Answer, Answerer
from index import store
from index.records import Hit, Passage
from index.search import Retrieval, Searcher, narrow

log = logging.getLogger(__name__)
CANDIDATES = 30  # passages searched when the page's filters narrow them afterwards


@dataclass(frozen=True)
class Health:
    """What `/health` and `ess serve` say of the index in service."""

    build: str
    passages: int
    model: str

    def to_dict(self) -> dict:
        return {"status": "ok", "build": self.build, "passages": self.passages,
                "model": self.model}


class Engine:
    """Search, answers, related passages and themes of the index at `index_dir`.

    `model`, `embedder` and `reranker` are passed to index.search.Searcher (the CLI's
    --model and --reranker, tests' fake embedder). Thread-safe: the API calls it from
    several threads; a build is loaded once.
    """

    def __init__(self, index_dir: Path, model: str | None = None, embedder=None,
                 reranker=None) -> None:
        self.index_dir = Path(index_dir)
        self._options = {"model": model, "embedder": embedder, "reranker": reranker}
        self._loaded: tuple[str, Searcher, dict] | None = None  # (build, its searcher, its
        # answerer once made)
        self._loading = threading.Lock()
        self._sources: dict[Path, tuple[float, str | None]] = {}

    # -- the current build -------------------------------------------------------

    @property
    def searcher(self) -> Searcher:
        """The Searcher of the current build (loaded when first asked for, or when an
        ingest has made another build current)."""
        name = store.current(self.index_dir).name
        loaded = self._loaded
        if loaded is not None and loaded[0] == name:
            return loaded[1]
        with self._loading:
            loaded = self._loaded
            if loaded is None or loaded[0] != name:
                searcher = Searcher(self.index_dir, **self._options)
                # the build it loaded, which an ingest may have made current since `name`
                loaded = self._loaded = (searcher.store.folder.name, searcher, {})
                log.info("index chargé : %s (%d passages)", loaded[0], len(searcher.passages))
            return loaded[1]

    def answerer(self) -> Answerer:
        """The current build's Answerer (its models read when first needed)."""
        searcher = self.searcher
        loaded = self._loaded
        made = loaded[2] if loaded is not None and loaded[1] is searcher else {}
        if "answerer" not in made:
            made["answerer"] = Answerer(searcher)
        return made["answerer"]

    @property
    def build(self) -> str:
        """The name of the build in service."""
        return self.searcher.store.folder.name

    @property
    def corpus(self) -> Path:
        """The corpus folder the build was made from."""
        return Path(self.searcher.store.manifest["corpus"])

    @property
    def model(self) -> str:
        """The embedding model's name, as the manifest records it."""
        return self.searcher.store.manifest["model"]["name"]

    def health(self) -> Health:
        searcher = self.searcher
        return Health(searcher.store.folder.name, len(searcher.passages), self.model)

    # -- reading -----------------------------------------------------------------

    def retrieve(self, question: str, k: int = 5, mode: str = "hybrid",
                 theme: str | None = None) -> Retrieval:
        """The k best passages and what the search computed on the way."""
        return self.searcher.retrieve(question, k, mode, theme)

    def search(self, question: str, k: int = 5, mode: str = "hybrid",
               theme: str | None = None) -> list[Hit]:
        """The k best passages, best first, without repeats (index.search)."""
        return self.retrieve(question, k, mode, theme).hits

    def answer(self, question: str, k: int = 5, mode: str = "hybrid",
               retrieval: Retrieval | None = None, documents: list[str] | None = None,
               sections: list[str] | None = None) -> Answer:
        """The answer from the k best passages, or from those of `retrieval` (a search
        already made, as the page makes one of CANDIDATES to offer its filters) kept by
        the documents and sections chosen."""
        answerer = self.answerer()
        if retrieval is None:
            if not documents and not sections:
                return answerer.answer(question, k, mode)
            retrieval = self.retrieve(question, CANDIDATES, mode)
        hits = narrow(retrieval.hits, documents, sections, k)
        return answerer.compose(question, hits, retrieval)

    def write(self, answer: Answer, settings):
        """The answer written by the language model the user configured (answer.llm
        settings), every sentence checked against the passages it cites, or the
        extractive `answer` with the reason (answer.written)."""
        from answer.written import write

        return write(self.searcher, answer, settings)

    def related(self, passage_id: str, k: int = 5):
        """The passages closest to a passage (index.related); KeyError if unknown."""
        from index.related import related

        return related(self.searcher, passage_id, k)

    @property
    def themes(self):
        """The theme catalogue and its passages (index.themes.ThemeIndex)."""
        return self.searcher.themes

    def source_text(self, passage: Passage) -> str | None:
        """The text of a passage's source file, for its context; None when the file has
        gone. Read once per file version (PDFs are not extracted again at every rerun)."""
        from ingest.read import read_text

        path = self.corpus / passage.source
        try:
            stamp = os.stat(path).st_mtime_ns
        except OSError:
            return None
        cached = self._sources.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            text = read_text(path)
        except OSError:
            text = None
        if len(self._sources) >= 64:
            self._sources.clear()
        self._sources[path] = (stamp, text)
        return text
