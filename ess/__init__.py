"""The front ends, side by side over one library: the command line (`ess.cli`), the
HTTP API (`ess.api`) and the page (`app.py`, started by `ess serve`).

Below them, `ingest` builds an index (read, split, embed, write) and `index` reads one
(search, answers, related passages, themes). `index` imports nothing from `ingest` or
from here, `ingest` nothing from here (tests/test_layers.py).
"""
