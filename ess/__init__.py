"""The front ends and the engine they share: `ess.engine` (the one object that searches,
answers, finds related passages and themes), the command line (`ess.cli`), the HTTP API
(`ess.api`) and the page (`ess.page`, started by `ess serve`; its HTML in `ess.render`).

Below them, `ingest` builds an index (read, split, embed, write), `answer` composes
answers and says when nothing answers, and `index` reads an index (storage, search,
related passages, themes). No folder imports one above it and no module imports its
way back to itself (tests/test_layers.py).
"""
