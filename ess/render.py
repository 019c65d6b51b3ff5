"""HTML pieces for the page, built from escaped text only.

Every string from the corpus or the query goes through `escape`, which turns HTML
and the characters Streamlit's Markdown gives meaning to ($ for formulas, :red[…]
colours, **, _, `, [, ], #, ~, \\) into character references, in one pass. The
pieces are single-line HTML blocks, inside which Markdown is not interpreted.
"""

from __future__ import annotations

import re

from answer.compose import Answer
from index.records import Hit, Passage, item_label
from index.text import decimal

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
             "$": "&#36;", ":": "&#58;", "*": "&#42;", "_": "&#95;", "`": "&#96;",
             "[": "&#91;", "]": "&#93;", "#": "&#35;", "~": "&#126;", "\\": "&#92;",
             "\n": " ", "\r": " "}
_TABLE = str.maketrans(_ENTITIES)

# Colours: every text at least 4.5:1 against its background (WCAG AA), measured in
# Chromium by tests/test_browser.py. Greys are solid colours, never an opacity.
INK, MUTED = "#2f2d2b", "#595550"  # on white: 13.6:1 and 7.3:1
FOCUS = "#174ea6"  # the keyboard's focus ring: 7.9:1 on white, 7.0:1 on the sidebar's grey
STYLE = f"""<style>
.ess-answer {{font-size: 1.1rem; line-height: 1.6;}}
.ess-answer a, .ess-card a {{text-decoration: none; font-weight: 600;}}
.ess-card mark {{background: #ffe58f; color: #1a1a1a; padding: 0 .15em; border-radius: .2em;}}
.ess-cite {{font-size: .9rem; color: {MUTED}; margin: 0 0 .4rem 0;}}
.ess-caption, [data-testid="stCaptionContainer"] {{color: {MUTED}; opacity: 1;}}
.ess-card h3 {{font-size: 1.1rem; margin: 0 0 .3rem 0; padding: 0;}}
/* A marker [n] of the answer scrolls to its card: the card's heading stays below
   Streamlit's sticky header (3.75rem high). */
.ess-card {{scroll-margin-top: 5rem;}}
.ess-context p {{margin: 0 0 .5rem 0;}}
.ess-context b {{font-weight: 700;}}
.ess-context-heading {{font-weight: 600; color: {MUTED};}}
.ess-group h3 {{font-size: 1.05rem; margin: .8rem 0 .3rem 0;}}
.ess-related li, .ess-group li {{margin-bottom: .4rem;}}
.ess-legend {{display: flex; flex-wrap: wrap; gap: .2rem 1rem; list-style: none; padding: 0;
  margin: 0 0 .8rem 0; font-size: .9rem;}}
.ess-legend li {{margin: 0;}}
.ess-legend .ess-symbol {{display: inline-block; width: 1.2em; text-align: center;}}
.ess-table {{border-collapse: collapse; width: 100%; font-size: .9rem;}}
.ess-table th, .ess-table td {{border-bottom: 1px solid #d6d3cf; padding: .25rem .4rem;
  text-align: left; vertical-align: top;}}
.ess-table td.ess-number {{text-align: right; font-variant-numeric: tabular-nums;}}
input::placeholder, textarea::placeholder {{color: {MUTED}; opacity: 1;}}
/* Streamlit's own English, which no option translates: hidden, the page says it in
   French (« Entrée lance la recherche », the uploader's label gives the limit). */
[data-testid="InputInstructions"], [data-testid="stFileUploaderDropzoneInstructions"],
[data-testid="stStatusWidget"], [data-testid="stMainMenu"] {{display: none !important;}}
/* The element that runs CHROME takes no room. */
[data-testid="stElementContainer"]:has(.ess-chrome) {{display: none;}}
/* A phone: a smaller title and less room above it, so that the answer shows at once. */
@media (max-width: 640px) {{
  h1 {{font-size: 1.7rem !important; padding-top: 0 !important;}}
  [data-testid="stMainBlockContainer"] {{padding-top: 4.5rem !important;}}
}}
/* Tabs on a phone: they wrap instead of scrolling out of sight. */
[data-baseweb="tab-list"] {{flex-wrap: wrap; row-gap: .25rem;}}
/* Keyboard focus: one solid 3 px ring (Streamlit's is a half-transparent shadow, about
   2:1), drawn inside the tabs and the expanders' titles, whose boxes clip what
   overflows, and around a field's whole box rather than the bare input inside it. */
:focus-visible {{outline: 3px solid {FOCUS} !important; outline-offset: 2px !important;
  box-shadow: none !important;}}
[role="tab"]:focus-visible, summary:focus-visible,
[data-testid="stTextInputRootElement"] button:focus-visible,
[data-testid="stFileUploader"] [data-testid="stBaseButton-borderlessIcon"]:focus-visible {{
  outline-offset: -3px !important;}}
/* A chart's toolbar shows while the keyboard is in it, not only under the mouse. */
[data-testid="stElementToolbar"]:focus-within {{opacity: 1 !important; z-index: 10;}}
[data-testid="stTextInputRootElement"]:has(input:focus-visible),
[data-testid="stMultiSelect"] [role="group"]:has(input:focus-visible),
[data-testid="stSelectbox"] [role="group"]:has(input:focus-visible),
[data-testid="stSlider"] div:has(> div > input:focus-visible) {{
  outline: 3px solid {FOCUS} !important; outline-offset: 1px !important;}}
[data-testid="stTextInputRootElement"] input:focus-visible,
[data-testid="stMultiSelect"] input:focus-visible, [data-testid="stSelectbox"] input:focus-visible,
[data-testid="stSlider"] input:focus-visible {{outline: none !important;}}
/* The uploader's file input, 0 × 0 and opened by its button: never a stop (Chromium
   gave it the focus once a file chosen from the keyboard replaced the button). */
[data-testid="stFileUploaderDropzoneInput"] {{visibility: hidden;}}
/* The sidebar, folded away (on a phone, at first): out of the Tab order, not just moved
   off the screen. */
[data-testid="stSidebar"][data-collapsed="true"] {{visibility: hidden;}}
</style>"""

