"""The index: its on-disk format, loading and searching (the read side).

`ingest` writes an index folder through `index.store`; everything that reads one
(the CLI's `search` and `eval`, the page) goes through `index.search.Searcher`.
"""
