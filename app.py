"""The page, for `streamlit run app.py` in a checkout: it lives in the package,
ess/page.py, which `ess serve` runs (installed or not)."""

import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).resolve().parent / "ess" / "page.py"), run_name="__main__")
