"""The write path: read the corpus, split it into passages, embed them, build the index.

`ingest.read` finds and decodes files, `ingest.split` cuts them along the structure
of French reports, `ingest.build` embeds them (with `index.embed`, which searches use
too) and writes the index folder through `index.store`.
"""

import index  # noqa: F401  (first: its import sets the thread settings, index.threads)
