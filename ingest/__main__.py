"""`python -m ingest [CORPUS_DIR] [options]` builds the index, like `ess ingest`."""

import sys

from index.cli import main

sys.exit(main(["ingest", *sys.argv[1:]]))
