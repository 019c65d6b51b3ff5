"""HTML pieces for the page, built from escaped text only.

Every string from the corpus or the query goes through `escape`, which turns HTML
and the characters Streamlit's Markdown gives meaning to ($ for formulas, :red[…]
colours, **, _, `, [, ], #, ~, \\) into character references, in one pass. The
pieces are single-line HTML blocks, inside which Markdown is not interpreted.
"""

from __future__ import annotations

import re

from index.answer import Answer
from index.records import Hit, Passage

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
             "$": "&#36;", ":": "&#58;", "*": "&#42;", "_": "&#95;", "`": "&#96;",
             "[": "&#91;", "]": "&#93;", "#": "&#35;", "~": "&#126;", "\\": "&#92;",
             "\n": " ", "\r": " "}
_TABLE = str.maketrans(_ENTITIES)

STYLE = """<style>
.ess-answer {font-size: 1.1rem; line-height: 1.6;}
.ess-answer a, .ess-card a {text-decoration: none; font-weight: 600;}
.ess-card mark {background: #ffe58f; color: #1a1a1a; padding: 0 .15em; border-radius: .2em;}
.ess-cite {font-size: .9rem; opacity: .85; margin: 0 0 .4rem 0;}
.ess-caption {font-size: .9rem; opacity: .85;}
.ess-card h3 {font-size: 1.1rem; margin: 0 0 .3rem 0; padding: 0;}
.ess-context b {font-weight: 700;}
.ess-group h3 {font-size: 1.05rem; margin: .8rem 0 .3rem 0;}
.ess-related li, .ess-group li {margin-bottom: .4rem;}
</style>"""


def escape(text: str) -> str:
    """Text that HTML and Markdown both show as typed.

    >>> escape("<script>alert('x')</script>")
    '&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;'
    >>> escape("**gras** $1$ :red[rouge]")
    '&#42;&#42;gras&#42;&#42; &#36;1&#36; &#58;red&#91;rouge&#93;'
    """
    return text.translate(_TABLE)


def escape_lines(text: str) -> str:
    r"""Escaped text keeping its line breaks (runs of blank lines shown as one).

    >>> escape_lines("1. Créer\n\n\n\nles <fonds>")
    '1. Créer<br><br>les &lt;fonds&gt;'
    """
    paragraphs = re.split(r"\n\s*\n", text)
    return "<br><br>".join("<br>".join(escape(line) for line in block.split("\n"))
                           for block in paragraphs)


def text_html(text: str, css_class: str) -> str:
    """A paragraph of text shown as typed (a theme's description, say).

    >>> text_html("**gras** :red[x]", "ess-caption")
    '<p class="ess-caption">&#42;&#42;gras&#42;&#42; &#58;red&#91;x&#93;</p>'
    """
    return f'<p class="{css_class}">{escape(text)}</p>'


def highlighted(text: str, spans: list[tuple[int, int]]) -> str:
    """Escaped text with the given spans in <mark>.

    >>> highlighted("Créer des fonds. Former <les> élus.", [(17, 35)])
    'Créer des fonds. <mark>Former &lt;les&gt; élus.</mark>'
    """
    out, cursor = [], 0
    for start, end in sorted(spans):
        out += [escape(text[cursor:start]), "<mark>", escape(text[start:end]), "</mark>"]
        cursor = end
    out.append(escape(text[cursor:]))
    return "".join(out)


def answer_html(answer: Answer) -> str:
    """The answer paragraph, each marker a link to its passage card."""
    parts = [f'{escape(s.text)} <a href="#passage-{s.marker}" title="Voir le passage '
             f'{s.marker}">[{s.marker}]</a>' for s in answer.sentences]
    return f'<div class="ess-answer">{" ".join(parts)}</div>'


def card_html(number: int, hit: Hit, spans: list[tuple[int, int]]) -> str:
    """One passage card: title, citation, relevance, text with the answer's sentences marked."""
    p = hit.passage
    cite = [escape(p.section) if p.section else "Sans section"]
    if p.item is not None:
        cite.append(f"recommandation n° {p.item}")
    if p.page is not None:
        cite.append(f"p. {p.page}")
    cite.append(f"pertinence {hit.score:.2f}")
    return (f'<div class="ess-card" id="passage-{number}"><h3>[{number}] {escape(p.title)}</h3>'
            f'<p class="ess-cite">{" · ".join(cite)}</p>'
            f"<p>{highlighted(p.text, spans)}</p></div>")


def context_html(hit: Hit, text: str | None, width: int = 400) -> str:
    """The passage in its surroundings, the passage in bold; `text` is its source file's
    text (`ingest.read.read_text`), None when the file is no longer in the corpus."""
    p = hit.passage
    if text is None:
        return f"<p>Le fichier {escape(p.source)} n'est plus dans le corpus.</p>"
    before = text[max(0, p.start - width):p.start]
    after = text[p.end:p.end + width]
    return (f'<p class="ess-context">…{escape_lines(before)}<b>{escape_lines(text[p.start:p.end])}'
            f'</b>{escape_lines(after)}…</p><p class="ess-cite">{escape(p.location())}</p>')


def related_html(items) -> str:
    """The « Recommandations proches » of a card: citation, where from, similarity, text."""
    if not items:
        return "<p>Aucun passage proche.</p>"
    rows = []
    for item in items:
        p = item.hit.passage
        where = ("autre document" if item.other_document
                 else "autre section" if item.other_section else "même section")
        rows.append(f"<li><b>{escape(p.citation())}</b> · {where} · similarité "
                    f"{item.hit.score:.2f}<br>{escape(p.text)}</li>")
    return f'<ul class="ess-related">{"".join(rows)}</ul>'


def group_html(title: str, section: str, passages: list[Passage]) -> str:
    """A document section's passages in the theme explorer, with their citations."""
    heading = escape(title) + (f" › {escape(section.replace(' > ', ' › '))}" if section else "")
    rows = "".join(
        f"<li>{'<b>Recommandation n° ' + str(p.item) + '</b> · ' if p.item is not None else ''}"
        f"{escape(p.text)} <span class=\"ess-cite\">{escape(p.location())}</span></li>"
        for p in passages)
    return f'<div class="ess-group"><h3>{heading}</h3><ul>{rows}</ul></div>'
