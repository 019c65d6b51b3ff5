"""ess.render's pieces of the page: the passage's context, tables, legend, numbers."""

from __future__ import annotations

from ess.render import card_html, context_html, related_html, table_html
from index.records import Hit, Passage

SOURCE = ("### LES OUTILS NUMÉRIQUES AU SERVICE DE L'ESS\n\n"
          "**Préambule** : le numérique est un *levier*.\n\n"
          "- Former les élus <script>alert(1)</script>\n"
          "1. Lutter contre la fracture numérique.\n"
          "2. Développer des outils :red[libres] $x$.\n")


def hit_of(text: str, phrase: str, score: float = 0.9612) -> Hit:
    start = text.index(phrase)
    passage = Passage("id", "a.md", "Feuille", "Numérique", 1, start, start + len(phrase),
                      phrase)
    return Hit(1, score, passage)


def test_the_context_shows_text_without_markdown_markers():
    html = context_html(hit_of(SOURCE, "Lutter contre la fracture numérique."), SOURCE)
    for raw in ("###", "**", "- Former", "*levier*", "<script>", ":red[", "$x$"):
        assert raw not in html, raw
    assert ('<p class="ess-context-heading">LES OUTILS NUMÉRIQUES AU SERVICE DE L&#39;ESS</p>'
            in html)
    assert "<p>Préambule &#58; le numérique est un levier.</p>" in html
    assert "<p>Former les élus &lt;script&gt;alert(1)&lt;/script&gt;</p>" in html
    assert "<p>1. <b>Lutter contre la fracture numérique.</b></p>" in html
    assert "&#58;red&#91;libres&#93; &#36;x&#36;" in html


def test_the_context_keeps_each_line_a_paragraph():
    html = context_html(hit_of(SOURCE, "Lutter contre la fracture numérique."), SOURCE)
    assert html.count("<p") - html.count('<p class="ess-cite">') == 5
    assert "<br>" not in html


def test_no_ellipsis_where_the_file_starts_or_ends():
    html = context_html(hit_of(SOURCE, "Lutter contre la fracture numérique."), SOURCE)
    assert "…" not in html


def test_an_ellipsis_only_where_the_text_is_cut_and_cut_between_words():
    long = "Début " + "mot " * 300 + "Créer des fonds solidaires." + " suite" * 300 + " Fin."
    html = context_html(hit_of(long, "Créer des fonds solidaires."), long, width=100)
    body = html.split('<p class="ess-cite">')[0]
    assert body.startswith('<div class="ess-context"><p>… mot ')
    assert body.endswith(" suite …</p></div>")
    assert "Début" not in body and "Fin." not in body
    assert "<b>Créer des fonds solidaires.</b>" in body
    start_only = "Créer des fonds solidaires." + " suite" * 300
    html = context_html(hit_of(start_only, "Créer des fonds solidaires."), start_only, width=50)
    assert html.startswith('<div class="ess-context"><p><b>Créer') and html.count("…") == 1


def test_a_passage_across_lines_is_bold_in_each():
    text = "Avant.\n1. Créer des fonds\nsolidaires pour tous.\nAprès."
    html = context_html(hit_of(text, "Créer des fonds\nsolidaires"), text)
    assert "<p>1. <b>Créer des fonds</b></p><p><b>solidaires</b> pour tous.</p>" in html


def test_a_file_gone_from_the_corpus():
    assert context_html(hit_of(SOURCE, "Lutter"), None) == (
        "<p>Le fichier a.md n'est plus dans le corpus.</p>")


def test_scores_use_a_decimal_comma():
    assert "pertinence 0,96" in card_html(1, hit_of(SOURCE, "Lutter"), [])

    class Item:
        hit, other_document, other_section = hit_of(SOURCE, "Lutter", 0.875), True, False

    assert "similarité 0,88" in related_html([Item()])


def test_tables_escape_every_cell():
    html = table_html([{"a": "<img src=x>", "n": 12}], {"a": "Thème", "n": "Passages"}, ("n",))
    assert "<img" not in html and "&lt;img src=x&gt;" in html
    assert '<td class="ess-number">12</td>' in html


ROADMAP_START = ("**Cette feuille de route est le fruit des réflexions** les 18 et 19 octobre "
                 "2022, à Carthagène *des Indes*.")


def test_a_card_shows_no_markdown_markers_and_keeps_its_highlight_on_the_right_words():
    text = ROADMAP_START
    start = text.index("feuille de route")
    hit = hit_of(text, text)
    html = card_html(1, hit, [(start, start + len("feuille de route"))])
    assert "*" not in html and "&#42;" not in html
    assert ("<p>Cette <mark>feuille de route</mark> est le fruit des réflexions les 18 et 19 "
            "octobre 2022, à Carthagène des Indes.</p>") in html


def test_a_highlight_that_starts_or_ends_on_a_marker_marks_the_words_only():
    text = ROADMAP_START
    end = text.index(" les 18")
    html = card_html(1, hit_of(text, text), [(0, end)])  # the span includes both « ** »
    assert "<p><mark>Cette feuille de route est le fruit des réflexions</mark> les 18" in html
    html = card_html(1, hit_of(text, text), [(1, 7)])  # from inside the « ** »
    assert "<p><mark>Cette</mark> feuille" in html


def test_related_passages_and_the_answer_show_no_markdown_markers():
    class Item:
        hit, other_document, other_section = hit_of(ROADMAP_START, ROADMAP_START), True, False

    html = related_html([Item()])
    assert "&#42;" not in html and "Cette feuille de route est le fruit des réflexions les" in html


def test_the_chrome_patterns_turn_streamlit_english_into_french():
    """PATTERNS are written to mean the same in JavaScript (the page) and Python (here):
    plain groups, `$1` for the first."""
    import re

    from ess.render import FRENCH, PATTERNS, chrome_html

    def translate(text: str) -> str:
        for pattern, french in PATTERNS:
            if re.search(pattern, text):
                return re.sub(pattern, french.replace("$1", r"\1"), text)
        return FRENCH.get(text, text)

    assert translate("application/x-shellscript files are not allowed.") == (
        "Ce type de fichier (application/x-shellscript) n'est pas accepté : choisissez un "
        "fichier d'un des formats indiqués.")
    assert translate("Remove notes.txt") == "Retirer notes.txt"
    assert translate("Cancel upload of notes.txt") == "Annuler l'envoi de notes.txt"
    assert translate("Choose an option") == "Choisissez"
    assert translate("Add files") == "Choisir un autre fichier"
    script = chrome_html()
    assert '"Vega visualization": "Graphique"' in script and "__PATTERNS__" not in script
    assert 'aria-live", "polite"' in script
