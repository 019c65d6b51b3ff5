"""Side by side at query time: this project's hybrid search against the plain LangChain
pipeline (benchmarks.plain), on the indexes benchmarks.ingest built, with the same
questions, metrics and warm latency as `ess eval` (answer.evaluate).

    .venv/bin/python -m benchmarks.compare --scratch /tmp/ess-bench/main

Quality on the development set (seed corpus) and the 1,000 PIAF questions; latency
also on the Code du travail, asked the PIAF questions (no gold there: latency only).
Each searcher is loaded in this process once; every question is asked once, warm.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks.common import PIAF, SHARED, machine, save, table

SETS = {"seed": SHARED / "eval" / "dev.jsonl", "piaf": PIAF / "questions-1000.jsonl",
        "codes": PIAF / "questions-1000.jsonl"}


def compare(scratch: Path, corpus: str) -> dict:
    from answer.evaluate import evaluate, load_questions
    from benchmarks.plain import PlainSearcher
    from index.search import Searcher

    questions = load_questions(SETS[corpus])
    if corpus == "codes":
        questions = questions[:300]
    out = {}
    for name, searcher in (("ess", Searcher(scratch / f"{corpus}-ess")),
                           ("plain", PlainSearcher(scratch / f"{corpus}-plain"))):
        report = evaluate(searcher, questions, k=20, mode="hybrid" if name == "ess" else "dense")
        out[name] = report.to_dict()
        out[name].pop("misses")
        print(f"{corpus} {name}: hit@1 {report.hit_at_1:.3f}, median "
              f"{report.latency_median_ms:.1f} ms", file=sys.stderr, flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/ess-bench/main"))
    parser.add_argument("--corpora", default="seed,piaf,codes")
    args = parser.parse_args(argv)
    results = {c: compare(args.scratch, c) for c in args.corpora.split(",")
               if (args.scratch / f"{c}-plain").is_dir()}
    rows = []
    for corpus, pair in results.items():
        for name, r in pair.items():
            quality = corpus != "codes"
            rows.append([corpus, name, r["passages"], f"{r['mean_passage_chars']:.0f}",
                         r["questions"],
                         f"{r['hit_at_1']:.3f}" if quality else "–",
                         f"{r['hit_at_5']:.3f}" if quality else "–",
                         f"{r['mrr_at_10']:.3f}" if quality else "–",
                         f"{r['latency_median_ms']:.1f}", f"{r['latency_p95_ms']:.1f}"])
        rows.append([corpus, "ess / plain", "", "", "", "", "", "",
                     f"{pair['ess']['latency_median_ms'] / pair['plain']['latency_median_ms']:.2f}",
                     f"{pair['ess']['latency_p95_ms'] / pair['plain']['latency_p95_ms']:.2f}"])
    text = table(["corpus", "pipeline", "passages", "mean chars", "questions", "hit@1", "hit@5",
                  "MRR@10",
                  "median ms", "p95 ms"], rows)
    print(f"Machine: {machine()}\n\n{text}")
    print(f"\nRaw figures: {save('compare', {'results': results, 'summary': text})}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