# English that Streamlit writes into its chrome (labels read aloud, a skip link, the
# uploader's buttons and errors, the chart's toolbar), and the French the page puts
# instead. A label followed by « : context » (« Download as PNG: Carte des passages »)
# is translated the same way.
FRENCH = {
    "Skip to main content": "Aller au contenu",
    "Sidebar": "Filtres",
    "Expand sidebar": "Ouvrir les filtres",
    "Collapse sidebar": "Fermer les filtres",
    "Main menu": "Menu",
    "Open": "Ouvrir la liste",
    "Close": "Fermer",
    "Clear all": "Tout effacer",
    "Clear": "Effacer",
    "Clear value": "Effacer",
    "Clear entry": "Effacer",
    "Remove": "Retirer",
    "Delete": "Supprimer",
    "No results": "Aucun résultat",
    "Select all": "Tout choisir",
    "Selected values": "Choix faits",
    "Selectbox options": "Choix possibles",
    "Multiselect options": "Choix possibles",
    "Choose an option": "Choisissez",
    "Choose options": "Choisissez",
    "Fullscreen": "Plein écran",
    "Close fullscreen": "Quitter le plein écran",
    "Show password text": "Afficher le mot de passe",
    "Hide password text": "Masquer le mot de passe",
    "Show password": "Afficher le mot de passe",
    "Hide password": "Masquer le mot de passe",
    "Invalid input.": "Saisie invalide.",
    "Download as PNG": "Télécharger en PNG",
    "Download as SVG": "Télécharger en SVG",
    "Copy Vega-Lite spec": "Copier la description du graphique",
    "Copied!": "Copié !",
    "Show data": "Voir les données",
    "Show chart": "Voir le graphique",
    "Vega visualization": "Graphique",
    "visualization": "graphique",
    "group mark container": "carte",
    "symbol mark container": "passages",
    "Upload": "Choisir un fichier",
    "Browse files": "Choisir un fichier",
    "file upload": "Choisir un fichier",
    "Add files": "Choisir un autre fichier",
    "Drag and drop file here": "Glissez le fichier ici",
    "Drag and drop a file here": "Glissez le fichier ici",
    "Drag and drop files here": "Glissez les fichiers ici",
    "Error:": "Erreur :",
    "Error": "Erreur",
    "Upload failed": "Échec de l'envoi : réessayez.",
    "Click to retry upload": "Cliquez pour réessayer l'envoi",
    "Unexpected error. Please try again.": "Erreur inattendue : réessayez.",
    "Only one file is allowed.": "Un seul fichier à la fois.",
    "Too many files": "Trop de fichiers : un seul à la fois.",
    "File size is too small.": "Fichier trop petit.",
    "Loading": "Chargement",
    "Running...": "Calcul en cours…",
    "Stop": "Arrêter",
    "Stop script": "Arrêter",
    "Scroll tabs left": "Onglets précédents",
    "Scroll tabs right": "Onglets suivants",
    "Download as CSV": "Télécharger en CSV",
    "Search": "Rechercher",
    "Link to heading": "Lien vers ce titre",
}

