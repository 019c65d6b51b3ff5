"""What one question may be, the same for `ess search`/`ess answer`, the API and the page.

The command line, the HTTP API and the Streamlit page each read a question and a
number of passages; a question one of them refuses must not be accepted by another
(`ess search ""` once printed « Aucun passage. » where the API answered 400). The
bounds and the message for an empty question are written here once and read by all
three. (`ingest.limits` bounds the files an ingest reads, not the questions.)
"""

from __future__ import annotations

MAX_K = 50  # passages one question may ask for
MAX_QUESTION_CHARS = 2000  # characters of one question, spaces included
ASK = "donnez une question"
EMPTY_QUESTION = f"la question est vide : {ASK}"  # the command line's words
EMPTY_Q_PARAMETER = f"le paramètre q est vide : {ASK}"  # the API's, naming its parameter


def question_problem(question: str) -> str | None:
    """Why `question` cannot be asked, in French, or None when it can.

    >>> question_problem("  "), question_problem("Comment financer l'ESS ?")
    ('la question est vide : donnez une question', None)
    >>> question_problem("x" * 2001)
    'la question fait 2001 caractères, au plus 2000 : raccourcissez-la'
    """
    if not question.strip():
        return EMPTY_QUESTION
    if len(question) > MAX_QUESTION_CHARS:
        return (f"la question fait {len(question)} caractères, au plus {MAX_QUESTION_CHARS} : "
                "raccourcissez-la")
    return None
