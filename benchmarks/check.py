"""How well answer.check tells faithful sentences from unfaithful ones, and the curve its
thresholds are chosen from.

    python -m benchmarks.check [--seed-index DIR] [--piaf-index DIR] [--piaf N]

Sentences are made from the project's own answers (answer.compose) to the dev questions of
the bundled corpus (/work/shared/eval/dev.jsonl) and to N PIAF questions of each split
(/work/shared/data/piaf/qa.jsonl), each cited as a model would cite it:

- **faithful**: each answer unit with its marker (verbatim), with its marker and another
  passage's, cut at its first clause, and the hand-written paraphrases of
  benchmarks/data/check_paraphrases.jsonl;
- **unfaithful**: the unit with a figure changed, a date added, a name swapped for one
  of another passage, a negation inserted; another question's unit cited as this
  passage's; the unit cited with another passage's marker, with no marker, with a
  marker out of range; invented sentences (benchmarks/data/check_invented.txt) and the
  question itself.

The thresholds (answer.check MIN_SUPPORT, MIN_COVERAGE) are chosen on the PIAF train
questions and half the dev questions (« choose »): the pair that keeps the most faithful
sentences while catching at least 0.95 of the unfaithful (among equals, the strictest);
the figures are reported on the PIAF dev questions and the other half (« report »).
Figures go to benchmarks/results/check.json, tables to standard output (docs/evaluation.md).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import index  # noqa: F401  (OpenMP tamed before numpy's and FAISS's libraries load)
from answer.check import MIN_COVERAGE, MIN_SUPPORT, Checker, Claim, names
from benchmarks.common import ROOT, SEED, SHARED, save, table
from index.text import match_form
from index.tokenize import fold
from index.units import _FINITE

DATA = Path(__file__).with_name("data")
# the shared data beside the repository (a worktree further down: /work/shared)
SHARED_DATA = next((p for p in (SHARED, Path("/work/shared")) if p.is_dir()), SHARED)
PIAF = SHARED_DATA / "data" / "piaf"
PIAF_INDEX = Path("/tmp/ess-training/piaf-full")
TARGET_CAUGHT = 0.95
SUPPORTS = [round(x, 3) for x in np.arange(0.70, 0.951, 0.005)]
COVERAGES = [round(x, 2) for x in np.arange(0.0, 1.001, 0.05)]


@dataclass(frozen=True)
class Case:
    question: str
    passages: tuple[str, ...]
    claim: Claim
    kind: str
    faithful: bool
    half: str  # "choose" or "report"
    source: str  # "seed" or "piaf"


def negate(text: str) -> str | None:
    """The unit with its first finite verb denied, or an opening infinitive refused.

    >>> negate("L'ESS a démontré sa capacité.")
    "L'ESS n'a pas démontré sa capacité."
    >>> negate("Créer des fonds.")
    'Ne pas créer des fonds.'
    """
    words = text.split(" ")
    for i, word in enumerate(words):
        if word.lower() in _FINITE and i > 0:
            elided = word[0].lower() in "aeiouéèêh"
            words[i] = f"n'{word} pas" if elided else f"ne {word} pas"
            return " ".join(words)
    if re.fullmatch(r"[A-ZÉ][a-zéè]+(?:er|ir|re)", words[0]):
        return "Ne pas " + words[0].lower() + " " + " ".join(words[1:])
    return None


def change_number(text: str, rng: random.Random) -> str | None:
    found = list(re.finditer(r"\d+", text))
    if not found:
        return None
    match = rng.choice(found)
    value = int(match.group())
    changed = value + (3 if 1900 <= value <= 2100 else max(1, value // 4 + 1))
    return text[:match.start()] + str(changed) + text[match.end():]


def first_clause(text: str) -> str | None:
    parts = re.split(r"[,;:]\s", text, maxsplit=1)
    if len(parts) < 2 or len(parts[0].split()) < 6:
        return None
    return parts[0].rstrip() + "."


def cases_of(answerer, questions: list[tuple[str, str, str]], source: str,
             paraphrases: dict, invented: list[str], rng: random.Random) -> list[Case]:
    """The sentences of every answered question (see the module's docstring)."""
    answers = []
    for qid, question, half in questions:
        answer = answerer.answer(question, 5)
        if answer.answered and answer.sentences:
            answers.append((qid, question, half, answer))
    pool_units = [(qid, s.text) for qid, _, _, a in answers for s in a.sentences]
    pool_names = sorted({n for _, _, _, a in answers for h in a.hits
                         for n in names(h.passage.text) if len(n) > 3})
    out: list[Case] = []
    for number, (qid, question, half, answer) in enumerate(answers):
        passages = tuple(h.passage.text for h in answer.hits)
        folded = [fold(p) for p in passages]

        def add(text, markers, kind, faithful, question=question, passages=passages,
                half=half):
            out.append(Case(question, passages, Claim(text, tuple(markers)), kind, faithful,
                            half, source))

        for s in answer.sentences:
            text, m = s.text, s.marker
            others = [n for n in range(1, len(passages) + 1)
                      if n != m and match_form(text) not in match_form(passages[n - 1])]
            add(text, [m], "verbatim", True)
            if others:
                add(text, [m, others[0]], "two markers", True)
                add(text, [rng.choice(others)], "wrong marker", False)
            if (clause := first_clause(text)) is not None:
                add(clause, [m], "first clause", True)
            for paraphrase in [t for start, t in paraphrases.get(qid, [])
                               if text.startswith(start)]:
                add(paraphrase, [m], "paraphrase", True)
            add(text, [], "no marker", False)
            add(text, [len(passages) + 1], "marker out of range", False)
            if (changed := change_number(text, rng)) is not None:
                add(changed, [m], "figure changed", False)
            year = rng.choice([y for y in range(1960, 2040)
                               if str(y) not in " ".join(passages)])
            add(text.rstrip(" .") + f", depuis {year}.", [m], "date added", False)
            own = [n for n in names(text) if len(n) > 3]
            strange = [n for n in pool_names if fold(n) not in folded[m - 1]]
            if own and strange:
                add(text.replace(rng.choice(own), rng.choice(strange), 1), [m], "name swapped",
                    False)
            if (denied := negate(text)) is not None:
                add(denied, [m], "negation", False)
            foreign = [t for q, t in pool_units if q != qid
                       and match_form(t) not in match_form(" ".join(passages))]
            if foreign:
                add(rng.choice(foreign), [m], "another passage's claim", False)
        add(invented[number % len(invented)], [1], "invented", False)
        add(question.rstrip(" ?") + ".", [1], "question copied", False)
    return out


def verdicts(checker: Checker, cases: list[Case]) -> list[dict]:
    """Each case's rule verdict and scores, with the thresholds off (swept afterwards)."""
    rows = []
    by_question: dict[tuple, list[int]] = {}
    for i, case in enumerate(cases):
        by_question.setdefault((case.question, case.passages), []).append(i)
    for (question, passages), members in by_question.items():
        checked = checker.check_claims(question, list(passages), [cases[i].claim for i in members])
        for i, result in zip(members, checked, strict=True):
            rows.append({"i": i, "rule": result.checks["rule"], "support": result.support,
                         "coverage": result.coverage})
    rows.sort(key=lambda r: r["i"])
    return rows


def caught(row: dict, support: float, coverage: float) -> bool:
    return bool(row["rule"]) or row["support"] < support or row["coverage"] < coverage


def shares(cases, rows, support, coverage, half=None) -> dict:
    picked = [(c, r) for c, r in zip(cases, rows, strict=True) if half in (None, c.half)]
    faithful = [caught(r, support, coverage) for c, r in picked if c.faithful]
    unfaithful = [caught(r, support, coverage) for c, r in picked if not c.faithful]
    return {"kept": 1 - float(np.mean(faithful)), "caught": float(np.mean(unfaithful)),
            "faithful": len(faithful), "unfaithful": len(unfaithful)}


def choose(cases, rows) -> tuple[float, float, list[dict]]:
    grid = []
    for support in SUPPORTS:
        for coverage in COVERAGES:
            grid.append({"support": support, "coverage": coverage,
                         **shares(cases, rows, support, coverage, "choose")})
    good = [g for g in grid if g["caught"] >= TARGET_CAUGHT] or grid
    # among pairs that keep as many, the strictest: safer for kinds the benchmark lacks
    best = max(good, key=lambda g: (round(g["kept"], 4), round(g["caught"], 4),
                                    g["coverage"], g["support"]))
    return best["support"], best["coverage"], grid


def questions_of(path: Path, seed_rng: random.Random, piaf: int):
    dev = [json.loads(line) for line in (SHARED_DATA / "eval" / "dev.jsonl").open(encoding="utf-8")]
    seed = [(q["id"], q["question"], "choose" if i % 2 == 0 else "report")
            for i, q in enumerate(dev)]
    rows = [json.loads(line) for line in (PIAF / "qa.jsonl").open(encoding="utf-8")]
    picked = []
    for split, half in (("train", "choose"), ("dev", "report")):
        members = [r for r in rows if r["split"] == split]
        picked += [(r["id"], r["question"], half) for r in seed_rng.sample(members, piaf)]
    return seed, picked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.check", description=__doc__)
    parser.add_argument("--seed-index", type=Path, default=None,
                        help="index of corpus/ (default: built in a temporary folder)")
    parser.add_argument("--piaf-index", type=Path, default=PIAF_INDEX)
    parser.add_argument("--piaf", type=int, default=150, help="PIAF questions per split")
    args = parser.parse_args(argv)
    from answer.compose import Answerer
    from index.search import Searcher

    started = time.monotonic()
    seed_index = args.seed_index
    if seed_index is None:
        from ingest.build import build

        seed_index = Path(tempfile.mkdtemp(prefix="ess-check-")) / "index"
        build(SEED, seed_index, show_progress=False)
    paraphrases: dict[str, list[tuple[str, str]]] = {}  # question id -> (unit's start, text)
    for line in (DATA / "check_paraphrases.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        paraphrases.setdefault(row["id"], []).append((row["unit"], row["text"]))
    invented = [line.strip() for line in (DATA / "check_invented.txt").open(encoding="utf-8")
                if line.strip() and not line.startswith("#")]
    rng = random.Random(23)
    seed_questions, piaf_questions = questions_of(PIAF, rng, args.piaf)
    cases, rows = [], []
    for folder, questions, source in ((seed_index, seed_questions, "seed"),
                                      (args.piaf_index, piaf_questions, "piaf")):
        searcher = Searcher(folder)
        answerer = Answerer(searcher)
        made = cases_of(answerer, questions, source, paraphrases, invented, rng)
        checker = Checker(searcher.embedder, searcher.store.lexical, -1.0, -1.0)
        cases += made
        rows += verdicts(checker, made)
    used = sum(c.kind == "paraphrase" for c in cases)
    support, coverage, grid = choose(cases, rows)
    report = {half: shares(cases, rows, support, coverage, half) for half in ("choose", "report")}
    shipped = {half: shares(cases, rows, MIN_SUPPORT, MIN_COVERAGE, half)
               for half in ("choose", "report")}
    kinds = {}
    for kind in sorted({c.kind for c in cases}):
        picked = [(c, r) for c, r in zip(cases, rows, strict=True)
                  if c.kind == kind and c.half == "report"]
        if picked:
            hits = [caught(r, support, coverage) for _, r in picked]
            faithful = picked[0][0].faithful
            kinds[kind] = {"faithful": faithful, "n": len(picked),
                           "share": 1 - float(np.mean(hits)) if faithful else float(np.mean(hits)),
                           "rules": _rules(picked, support, coverage)}
    payload = {"chosen": {"support": support, "coverage": coverage}, "chosen_figures": report,
               "shipped": {"support": MIN_SUPPORT, "coverage": MIN_COVERAGE,
                           "figures": shipped},
               "by_kind_report": kinds, "paraphrases_used": used, "cases": len(cases),
               "questions": {"seed": len(seed_questions), "piaf": len(piaf_questions)},
               "seconds": round(time.monotonic() - started, 1),
               "curve_coverage": [g for g in grid if g["support"] == support],
               "curve_support": [g for g in grid if g["coverage"] == coverage],
               "rows": [{"kind": c.kind, "half": c.half, "source": c.source,
                         "faithful": c.faithful, "text": c.claim.text,
                         "markers": list(c.claim.markers), **{k: r[k] for k in
                                                               ("rule", "support", "coverage")}}
                        for c, r in zip(cases, rows, strict=True)]}
    path = save("check", payload)
    print(_markdown(payload), file=sys.stdout)
    print(f"\n→ {path.relative_to(ROOT)}", file=sys.stderr)
    return 0


def _rules(picked, support, coverage) -> dict:
    counts: dict[str, int] = {}
    for _, r in picked:
        rule = r["rule"] or ("meaning" if caught(r, support, coverage) else "kept")
        counts[rule] = counts.get(rule, 0) + 1
    return counts


def _markdown(p: dict) -> str:
    f = p["chosen_figures"]
    lines = [f"{p['cases']} sentences from {p['questions']['seed']} dev and "
             f"{p['questions']['piaf']} PIAF questions ({p['paraphrases_used']} hand-written "
             f"paraphrases), {p['seconds']} s.", "",
             f"Chosen on « choose »: support ≥ {p['chosen']['support']}, coverage ≥ "
             f"{p['chosen']['coverage']}; shipped (answer.check): support ≥ "
             f"{p['shipped']['support']}, coverage ≥ {p['shipped']['coverage']}.", "",
             table(["half", "faithful", "kept", "unfaithful", "caught"],
                   [[h, f[h]["faithful"], f"{f[h]['kept']:.3f}", f[h]["unfaithful"],
                     f"{f[h]['caught']:.3f}"] for h in ("choose", "report")]), "",
             f"(At the shipped thresholds, « report »: kept "
             f"{p['shipped']['figures']['report']['kept']:.3f}, caught "
             f"{p['shipped']['figures']['report']['caught']:.3f}.)", "",
             "By kind, on « report », at the chosen thresholds (faithful: share kept; "
             "unfaithful: share caught):", "",
             table(["kind", "", "sentences", "share", "which rule"],
                   [[k, "faithful" if v["faithful"] else "unfaithful", v["n"],
                     f"{v['share']:.3f}", ", ".join(f"{r} {n}" for r, n in
                                                   sorted(v["rules"].items()))]
                    for k, v in p["by_kind_report"].items()]), "",
             f"Curve on « choose », support ≥ {p['chosen']['support']}:", "",
             table(["coverage ≥", "faithful kept", "unfaithful caught"],
                   [[g["coverage"], f"{g['kept']:.3f}", f"{g['caught']:.3f}"]
                    for g in p["curve_coverage"]]), "",
             f"Curve on « choose », coverage ≥ {p['chosen']['coverage']}:", "",
             table(["support ≥", "faithful kept", "unfaithful caught"],
                   [[g["support"], f"{g['kept']:.3f}", f"{g['caught']:.3f}"]
                    for g in p["curve_support"][::2]])]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