# Streamlit's English with a name or a number inside: a regular expression (the same in
# Python and JavaScript) and its French, $1 standing for what the first group matched.
# Sizes (« 144.0B », « 0.7KB ») are written the French way after these (« 144 o »,
# « 0,7 Ko »).
PATTERNS = [
    (r"^Remove (.+)$", "Retirer $1"),
    (r"^Cancel upload of (.+)$", "Annuler l'envoi de $1"),
    (r"^(\S+) files are not allowed\.$",
     "Ce type de fichier ($1) n'est pas accepté : choisissez un fichier d'un des formats "
     "indiqués."),
    (r"^File must be (.+) or smaller\.$", "Le fichier ne doit pas dépasser $1."),
    (r"^File is larger than (.+)$", "Le fichier dépasse $1."),
    (r"^File is smaller than (.+)$", "Le fichier fait moins de $1."),
    (r"^Select (\d+) matches$", "Choisir les $1 résultats"),
    (r"^You can only select up to (\d+) .*$", "$1 choix au plus : retirez-en un d'abord."),
]


def chrome_html() -> str:
    """A script, run once in the page, that makes Streamlit's chrome French and quiet:

    - declares the page French (`<html lang="fr">`, which screen readers follow);
    - puts FRENCH and PATTERNS in place of Streamlit's English, sizes written the French
      way, in text, `aria-label`, `title`, `placeholder`, `alt` and
      `aria-roledescription`, now and whenever Streamlit draws them again; an icon's
      English name (« add icon ») inside a button that has its own label is dropped;
    - reads the slider's name once (Streamlit names its thumb twice) and takes the
      main area, a stop without a name, out of the Tab order (the skip link still
      reaches it);
    - says each new answer in a polite live region: « Réponse : … ».

    The page's own markup (answer, cards, context, tables) is never touched.
    """
    import json

    return (_CHROME.replace("__FRENCH__", json.dumps(FRENCH, ensure_ascii=False))
            .replace("__PATTERNS__", json.dumps(PATTERNS, ensure_ascii=False)))


