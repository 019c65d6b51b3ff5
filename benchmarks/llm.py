"""A real model writes the answers: how many of its sentences the check keeps, why it
drops the others, and how long an answer takes. Not in CI: it needs a model server.

    ESS_LLM_URL=http://127.0.0.1:8089/v1 ESS_LLM_MODEL=smollm2 \\
        python -m benchmarks.llm [--seed-index DIR] [--piaf-index DIR] [--piaf 5]
                                 [--max-tokens N]

Asks the 25 dev questions of the bundled corpus (/work/shared/eval/dev.jsonl) and the
first `--piaf` PIAF dev questions of the PIAF index, each through answer.written.write as
`ess answer --llm` does. Figures go to benchmarks/results/llm.json, a summary and a few
answers as they read to standard output (docs/evaluation.md).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

from benchmarks.check import PIAF, PIAF_INDEX, SHARED_DATA
from benchmarks.common import SEED, median, percentile, save, table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.llm", description=__doc__)
    parser.add_argument("--seed-index", type=Path, default=None)
    parser.add_argument("--piaf-index", type=Path, default=PIAF_INDEX)
    parser.add_argument("--piaf", type=int, default=5, help="PIAF dev questions")
    parser.add_argument("--no-stream", action="store_true")
    parser.add_argument("--max-tokens", type=int, default=None,
                        help="cap the model's reply (default: answer.llm.MAX_TOKENS, 512); "
                             "a slow CPU model answers in time with 160")
    args = parser.parse_args(argv)
    from answer import llm
    from answer.llm import NOT_CONFIGURED, LlmSettings
    from answer.written import write
    from ess.engine import Engine

    if args.max_tokens:
        llm.MAX_TOKENS = args.max_tokens

    settings = LlmSettings.from_env()
    if settings is None:
        print(f"Erreur : {NOT_CONFIGURED}", file=sys.stderr)
        return 1
    seed_index = args.seed_index
    if seed_index is None:
        import tempfile

        from ingest.build import build

        seed_index = Path(tempfile.mkdtemp(prefix="ess-llm-")) / "index"
        build(SEED, seed_index, show_progress=False)
    dev = [json.loads(line)["question"]
           for line in (SHARED_DATA / "eval" / "dev.jsonl").open(encoding="utf-8")]
    piaf = [row["question"] for row in map(json.loads, (PIAF / "qa.jsonl").open(
        encoding="utf-8")) if row["split"] == "dev"][:args.piaf]
    rows = []
    for folder, questions in ((seed_index, dev), (args.piaf_index, piaf)):
        if not questions:
            continue
        engine = Engine(folder)
        for question in questions:
            answer = engine.answer(question)
            started = time.monotonic()
            written = write(engine.searcher, answer, settings, stream=not args.no_stream)
            rows.append({"question": question, "mode": written.mode,
                         "fallback": written.fallback, "seconds": time.monotonic() - started,
                         "model_seconds": written.seconds, "asked": bool(written.where),
                         "kept": [c.claim.text + " " + "".join(f"[{n}]" for n in c.claim.markers)
                                  for c in written.kept],
                         "dropped": [{"text": c.claim.text, "reason": c.reason}
                                     for c in written.dropped],
                         "extractive": answer.text()})
            print(f"{len(rows):2d}. {written.mode:10s} {len(written.kept)} gardées "
                  f"{len(written.dropped)} écartées {rows[-1]['seconds']:.1f} s", file=sys.stderr)
    asked = [r for r in rows if r["asked"]]
    reasons = Counter(_kind(d["reason"]) for r in rows for d in r["dropped"])
    payload = {"model": settings.model, "max_tokens": answer.llm.MAX_TOKENS,
               "url": settings.url, "questions": len(rows),
               "asked": len(asked), "written": sum(r["mode"] == "llm" for r in rows),
               "kept": sum(len(r["kept"]) for r in rows),
               "dropped": sum(len(r["dropped"]) for r in rows), "reasons": dict(reasons),
               "fallbacks": dict(Counter(r["fallback"] for r in rows if r["fallback"])),
               "seconds_median": median([r["seconds"] for r in asked]) if asked else None,
               "seconds_p90": percentile([r["seconds"] for r in asked], 90) if asked else None,
               "rows": rows}
    path = save("llm", payload)
    print(table(["questions", "model asked", "written (≥ 1 sentence kept)", "sentences kept",
                 "dropped", "time per answer, median", "p90"],
                [[payload["questions"], payload["asked"], payload["written"], payload["kept"],
                  payload["dropped"], f"{payload['seconds_median']:.1f} s",
                  f"{payload['seconds_p90']:.1f} s"]]))
    print()
    print(table(["why dropped", "sentences"], sorted(reasons.items(), key=lambda kv: -kv[1])))
    print()
    print(table(["fallback", "answers"], sorted(payload["fallbacks"].items(),
                                                key=lambda kv: -kv[1])))
    print(f"\n→ {path}", file=sys.stderr)
    return 0


def _kind(reason: str) -> str:
    """A dropped sentence's reason without the figure or name it quotes."""
    if "ne figure dans aucun passage cité" in reason:
        return "« … » ne figure dans aucun passage cité"
    if reason.startswith("renvoie au passage"):
        return "renvoie à un passage qui n'a pas été donné"
    return reason


if __name__ == "__main__":
    sys.exit(main())
