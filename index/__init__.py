"""The index: its on-disk format, loading and searching (the read side).

`ingest` writes an index folder through `index.store`; everything that reads one goes
through `index.search.Searcher`, which the front ends reach through `ess.engine`.

Importing the package first sets the thread settings the numeric libraries read when
they load (index.threads): idle threads sleep instead of spinning, so that several
processes share the cores.
"""

from index.threads import share_cores

share_cores()