_CHROME = r"""<div class="ess-chrome"></div><script>
(() => {
  if (window.essFrench) return;
  const doc = document, root = doc.documentElement, french = __FRENCH__;
  const patterns = __PATTERNS__.map(([source, to]) => [new RegExp(source), to]);
  const units = {B: "o", KB: "Ko", MB: "Mo", GB: "Go", TB: "To"};
  const own = ".ess-answer, .ess-card, .ess-context, .ess-related, .ess-group, .ess-table, " +
              ".ess-legend, .ess-live";
  const attributes = ["aria-label", "title", "placeholder", "alt", "aria-roledescription"];
  const translate = (value) => {
    const text = value.trim();
    if (!text) return value;
    let out = text in french ? french[text] : null;
    for (const [pattern, to] of patterns) {
      if (out === null && pattern.test(text)) out = text.replace(pattern, to);
    }
    const labelled = out === null && text.match(/^(.+?): (.+)$/s);
    if (labelled && labelled[1] in french)
      out = french[labelled[1]] + "\u00a0: " + translate(labelled[2]);
    out = (out === null ? text : out).replace(/(\d+)\.(\d+)(B|KB|MB|GB|TB)\b/g,
      (_, whole, part, unit) => (/^0+$/.test(part) ? whole : whole + "," + part) +
                                "\u00a0" + units[unit]);
    return out === text ? value : value.replace(text, () => out);
  };
  const fix = (node) => {
    if (node.nodeType === Node.TEXT_NODE) {
      const parent = node.parentElement;
      if (!parent || parent.closest(own)) return;
      if (/^[a-z_]+ icon$/.test(node.nodeValue.trim()) &&
          parent.closest("button[aria-label], [role=button][aria-label]")) {
        node.nodeValue = "";
        return;
      }
      const shown = translate(node.nodeValue);
      if (shown !== node.nodeValue) node.nodeValue = shown;
      return;
    }
    if (node.nodeType !== Node.ELEMENT_NODE || node.closest(own)) return;
    for (const name of attributes) {
      const value = node.getAttribute(name);
      if (value === null) continue;
      const said = translate(value);
      if (said !== value) node.setAttribute(name, said);
    }
    if (node.matches("input[type=range][aria-label][aria-labelledby]"))
      node.removeAttribute("aria-labelledby");  // else « Nombre de passages Nombre de passages »
    if (node.id === "stMain" && node.getAttribute("tabindex") === "0")
      node.setAttribute("tabindex", "-1");
  };
  const walk = (top) => {
    fix(top);
    if (top.nodeType !== Node.ELEMENT_NODE) return;
    const all = doc.createTreeWalker(top, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    while (all.nextNode()) fix(all.currentNode);
  };
  const live = doc.createElement("div");
  live.className = "ess-live";
  live.setAttribute("aria-live", "polite");
  live.setAttribute("aria-atomic", "true");
  live.style.cssText = "position: absolute; width: 1px; height: 1px; overflow: hidden; " +
                       "clip-path: inset(50%); white-space: nowrap;";
  doc.body.appendChild(live);
  let said = "", pending = null;
  const announce = () => {
    pending = null;
    const answer = doc.querySelector('[data-stale="false"] .ess-answer');
    const text = answer ? answer.textContent.replace(/\s+/g, " ").trim() : "";
    if (text === said) return;
    said = text;
    live.textContent = text ? "Réponse : " + text : "";
  };
  const french_root = () => { if (root.lang !== "fr") root.lang = "fr"; };
  window.essFrench = new MutationObserver((changes) => {
    french_root();
    for (const change of changes) {
      if (change.type === "childList") change.addedNodes.forEach(walk);
      else fix(change.target);
    }
    if (pending === null) pending = setTimeout(announce, 300);
  });
  window.essFrench.observe(root, {subtree: true, childList: true, characterData: true,
                                  attributes: true,
                                  attributeFilter: [...attributes, "lang", "tabindex",
                                                    "aria-labelledby", "data-stale"]});
  french_root();
  walk(doc.body);
  announce();
})();
</script>"""


def escape(text: str) -> str:
    """Text that HTML and Markdown both show as typed.

    >>> escape("<script>alert('x')</script>")
    '&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;'
    >>> escape("**gras** $1$ :red[rouge]")
    '&#42;&#42;gras&#42;&#42; &#36;1&#36; &#58;red&#91;rouge&#93;'
    """
    return text.translate(_TABLE)


def text_html(text: str, css_class: str) -> str:
    """A paragraph of text shown as typed (a theme's description, say).

    >>> text_html("**gras** :red[x]", "ess-caption")
    '<p class="ess-caption">&#42;&#42;gras&#42;&#42; &#58;red&#91;x&#93;</p>'
    """
    return f'<p class="{css_class}">{escape(text)}</p>'


def highlighted(text: str, spans: list[tuple[int, int]]) -> str:
    """Escaped text with the given spans in <mark>, Markdown markers dropped: the spans
    are offsets into `text` as it is, markers included.

    >>> highlighted("Créer des **fonds**. Former <les> élus.", [(21, 39)])
    'Créer des fonds. <mark>Former &lt;les&gt; élus.</mark>'
    """
    return " ".join(html for html, _ in _paragraphs(text, spans, "mark") if html.strip())


def plain_html(text: str) -> str:
    """A passage's text as a reader sees it: escaped, Markdown markers dropped.

    >>> plain_html("**Créer** des *fonds* : <b>")
    'Créer des fonds &#58; &lt;b&gt;'
    """
    return highlighted(text, [])


def answer_html(answer: Answer) -> str:
    """The answer paragraph, each marker a link to its passage card."""
    parts = [f'{plain_html(s.text)} <a href="#passage-{s.marker}" title="Voir le passage '
             f'{s.marker}">[{s.marker}]</a>' for s in answer.sentences]
    return f'<div class="ess-answer">{" ".join(parts)}</div>'


def written_html(written) -> str:
    """A written answer's kept sentences (answer.written), each marker a link to its
    passage card."""
    parts = [plain_html(c.claim.text) + " " + "".join(
        f'<a href="#passage-{n}" title="Voir le passage {n}">[{n}]</a>'
        for n in c.claim.markers) for c in written.kept]
    return f'<div class="ess-answer">{" ".join(parts)}</div>'


