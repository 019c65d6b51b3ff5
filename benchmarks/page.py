"""The page's time to an answer, first and following questions, in Streamlit's own test
runner (no browser): what a reader waits for after pressing Entrée, the page's Python
only (the browser's drawing is not counted).

    python -m benchmarks.page --index DIR [--page ess/page.py] [--repeat 3]

Each question is asked in the same page session, as a reader asks one after another:
the first pays for loading the index and the model; the next ones show what every
rerun costs (the search, the answer, the cards with their context and related passages).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

QUESTIONS = ["Comment financer les entreprises de l'ESS ?",
             "Que propose-t-on pour l'égalité femmes-hommes ?",
             "Comment lutter contre la fracture numérique ?",
             "Quelles valeurs portent les mutuelles ?"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--page", type=Path, default=Path("ess/page.py"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ["ESS_INDEX"] = str(args.index)
    from streamlit.testing.v1 import AppTest

    firsts, seconds = [], []
    for _ in range(args.repeat):
        app = AppTest.from_file(str(args.page), default_timeout=300)
        app.run()
        times = []
        for question in QUESTIONS:
            began = time.perf_counter()
            app.text_input[0].set_value(question)
            app.button[0].click().run()  # the form's « Chercher »
            times.append((time.perf_counter() - began) * 1000)
            assert not app.exception, app.exception
        firsts.append(times[0])
        seconds += times[1:]
    print(json.dumps({"page": str(args.page), "first_question_ms": round(min(firsts)),
                      "next_questions_median_ms": round(statistics.median(seconds)),
                      "runs": args.repeat}))


if __name__ == "__main__":
    main()
