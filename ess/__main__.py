"""`python -m ess …` is `ess …`."""

import sys

from ess.cli import main

sys.exit(main())