def card_html(number: int, hit: Hit, spans: list[tuple[int, int]]) -> str:
    """One passage card: title, citation, relevance, text with the answer's sentences marked."""
    p = hit.passage
    cite = [escape(p.section) if p.section else "Sans section", *p.locators()]
    cite.append(f"pertinence {decimal(hit.score, 2)}")
    return (f'<div class="ess-card" id="passage-{number}"><h3>[{number}] {escape(p.title)}</h3>'
            f'<p class="ess-cite">{" · ".join(cite)}</p>'
            f"<p>{highlighted(p.text, spans)}</p></div>")


# Markdown a corpus file may hold: block markers at the start of a line (headings,
# bullets, quotes) and emphasis around words. Cards and the context show the text
# without them.
_BLOCK = re.compile(r"^[ \t]{0,3}(?:(#{1,6})[ \t]+|[-*+•][ \t]+|>[ \t]?)")
_EMPHASIS = re.compile(r"\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])")


def _markers(text: str, line_start: bool = True) -> tuple[bytearray, set[int]]:
    """Which characters of `text` are Markdown markers (1: not shown), and which lines
    (by number) are headings."""
    dropped, headings, position = bytearray(len(text)), set(), 0
    for number, line in enumerate(text.split("\n")):
        marker = _BLOCK.match(line) if number or line_start else None
        if marker:
            dropped[position:position + marker.end()] = b"\1" * marker.end()
            if marker.group(1):
                headings.add(number)
        position += len(line) + 1
    for marker in _EMPHASIS.finditer(text):
        dropped[marker.start():marker.end()] = b"\1" * (marker.end() - marker.start())
    return dropped, headings


def plain_text(text: str) -> str:
    """`text` without its Markdown markers, not escaped: for a chart's tooltip, which
    shows text as text.

    >>> plain_text("## Titre\\n- Un **point** <clé>")
    'Titre\\nUn point <clé>'
    """
    dropped, _ = _markers(text)
    return "".join(c for c, gone in zip(text, dropped, strict=True) if not gone)


def _paragraphs(text: str, spans: list[tuple[int, int]], tag: str,
                line_start: bool = True) -> list[tuple[str, bool]]:
    """`text` as escaped HTML, one (html, is a heading) per line, its Markdown markers
    dropped and the characters of `spans` (offsets into `text`, markers included) inside
    `<tag>`. `line_start`: whether `text` begins a line of its file (a block marker counts
    only there).

    Markers are found on the whole text first, so that a span starting or ending inside
    « **…** » neither keeps a marker nor shifts the marked words.

    >>> _paragraphs("## Titre\\n- Un **point** clé", [(16, 21)], "b")
    [('Titre', True), ('Un <b>point</b> clé', False)]
    """
    dropped, headings = _markers(text, line_start)
    marked = bytearray(len(text))
    for start, end in spans:
        start, end = max(0, start), min(len(text), end)
        marked[start:end] = b"\1" * max(0, end - start)
    lines: list[list[tuple[str, bool]]] = [[]]  # per line, runs of (characters, marked)
    for index, character in enumerate(text):
        if character == "\n":
            lines.append([])
        elif not dropped[index]:
            run = lines[-1]
            if run and run[-1][1] == bool(marked[index]):
                run[-1] = (run[-1][0] + character, run[-1][1])
            else:
                run.append((character, bool(marked[index])))
    return [("".join(f"<{tag}>{escape(part)}</{tag}>" if mark and part.strip() else escape(part)
                     for part, mark in line), number in headings)
            for number, line in enumerate(lines)]


def _window(text: str, start: int, end: int, width: int) -> tuple[int, int]:
    """Up to `width` characters either side of [start, end), cut between words."""
    left, right = max(0, start - width), min(len(text), end + width)
    if left > 0:
        space = re.search(r"\s", text[left:start])
        left = left + space.end() if space else start
    if right < len(text):
        space = max(text.rfind(" ", end, right), text.rfind("\n", end, right))
        right = space if space >= end else end
    return left, right


