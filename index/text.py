"""Small text helpers shared by the splitter, the index and the evaluation."""

from __future__ import annotations

import re

_SPACE = re.compile(r"\s+")


def collapse(text: str) -> str:
    """Collapse every run of white space (newlines, NBSP included) to one space.

    >>> collapse("  Elle promeut\\ndes  modèles\\u00a0économiques ")
    'Elle promeut des modèles économiques'
    """
    return _SPACE.sub(" ", text).strip()


def match_form(text: str) -> str:
    """The form in which gold phrases are matched: see ../shared/README.md.

    Lower-cased, curly apostrophes folded to straight ones, `**` removed, white
    space collapsed.

    >>> match_form("L’**ESS**  et\\nl'emploi")
    "l'ess et l'emploi"
    """
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("**", "")
    return collapse(text)


def with_context(section: str, text: str) -> str:
    """What the embedding model reads: the section path, then the text, emphasis dropped.

    A recommendation often leaves its topic to its heading (« 6. Des technologies
    telles que les blockchains… » sits under the finance heading).

    >>> with_context("Finance > Crédit", "**Créer** des fonds.")
    'Finance : Crédit : Créer des fonds.'
    """
    text = text.replace("**", "")
    return f"{section.replace(' > ', ' : ')} : {text}" if section else text


def decimal(number: float, places: int = 2) -> str:
    """A number as French readers write it: a decimal comma, and a narrow no-break space
    between thousands.

    >>> decimal(0.9612), decimal(3.25, 1), decimal(12345.5, 1), decimal(-0.5, 0)
    ('0,96', '3,2', '12\\u202f345,5', '-0')
    """
    return f"{number:,.{places}f}".replace(",", "\u202f").replace(".", ",")
