"""The explore commands on another corpus: a slice of PIAF (French Wikipedia), real model.

A corpus folder without its own themes.toml uses the project's ESS catalogue."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import SHARED
from ess.cli import main

PIAF = SHARED / "data" / "piaf" / "corpus"
pytestmark = [pytest.mark.slow,  # the real model
              pytest.mark.skipif(not PIAF.is_dir(),
                                 reason="../shared/data/piaf is not beside this checkout")]


@pytest.fixture(scope="module")
def piaf_index(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("piaf")
    for path in sorted(PIAF.glob("*.txt"))[:12]:
        shutil.copy(path, corpus / path.name)
    index_dir = tmp_path_factory.mktemp("piaf-index") / "index"
    assert main(["ingest", str(corpus), "--index", str(index_dir), "--quiet"]) == 0
    return str(index_dir)


def run_json(capsys, *argv):
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_themes_related_and_duplicates_on_piaf(piaf_index, capsys):
    themes = run_json(capsys, "themes", "--index", piaf_index, "--json")
    assert len(themes) == 13 and sum(t["passages"] for t in themes) > 0
    busiest = max(themes, key=lambda t: t["passages"])["id"]
    groups = run_json(capsys, "theme", busiest, "--index", piaf_index, "--json")["groups"]
    assert groups and all(g["passages"] for g in groups)
    (answer,) = [json.loads(line) for line in _out(capsys, "search", "Algérie indépendance",
                                                   "--index", piaf_index, "--json", "-k", "1")]
    origin = answer["results"][0]["id"]
    related = run_json(capsys, "related", origin, "--index", piaf_index, "--json", "-k", "3")
    assert len(related["results"]) == 3
    assert origin not in [r["id"] for r in related["results"]]
    assert run_json(capsys, "related", "--duplicates", "--index", piaf_index, "--json") == []


def _out(capsys, *argv):
    capsys.readouterr()
    assert main(list(argv)) == 0
    return capsys.readouterr().out.splitlines()