def context_html(hit: Hit, text: str | None, width: int = 400) -> str:
    """The passage in its surroundings, the passage in bold: plain text, one paragraph per
    line of the file, Markdown markers dropped, « … » only where the file goes on.

    `text` is its source file's text (`ingest.read.read_text`), None when the file is
    no longer in the corpus. Every character of it is escaped.
    """
    p = hit.passage
    if text is None:
        return f"<p>Le fichier {escape(p.source)} n'est plus dans le corpus.</p>"
    left, right = _window(text, p.start, p.end, width)
    paragraphs = [(html, heading) for html, heading in _paragraphs(
        text[left:right], [(p.start - left, p.end - left)], "b",
        line_start=left == 0 or text[left - 1] == "\n") if html.strip()]
    if not paragraphs:
        return f'<p class="ess-cite">{escape(p.location())}</p>'
    if left > 0:
        paragraphs[0] = ("… " + paragraphs[0][0], paragraphs[0][1])
    if right < len(text):
        paragraphs[-1] = (paragraphs[-1][0] + " …", paragraphs[-1][1])
    body = "".join(f'<p class="ess-context-heading">{html}</p>' if heading else f"<p>{html}</p>"
                   for html, heading in paragraphs)
    return f'<div class="ess-context">{body}</div><p class="ess-cite">{escape(p.location())}</p>'


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
                    f"{decimal(item.hit.score, 2)}<br>{plain_html(p.text)}</li>")
    return f'<ul class="ess-related">{"".join(rows)}</ul>'


def group_html(title: str, section: str, passages: list[Passage]) -> str:
    """A document section's passages in the theme explorer, with their citations."""
    heading = escape(title) + (f" › {escape(section.replace(' > ', ' › '))}" if section else "")
    rows = "".join(
        f"<li>{'<b>' + item_label(p.item).capitalize() + '</b> · ' if p.item is not None else ''}"
        f"{plain_html(p.text)} <span class=\"ess-cite\">{escape(p.location())}</span></li>"
        for p in passages)
    return f'<div class="ess-group"><h3>{heading}</h3><ul>{rows}</ul></div>'


def table_html(rows: list[dict], columns: dict[str, str], numbers: tuple[str, ...] = ()) -> str:
    """An HTML table of `rows` (dicts), `columns` mapping each key to its French heading;
    every cell escaped, numbers right-aligned.

    >>> table_html([{"t": "<b>Finance</b>", "n": 3}], {"t": "Thème", "n": "Passages"}, ("n",))
    '<table class="ess-table"><thead><tr><th scope="col">Thème</th><th scope="col">\
Passages</th></tr></thead><tbody><tr><td>&lt;b&gt;Finance&lt;/b&gt;</td><td class="ess-number">\
3</td></tr></tbody></table>'
    """
    head = "".join(f'<th scope="col">{escape(label)}</th>' for label in columns.values())
    body = "".join(
        "<tr>" + "".join(f'<td class="ess-number">{escape(str(row[key]))}</td>' if key in numbers
                         else f"<td>{escape(str(row[key]))}</td>" for key in columns) + "</tr>"
        for row in rows)
    return f'<table class="ess-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


# The map's shapes (Vega-Lite's names) as characters, for the legend beside it.
SYMBOLS = {"circle": "●", "square": "■", "triangle-up": "▲", "diamond": "◆", "cross": "✚",
           "triangle-down": "▼", "triangle-left": "◀", "triangle-right": "▶"}


def legend_html(labels: list[str], colours: list[str], shapes: list[str]) -> str:
    """The map's legend as a list that wraps to any width: each theme whole, with its
    shape in its colour (colour is never the only sign).

    >>> legend_html(["Finance <b>"], ["#1f77b4"], ["square"])
    '<ul class="ess-legend" aria-label="Légende de la carte"><li><span class="ess-symbol" \
style="color: #1f77b4" aria-hidden="true">■</span>Finance &lt;b&gt;</li></ul>'
    """
    items = "".join(
        f'<li><span class="ess-symbol" style="color: {_colour(colour)}" aria-hidden="true">'
        f"{SYMBOLS.get(shape, '●')}</span>{escape(label)}</li>"
        for label, colour, shape in zip(labels, colours, shapes, strict=True))
    return f'<ul class="ess-legend" aria-label="Légende de la carte">{items}</ul>'


def _colour(colour: str) -> str:
    """A CSS colour written #rrggbb, else the text's own colour: nothing else reaches CSS."""
    return colour if re.fullmatch(r"#[0-9a-fA-F]{6}", colour) else "currentColor"
