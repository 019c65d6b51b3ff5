"""The no-answer gate's trade-off: answered share against flagged share, as Z moves.

The gate (index.gate) answers a question when its evidence reaches the background
questions' mean plus Z standard deviations, and its names and kind of answer check
out. This script computes every question's evidence once, then moves Z: for each
value, the share of answerable questions answered and of unanswerable ones (rows
`{"kind": "none"}`) flagged, per language. The row marked « ← » is the Z in use.

    .venv/bin/python -m benchmarks.gate_curve --index /tmp/seed-index \\
        ../shared/eval/dev.jsonl tests/data/multilingual.jsonl tests/data/unanswerable.jsonl
"""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.common import save, table

ZS = (0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5)


def measure(index: Path, sets: list[Path]) -> dict:
    import numpy as np

    from index import background, gate
    from index.answer import Answerer
    from index.evaluate import load_questions
    from index.search import Searcher

    answerer = Answerer(Searcher(index))
    searcher, store = answerer.searcher, answerer.searcher.store
    vectors = store.vectors.reconstruct_n(0, store.vectors.ntotal)
    prior = gate.background_evidence(store.background, background.questions(),
                                     background.best_cosines(vectors, store.background),
                                     store.lexical)
    rows = []
    for path in sets:
        for q in load_questions(path):
            if q.kind == "theme":
                continue
            query = searcher.query_vector(q.question)
            best, _ = store.vectors.search(query[None], 1)
            hits = searcher.search(q.question, 5)
            rows.append({"lang": q.lang, "answerable": q.kind != "none",
                         "evidence": answerer.gate.evidence(q.question, query,
                                                            float(best[0][0])),
                         "checks": bool(answerer.gate.checks(
                             q.question, [h.passage.text for h in hits]))})
    curve = []
    for z in ZS:
        threshold = float(prior.mean() + z * prior.std())
        point = {"z": z, "threshold": round(threshold, 4)}
        for lang in sorted({r["lang"] for r in rows}):
            for answerable, name in ((True, "answered"), (False, "flagged")):
                group = [r for r in rows if r["lang"] == lang and r["answerable"] == answerable]
                if group:
                    passed = [r["checks"] and r["evidence"] >= threshold for r in group]
                    share = np.mean(passed) if answerable else 1 - np.mean(passed)
                    point[f"{name} {lang}"] = round(float(share), 3)
        curve.append(point)
    return {"index": str(index), "sets": [str(p) for p in sets], "z_in_use": gate.Z,
            "questions": len(rows), "curve": curve}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", type=Path, metavar="QUESTIONS.jsonl")
    parser.add_argument("--index", type=Path, required=True)
    args = parser.parse_args(argv)
    results = measure(args.index, args.sets)
    columns = [c for c in results["curve"][0] if c not in ("z", "threshold")]
    print(table(["Z", "threshold", *columns],
                [[f"{p['z']:g}" + (" ←" if p["z"] == results["z_in_use"] else ""),
                  f"{p['threshold']:.4f}", *(f"{p.get(c, float('nan')):.3f}" for c in columns)]
                 for p in results["curve"]]))
    save("gate_curve", results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
