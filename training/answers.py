"""Train the answer's two models: which units answer, and whether anything answers.

    python -m training.answers [--work DIR] [--piaf ../shared/data/piaf] [--seed 20]
                               [--out answer/models]

Data (docs/evaluation.md « Answers learned from data »):
- PIAF's 5,761 training questions (`qa.jsonl`, `"split": "train"`), each with its
  annotated answer span and its article, and 1,000 of them again in Spanish, English
  and Portuguese each (`training/data/piaf_train_{es,en,pt}.jsonl`);
- questions on the bundled corpus written for training: answerable ones with gold
  phrases (`training/data/seed_train.jsonl`) and unanswerable ones, off the domain,
  near it, and small talk, in four languages (`training/data/unanswerable_train.jsonl`),
  with random letters and single foreign words made here;
- no development or evaluation question (`split: dev`, ../shared/eval, tests/data).

Indexes: PIAF's articles are shuffled with the seed and split in two halves, each
indexed alone (their vectors reused from one index of the whole corpus). A PIAF
question is asked of both halves: the one with its article answers it (its units
train the units model; its evidence is a positive for the gate), the other lacks its
article (a negative). The bundled corpus is indexed too.

Models: LightGBM, deterministic, with the seed, on 2 threads. Units: a binary
classifier over the candidate units of a question's 5 best passages, labelled by
whether the unit holds the annotated answer (or a gold phrase). Gate: a binary
classifier over one row per (question, index), whose unit features (the best unit's
probability) come from units models that never saw that question's article
(five folds by article). The thresholds are chosen on cross-validated predictions:
`more`, the probability a second or third unit needs, and the gate's, each by the
rule written next to it below. The models are written as answer.trees files; the
evidence rows are kept in DIR (`observations.npz`) so that training again takes a
minute.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import string
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before LightGBM loads its OpenMP

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "training" / "data"
LANGS = ("es", "en", "pt")
FOLDS = 5
UNIT_PARAMS = {"objective": "binary", "learning_rate": 0.05, "num_leaves": 15,
               "min_data_in_leaf": 40, "feature_fraction": 0.8, "bagging_fraction": 0.8,
               "bagging_freq": 1, "lambda_l2": 1.0, "verbose": -1}
GATE_PARAMS = {"objective": "binary", "learning_rate": 0.05, "num_leaves": 15,
               "min_data_in_leaf": 40, "feature_fraction": 0.8, "bagging_fraction": 0.8,
               "bagging_freq": 1, "lambda_l2": 1.0, "verbose": -1}
UNIT_ROUNDS = 300
GATE_ROUNDS = 300


@dataclass(frozen=True)
class Asked:
    """A training question: its text, what holds its answer, where it comes from."""

    id: str
    text: str
    lang: str
    answers: tuple[str, ...]  # the annotated span, or gold phrases; () when unanswerable
    group: str  # its article (PIAF) or its own id: folds never split a group
    source: str  # piaf, seed, none
    scope: str = ""  # for unanswerable ones: offdomain, near, chitchat, noise


@dataclass
class Observations:
    """The evidence rows of every (question, index) asked."""

    unit_rows: list = field(default_factory=list)
    unit_labels: list = field(default_factory=list)
    unit_owner: list = field(default_factory=list)  # the question row each unit row serves
    unit_chars: list = field(default_factory=list)
    question_rows: list = field(default_factory=list)
    question_labels: list = field(default_factory=list)
    question_groups: list = field(default_factory=list)
    question_sources: list = field(default_factory=list)
    question_langs: list = field(default_factory=list)
    question_trains_units: list = field(default_factory=list)  # its article was indexed

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path, unit_rows=np.array(self.unit_rows, dtype=np.float64).reshape(
                -1, len(_features().UNIT_FEATURES)),
            unit_labels=np.array(self.unit_labels, dtype=np.int8),
            unit_owner=np.array(self.unit_owner, dtype=np.int64),
            unit_chars=np.array(self.unit_chars, dtype=np.int64),
            question_rows=np.array(self.question_rows, dtype=np.float64),
            question_labels=np.array(self.question_labels, dtype=np.int8),
            question_groups=np.array(self.question_groups),
            question_sources=np.array(self.question_sources),
            question_langs=np.array(self.question_langs),
            question_trains_units=np.array(self.question_trains_units, dtype=bool))


def _features():
    from answer import features

    return features


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.answers",
                                     description="Entraîne les modèles de la réponse.")
    parser.add_argument("--work", type=Path, default=Path("/tmp/ess-training"),
                        help="dossier de travail : index et observations (réutilisés)")
    parser.add_argument("--piaf", type=Path, default=ROOT.parent / "shared" / "data" / "piaf")
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--out", type=Path, default=ROOT / "index" / "models")
    parser.add_argument("--observe-again", action="store_true",
                        help="recalculer les observations même si elles existent")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    cached = args.work / "observations.npz"
    if args.observe_again or not cached.is_file():
        indexes = build_indexes(args.work, args.piaf / "corpus", args.seed)
        observe_all(indexes, args.piaf, args.seed).save(cached)
    data = dict(np.load(cached))
    report = train(data, args.seed, args.out)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


def build_indexes(work: Path, corpus: Path, seed: int) -> dict:
    """The whole PIAF index, its two halves (vectors reused) and the bundled corpus's."""
    from ingest.build import build

    articles = sorted(p.name for p in corpus.glob("*.txt"))
    random.Random(seed).shuffle(articles)
    halves = {"a": set(articles[: len(articles) // 2]), "b": set(articles[len(articles) // 2:])}
    _log("indexing PIAF (whole corpus)")
    build(corpus, work / "piaf-full", show_progress=True)
    out = {"halves": {}, "seed": work / "seed"}
    for name, members in halves.items():
        folder = work / f"corpus-{name}"
        if not folder.is_dir():
            folder.mkdir()
            for article in members:
                shutil.copy(corpus / article, folder / article)
        index = work / f"piaf-{name}"
        if not index.exists():
            shutil.copytree(work / "piaf-full", index)  # its vectors are reused
        _log(f"indexing PIAF half {name}")
        build(folder, index, show_progress=True)
        out["halves"][name] = (index, members)
    _log("indexing the bundled corpus")
    build(ROOT / "corpus", work / "seed", show_progress=True)
    return out


def questions(piaf: Path, seed: int) -> dict[str, list[Asked]]:
    """Every training question, by source (never a development one)."""
    rows = [json.loads(line) for line in (piaf / "qa.jsonl").open(encoding="utf-8")]
    train = {r["id"]: r for r in rows if r["split"] == "train"}
    asked = {"piaf": [Asked(r["id"], r["question"], "fr", (r["answer"],), r["article"], "piaf")
                      for r in train.values()]}
    for lang in LANGS:
        for row in _jsonl(DATA / f"piaf_train_{lang}.jsonl"):
            original = train[row["id"]]  # KeyError: a translation of no training question
            asked["piaf"].append(Asked(f"{row['id']}-{lang}", row["question"], lang,
                                       (original["answer"],), original["article"], "piaf"))
    asked["seed"] = [Asked(r["id"], r["question"], r.get("lang", "fr"), tuple(r["gold"]),
                           r["id"], "seed") for r in _jsonl(DATA / "seed_train.jsonl")]
    asked["none"] = [Asked(r["id"], r["question"], r.get("lang", "fr"), (), r["id"], "none",
                           r["scope"]) for r in _jsonl(DATA / "unanswerable_train.jsonl")]
    asked["none"] += _noise(seed)
    return asked


def _noise(seed: int, count: int = 120) -> list[Asked]:
    """Random letters, and words of no corpus, as a user's slip of the keyboard."""
    rng = random.Random(seed)
    out = []
    for number in range(count):
        length = rng.randint(3, 12)
        word = "".join(rng.choice(string.ascii_lowercase) for _ in range(length))
        if number % 3 == 0:
            word = " ".join("".join(rng.choice(string.ascii_lowercase)
                                    for _ in range(rng.randint(2, 8))) for _ in range(3))
        out.append(Asked(f"noise-{number}", word, "fr", (), f"noise-{number}", "none",
                         "noise"))
    return out


def observe_all(indexes: dict, piaf: Path, seed: int) -> Observations:
    """Ask every question of the indexes it belongs to, and keep the evidence."""
    from index.search import Searcher

    asked = questions(piaf, seed)
    out = Observations()
    for name, (index, members) in indexes["halves"].items():
        searcher = Searcher(index)
        _log(f"observing PIAF half {name}")
        for q in _progress(asked["piaf"]):
            _observe(out, searcher, q, indexed=q.group in members)
        for q in asked["none"]:  # everyday questions may find an encyclopaedia's answer
            if q.scope != "offdomain":
                _observe(out, searcher, q, indexed=False)
    searcher = Searcher(indexes["seed"])
    _log("observing the bundled corpus")
    for q in _progress(asked["seed"] + asked["none"]):
        _observe(out, searcher, q, indexed=q.source == "seed")
    return out


def _observe(out: Observations, searcher, q: Asked, indexed: bool) -> None:
    from answer.questions import is_question
    from index.text import match_form

    if not is_question(q.text):
        return  # answered by the invitation, not by the models
    answerer = _answerer(searcher)
    retrieval = searcher.retrieve(q.text, 5)
    if not retrieval.hits:
        return
    evidence = answerer.evidence(q.text, retrieval.hits, retrieval)
    owner = len(out.question_rows)
    forms = [match_form(a) for a in q.answers]
    for candidate, row in zip(evidence.candidates, evidence.unit_rows, strict=True):
        text = match_form(candidate.unit.text)
        out.unit_rows.append(row)
        out.unit_labels.append(int(indexed and any(f in text for f in forms)))
        out.unit_owner.append(owner)
        out.unit_chars.append(len(candidate.unit.text))
    out.question_rows.append(evidence.question_row)
    out.question_labels.append(int(indexed))
    out.question_groups.append(q.group)
    out.question_sources.append(q.source)
    out.question_langs.append(q.lang)
    out.question_trains_units.append(indexed and q.source != "none")


_ANSWERERS: dict[int, object] = {}


def _answerer(searcher):
    """An Answerer whose models see nothing yet: the observations are their input."""
    from answer.compose import Answerer, Models

    answerer = _ANSWERERS.get(id(searcher))
    if answerer is None:
        answerer = _ANSWERERS[id(searcher)] = Answerer(searcher, Models(_Blank(), _Blank()))
    return answerer


class _Blank:
    """A model that has learnt nothing: probability 0 for every row."""

    meta = {"threshold": 0.5, "more_threshold": 1.0}

    def probability(self, rows):
        return np.zeros(len(rows))


def train(data: dict, seed: int, out: Path) -> dict:
    """Both models, their thresholds, and the cross-validated figures they rest on."""
    import lightgbm as lgb

    from answer import trees
    from answer.features import QUESTION_FEATURES, UNIT_FEATURES

    features_q = QUESTION_FEATURES
    groups = data["question_groups"]
    folds = _folds(groups, seed)
    unit_fold = folds[data["unit_owner"]]
    trains_units = data["question_trains_units"][data["unit_owner"]]
    x_units, y_units = data["unit_rows"], data["unit_labels"]
    oof_units = np.zeros(len(y_units))
    for fold in range(FOLDS):
        fit = trains_units & (unit_fold != fold)
        model = _fit(lgb, UNIT_PARAMS, UNIT_ROUNDS, x_units[fit], y_units[fit], None, seed,
                     UNIT_FEATURES)
        oof_units[unit_fold == fold] = model.predict(x_units[unit_fold == fold])
    units_model = _fit(lgb, UNIT_PARAMS, UNIT_ROUNDS, x_units[trains_units],
                       y_units[trains_units], None, seed, UNIT_FEATURES)
    more, unit_curve = _choose_more(data, oof_units)

    x_q = data["question_rows"].copy()
    _fill_unit_columns(x_q, data["unit_owner"], oof_units, features_q)
    y_q = data["question_labels"]
    weights = _weights(data)
    oof_gate = np.zeros(len(y_q))
    for fold in range(FOLDS):
        fit = folds != fold
        model = _fit(lgb, GATE_PARAMS, GATE_ROUNDS, x_q[fit], y_q[fit], weights[fit], seed,
                     features_q)
        oof_gate[folds == fold] = model.predict(x_q[folds == fold])
    gate_model = _fit(lgb, GATE_PARAMS, GATE_ROUNDS, x_q, y_q, weights, seed, features_q)
    threshold, gate_curve = _choose_threshold(data, oof_gate)

    counts = {"unit_rows": int(trains_units.sum()), "questions": len(y_q),
              "by_source": {s: int((data["question_sources"] == s).sum())
                            for s in np.unique(data["question_sources"])}}
    meta_units = {"more_threshold": more, "seed": seed, "rounds": UNIT_ROUNDS,
                  "params": UNIT_PARAMS, "trained_on": counts, "curve": unit_curve}
    meta_gate = {"threshold": threshold, "seed": seed, "rounds": GATE_ROUNDS,
                 "params": GATE_PARAMS, "trained_on": counts, "curve": gate_curve}
    out.mkdir(parents=True, exist_ok=True)
    for name, model, meta in (("units", units_model, meta_units),
                              ("gate", gate_model, meta_gate)):
        document = trees.from_lightgbm(model, name, meta)
        (out / f"{name}.json").write_text(json.dumps(document, separators=(",", ":")) + "\n",
                                          encoding="utf-8")
    return {"more_threshold": more, "gate_threshold": threshold, "counts": counts,
            "units": unit_curve, "gate": gate_curve}


def _fit(lgb, params, rounds, x, y, weights, seed, names):
    settings = {**params, "seed": seed, "deterministic": True, "force_row_wise": True,
                "num_threads": 2}
    dataset = lgb.Dataset(x, y, weight=weights, feature_name=list(names), free_raw_data=False)
    return lgb.train(settings, dataset, num_boost_round=rounds)


def _folds(groups: np.ndarray, seed: int) -> np.ndarray:
    """Each question row's fold, the same for every row of a group."""
    names = sorted(set(groups.tolist()))
    random.Random(seed).shuffle(names)
    fold_of = {name: i % FOLDS for i, name in enumerate(names)}
    return np.array([fold_of[g] for g in groups.tolist()])


def _fill_unit_columns(x_q, owners, probabilities, names) -> None:
    """The question rows' unit_p1, unit_p2, unit_gap from the units' probabilities."""
    p1, p2 = names.index("unit_p1"), names.index("unit_p2")
    gap = names.index("unit_gap")
    best = np.zeros((len(x_q), 2))
    for owner, p in zip(owners.tolist(), probabilities.tolist(), strict=True):
        if p > best[owner, 0]:
            best[owner] = (p, best[owner, 0])
        elif p > best[owner, 1]:
            best[owner, 1] = p
    x_q[:, p1], x_q[:, p2], x_q[:, gap] = best[:, 0], best[:, 1], best[:, 0] - best[:, 1]


def _weights(data: dict) -> np.ndarray:
    """Each source weighs its share, whatever its number of rows: PIAF's halves (with and
    without the article) 0.25 each, the bundled corpus's answerable questions 0.25, its
    unanswerable ones 0.25 (the bundled corpus is the first user)."""
    shares = {("piaf", 1): 0.25, ("piaf", 0): 0.25, ("seed", 1): 0.25, ("none", 0): 0.25}
    sources, labels = data["question_sources"], data["question_labels"]
    weights = np.zeros(len(labels))
    for (source, label), share in shares.items():
        rows = (sources == source) & (labels == label)
        if rows.any():
            weights[rows] = share / rows.sum()
    rows = weights == 0  # PIAF questions asked of… nothing else: a small share
    if rows.any():
        weights[rows] = 0.05 / rows.sum()
    return weights * len(labels)


def _choose_more(data: dict, oof: np.ndarray) -> tuple[float, list[dict]]:
    """The probability a unit after the first needs: each candidate threshold's
    cross-validated accuracy (the answer holds the annotated answer) and mean length,
    over the answerable PIAF and bundled-corpus questions; kept: the threshold with the
    best accuracy minus 0.02 per 100 characters of mean length (a longer answer is not a
    better one)."""
    owners, labels, chars = data["unit_owner"], data["unit_labels"], data["unit_chars"]
    trains = data["question_trains_units"]
    by_owner: dict[int, list[int]] = {}
    for row, owner in enumerate(owners.tolist()):
        if trains[owner]:
            by_owner.setdefault(owner, []).append(row)
    curve = []
    for more in (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.01):
        right, length = 0, 0
        for rows in by_owner.values():
            order = sorted(rows, key=lambda r: -oof[r])
            chosen = [order[0]]
            total = chars[order[0]]
            for r in order[1:]:
                if len(chosen) == 3 or oof[r] < more:
                    break
                if total + chars[r] <= 700:
                    chosen.append(r)
                    total += chars[r]
            right += any(labels[r] for r in chosen)
            length += total
        curve.append({"more": more, "accuracy": round(right / len(by_owner), 4),
                      "mean_chars": round(length / len(by_owner), 1)})
    best = max(curve, key=lambda c: c["accuracy"] - 0.02 * c["mean_chars"] / 100)
    return best["more"], curve


def _choose_threshold(data: dict, oof: np.ndarray) -> tuple[float, list[dict]]:
    """The gate's threshold: the highest that keeps at least 0.95 of the answerable French
    questions answered, and 0.95 of the bundled corpus's (cross-validated), with the
    share of unanswerable ones flagged at each threshold, by source and language, for
    docs/evaluation.md. French first: the other languages' answered share is reported,
    a few points lower (their questions are translations, their retrieval weaker)."""
    labels, sources, langs = (data["question_labels"], data["question_sources"],
                              data["question_langs"])
    curve = []
    for threshold in np.round(np.arange(0.05, 0.96, 0.05), 2).tolist():
        answered = oof >= threshold
        point = {"threshold": threshold,
                 "answered": round(float(answered[labels == 1].mean()), 4),
                 "flagged": round(float((~answered)[labels == 0].mean()), 4)}
        for source in ("piaf", "seed", "none"):
            for label in (0, 1):
                rows = (sources == source) & (labels == label)
                if rows.any():
                    key = f"{source}_{'answered' if label else 'flagged'}"
                    point[key] = round(float((answered if label else ~answered)[rows].mean()),
                                       4)
        for lang in ("fr", "es", "en", "pt"):
            for label in (0, 1):
                rows = (langs == lang) & (labels == label)
                if rows.any():
                    key = f"{lang}_{'answered' if label else 'flagged'}"
                    point[key] = round(float((answered if label else ~answered)[rows].mean()),
                                       4)
        curve.append(point)
    keep = [p for p in curve if p["fr_answered"] >= 0.95 and p["seed_answered"] >= 0.95]
    return (max(keep, key=lambda p: p["threshold"])["threshold"] if keep else 0.05), curve


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def _progress(items):
    from tqdm import tqdm

    return tqdm(items, file=sys.stderr, leave=False, mininterval=5)


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
