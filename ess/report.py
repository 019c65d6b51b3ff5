"""What an ingest says on the terminal: `ess ingest`, and `ess serve` when it builds the
first index (one place, so that the two say the same)."""

from __future__ import annotations

import sys

from index.config import Config
from index.text import decimal


def ingest_and_report(config: Config, show_progress: bool = True, rebuild: bool = False,
                      strict: bool = False, cluster: str | None = None, wait: bool = True,
                      follow_links: bool = False):
    """Build `config.index` from `config.corpus` and say what was done (`ess ingest`, and
    `ess serve` when there is no index yet). While another ingest updates the index, say
    so and wait for it (or, without `wait`, an IndexBusy error)."""
    from ingest.build import build

    report = build(config.corpus, config.index, model=config.model, split=config.split,
                   batch_size=config.batch_size, fusion=config.fusion,
                   show_progress=show_progress, rebuild=rebuild, strict=strict,
                   vector_kind=config.vector_kind, cluster=cluster, wait=wait,
                   follow_links=follow_links,
                   on_wait=lambda message: print(message, file=sys.stderr, flush=True))
    for skipped in report.skipped:
        print(f"Ignoré : {skipped.source} ({skipped.reason})", file=sys.stderr)
    for note in report.repaired:
        print(f"Réparé : {note}", file=sys.stderr)
    seconds = f"{decimal(report.seconds, 1)} s"
    if report.changes is None:
        print(f"{count(report.files, 'fichier')}, {count(report.passages, 'passage')} "
              f"indexés en {seconds} → {config.index}")
    elif not report.written:
        print(f"Index à jour ({report.changes.summary()}) en {seconds} → {config.index}")
    else:
        print(f"{report.changes.summary()} ; {count(report.passages, 'passage')} dont "
              f"{count(report.embedded, 'calculé')} en {seconds} → {config.index}")
    return report


def count(number: int, noun: str) -> str:
    """French plural, for the nouns used here.

    >>> count(1, "fichier"), count(2, "passage")
    ('1 fichier', '2 passages')
    """
    return f"{number} {noun}{'s' if number > 1 else ''}"
