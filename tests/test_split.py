"""ingest/split.py (and ingest.build.passages_of): structure-aware splitting."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CORPUS, ROADMAP, SUMMARY
from index.config import SplitConfig
from index.text import collapse
from ingest.build import passages_of
from ingest.read import Document, decode, read_corpus, read_text
from ingest.split import section_label, split_text

INTRO = ("Feuille de route",)
EDUCATION = "L'éducation pour l'ESS tout au long de la vie : inspiration et engagement"
GENDER = ("Changer la vie de nos organisations en intégrant et en incorporant une perspective "
          "de genres")
RECOGNITION = ("La reconnaissance internationale de l'ESS. Stratégies et perspectives de "
               "collaboration pour les acteurs internationaux")
EXPECTED_ITEMS = {
    ("L'internationalisation de l'ESS dans le cadre de l'agenda 2030 de l'ONU",): 4,
    ("Les solutions locales de l'ESS",): 9,
    (EDUCATION,): 6,
    ("ESS et un système financier plus stable, résilient et démocratique",): 6,
    ("Investir dans l'ESS pour améliorer l'emploi",): 6,
    (GENDER,): 9,
    ("Biens publics et communs, pour une ESS durable et transformatrice",): 7,
    ("Les outils numériques au service de l'ESS",): 5,
    ("Changer la logique du modèle de production, de distribution et de consommation des "
     "aliments par le biais de l'ESS",): 8,
    ("Les politiques publiques et l'impact de l'ESS/ une lecture euro-americaine",): 2,
    ("Sessions autogérées", "Gestion sociale des déterminants de la santé"): 3,
    ("Sessions autogérées", RECOGNITION): 5,
    ("La mutualité face à l'évolution démographique",): 7,
}


def texts(text, pieces):
    return [collapse(text[p.start:p.end]) for p in pieces]


def layout(text, max_chars=1000):
    pieces = split_text(text, max_chars)
    return [(p.section, p.item, collapse(text[p.start:p.end])) for p in pieces]


def _real(name):
    text = read_text(CORPUS / name)
    return text, split_text(text, 1000)


roadmap = pytest.fixture(scope="module")(lambda: _real(ROADMAP))
summary = pytest.fixture(scope="module")(lambda: _real(SUMMARY))


# --- the real roadmap -----------------------------------------------------------------

def test_roadmap_item_counts_per_section(roadmap):
    _, pieces = roadmap
    numbers = defaultdict(list)
    for p in (p for p in pieces if p.item is not None):
        numbers[p.section].append(p.item)
    assert {s: len(n) for s, n in numbers.items()} == EXPECTED_ITEMS
    assert sum(len(n) for n in numbers.values()) == 77
    for section, found in numbers.items():
        assert found == list(range(1, len(found) + 1)), section


def test_roadmap_items_cut_by_page_breaks_are_whole(roadmap):
    text, pieces = roadmap
    by_item = {(p.section, p.item): collapse(text[p.start:p.end]) for p in pieces}
    education3, gender8 = by_item[((EDUCATION,), 3)], by_item[((GENDER,), 8)]
    assert education3.startswith("Rechercher des connexions entre l'ESS")
    assert "la recherche et le développement" in education3
    assert education3.endswith("d'une éducation inclusive, équitable et de qualité pour la vie.")
    assert gender8.startswith("Promouvoir le leadership féminin")
    assert "enrichit les processus entrepris collectivement" in gender8
    assert gender8.endswith("au-delà des femmes.")
    # The continuations are not separate passages.
    assert not any(t.startswith(("et le développement", "entrepris collectivement"))
                   for t in texts(text, pieces))


def test_roadmap_theme_list_is_not_recommendations(roadmap):
    text, pieces = roadmap
    lead = ("Dans le cadre de ce thème général, huit thèmes ont été abordés lors de sessions "
            "parallèles :")
    ((section, item, body),) = [x for x in layout(text) if x[2].startswith(lead)]
    assert (section, item) == (INTRO, None)
    assert re.findall(r"(\d)\. [A-ZÉ' ]+", body) == list("12345678")  # all 8, in order
    assert f"{lead} 1. L'ÉDUCATION POUR L'ESS TOUT AU LONG DE LA VIE" in body
    assert body.endswith("8. LES POLITIQUES PUBLIQUES ET L'IMPACT DE L'ESS/ UNE LECTURE "
                         "EURO-AMERICAINE")
    assert all(p.item is None for p in pieces if p.section == INTRO)


def test_roadmap_section_labels_and_nesting(roadmap):
    sections = {p.section for p in roadmap[1]}
    labels = {label for s in sections for label in s}
    assert len(labels) == 15 and INTRO in sections
    for label in labels:  # sentence case, no `###` nor `**` left
        assert "#" not in label and "*" not in label
        assert label[0].isupper() and not label.isupper(), label
    # `### INVESTIR ...` after the finance items is a sibling, not a child, of finance.
    assert ("Investir dans l'ESS pour améliorer l'emploi",) in sections
    assert not any(len(s) > 1 and s[0].startswith("ESS et un système financier")
                   for s in sections)
    # Under a heading without items, a deeper heading is a child.
    assert all(s[0] == "Sessions autogérées" for s in sections if len(s) == 2)
    assert max(len(s) for s in sections) == 2


def test_roadmap_heading_with_full_stop_keeps_sentence_capital(roadmap):
    _, pieces = roadmap
    labels = {p.section[-1] for p in pieces if p.section}
    assert ("La reconnaissance internationale de l'ESS. Stratégies et perspectives de "
            "collaboration pour les acteurs internationaux") in labels


@pytest.mark.parametrize("heading, label", [
    ("### **ESS ET UN SYSTÈME FINANCIER PLUS STABLE, RÉSILIENT ET DÉMOCRATIQUE**",
     "ESS et un système financier plus stable, résilient et démocratique"),
    ("L'INTERNATIONALISATION DE L'ESS DANS LE CADRE DE L'AGENDA 2030 DE L'ONU",
     "L'internationalisation de l'ESS dans le cadre de l'agenda 2030 de l'ONU"),
    ("BIENS PUBLICS ET COMMUNS, POUR UNE ESS DURABLE ET TRANSFORMATRICE.",
     "Biens publics et communs, pour une ESS durable et transformatrice"),
    ("**Le financement  solidaire :**", "Le financement solidaire"),
])
def test_section_label(heading, label):
    assert section_label(heading) == label


# --- the real 2026 summary ------------------------------------------------------------

def test_summary_wrapped_lines_bullets_and_lead_ins(summary):
    text, pieces = summary
    assert pieces and all(p.section == () and p.item is None for p in pieces)
    found = texts(text, pieces)
    for phrase in ["Elle promeut des modèles économiques fondés sur la solidarité, la "
                   "coopération, la primauté de l'humain",
                   "Vous souhaitez participer à la transition écologique et sociale sur notre "
                   "territoire"]:
        assert sum(phrase in t for t in found) == 1, phrase
    assert not any("➡" in t for t in found)
    # the first ➡️ stands alone on its line: its passage starts at the text below it
    assert all(not text[p.start].isspace() and not text[p.end - 1].isspace() for p in pieces)
    (closing,) = [t for t in found if "Enfin, en conclusion des rencontres" in t]
    assert closing.startswith("Enfin, en conclusion des rencontres, ont été soulignées : "
                              "- L'importance du travail effectué par Simel Esim")
    assert "- L'importance de la prise en compte pleine de l'ESS" in closing
    (funding,) = [t for t in found if "La nécessité d'améliorer le financement de l'ESS" in t]
    assert funding.startswith("La nécessité d'améliorer le financement de l'ESS")
    assert "Enfin" not in funding


# --- every passage of every corpus file -----------------------------------------------

def test_corpus_citation_round_trip():
    documents, _ = read_corpus(CORPUS)
    assert {d.source for d in documents} == {ROADMAP, SUMMARY}
    for doc in documents:
        passages, source = passages_of(doc, SplitConfig()), read_text(CORPUS / doc.source)
        assert len(passages) > 5
        for p in passages:
            assert (p.source, p.title) == (doc.source, doc.title)
            assert 0 <= p.start < p.end <= len(doc.text)
            assert collapse(doc.text[p.start:p.end]) == p.text
            assert collapse(source[p.start:p.end]) == p.text
            assert p.text and len(p.text) <= 1000
        ids = [p.id for p in passages]
        assert len(set(ids)) == len(ids)
        assert [p.id for p in passages_of(doc, SplitConfig())] == ids  # stable
        assert [p.start for p in passages] == sorted(p.start for p in passages)


# --- synthetic texts ------------------------------------------------------------------

def test_markdown_heading_levels_build_a_path():
    text = ("# Rapport sur l’ESS\n\nIntroduction.\n\n## Finance\n\nPremier texte.\n\n"
            "### Crédit coopératif\n\nDeuxième texte.\n\n## Emploi\n\nTroisième texte.\n")
    assert layout(text) == [((), None, "Introduction."), (("Finance",), None, "Premier texte."),
                            (("Finance", "Crédit coopératif"), None, "Deuxième texte."),
                            (("Emploi",), None, "Troisième texte.")]


LONG_BOLD = ("Les banques coopératives prêtent aux associations de quartier, aux coopératives "
             "d'habitants et aux mutuelles de santé depuis « plus de cinquante ans » en Suisse")


def test_caps_and_bold_headings():
    assert len(LONG_BOLD) > 150  # too long for a heading, though it has no final full stop
    text = ("Introduction du rapport.\n\nLES FINANCES SOLIDAIRES\n\nLes banques prêtent.\n\n"
            "**Le crédit coopératif**\n\nIl soutient les associations.\n\n"
            "**Les banques coopératives prêtent aux associations de quartier.**\n\nFin.\n\n"
            f"**{LONG_BOLD}**\n\nSuite.\n")
    credit = ("Le crédit coopératif",)
    assert layout(text) == [
        ((), None, "Introduction du rapport."),
        (("Les finances solidaires",), None, "Les banques prêtent."),
        (credit, None, "Il soutient les associations."),
        (credit, None, "**Les banques coopératives prêtent aux associations de quartier.**"),
        (credit, None, "Fin."), (credit, None, f"**{LONG_BOLD}**"), (credit, None, "Suite.")]


def test_numbered_heading_in_capitals_has_a_label():
    text = ("## LES THÈMES\n\nIntroduction des thèmes.\n\n1. L'ÉDUCATION POUR L'ESS\n\n"
            "Les écoles coopératives forment les jeunes.\n\n2. LA FINANCE SOLIDAIRE\n\n"
            "Les banques prêtent.\n")
    sections = [p.section for p in split_text(text)]
    assert sections[0] == ("Les thèmes",)
    assert sections[1][0] == sections[2][0] == "Les thèmes"
    assert "L'éducation pour l'ESS" in sections[1][1]
    assert "La finance solidaire" in sections[2][1]


def test_numbered_items_with_parenthesis():
    text = "## Propositions\n\n1) Créer un fonds.\n2) Former les élus.\n3) Évaluer les effets.\n"
    assert layout(text) == [(("Propositions",), 1, "Créer un fonds."),
                            (("Propositions",), 2, "Former les élus."),
                            (("Propositions",), 3, "Évaluer les effets.")]


def test_page_breaks():
    cut = ("## Propositions\n\n1. Créer un fonds régional pour les\n\n\n\n"
           "associations de quartier.\n2. Former les élus.\n")
    assert [(item, t) for _, item, t in layout(cut)] == [
        (1, "Créer un fonds régional pour les associations de quartier."),
        (2, "Former les élus.")]
    ended = "Le premier paragraphe se termine ici.\n\n\n\nLe second paragraphe commence ensuite.\n"
    assert [t for *_, t in layout(ended)] == ["Le premier paragraphe se termine ici.",
                                              "Le second paragraphe commence ensuite."]
    # After a single blank line, a continuation in lower case is still joined.
    assert [t for *_, t in layout("L'ESS représente 10 %\n\ndu PIB mondial.\n")] == [
        "L'ESS représente 10 % du PIB mondial."]


SENTENCES = ["L’économie sociale et solidaire regroupe des coopératives et des mutuelles.",
             "Elle emploie près de deux millions de personnes en France !",
             "Pourquoi les banques coopératives prêtent-elles aux petites structures ?",
             "Les collectivités locales soutiennent « l’entrepreneuriat collectif »…",
             "Les sociétés coopératives d'intérêt collectif associent salariés et usagers."]


@pytest.mark.parametrize("max_chars", [1000, 300])
def test_long_text_splits_on_sentences(max_chars):
    text = " ".join(SENTENCES[i % len(SENTENCES)] for i in range(30))
    assert len(text) > 2 * max_chars
    pieces = split_text(text, max_chars)
    found = texts(text, pieces)
    assert len(pieces) >= 3
    assert all(len(t) <= max_chars for t in found)
    assert all(t[-1] in ".!?…" for t in found)
    assert all(t[0].isupper() for t in found)
    assert " ".join(found) == collapse(text)


def test_one_sentence_lines_are_grouped():
    text = "\n".join(SENTENCES * 3)  # a web page pasted as text: no blank line at all
    found = [t for *_, t in layout(text, 300)]
    assert len(found) == 9 and all(len(t) <= 150 for t in found)  # up to max_chars // 2
    assert " ".join(found) == collapse(text)


def test_crlf_file_keeps_round_trip(tmp_path):
    raw = ("## LES PROPOSITIONS DE L’ESS\r\n\r\n1. Créer un fonds régional pour les\r\n"
           "associations.\r\n2. Former les élus.\r\n\r\nUn paragraphe final.\r\n")
    (tmp_path / "crlf.txt").write_bytes(raw.encode("cp1252"))
    (doc,), _ = read_corpus(tmp_path)
    assert "\r" not in doc.text and doc.encoding == "cp1252"
    passages, source = passages_of(doc, SplitConfig()), read_text(tmp_path / "crlf.txt")
    assert [(p.section, p.item, p.text) for p in passages] == [
        ("Les propositions de l’ESS", 1, "Créer un fonds régional pour les associations."),
        ("Les propositions de l’ESS", 2, "Former les élus."),
        ("Les propositions de l’ESS", None, "Un paragraphe final.")]
    assert all(collapse(source[p.start:p.end]) == p.text for p in passages)


def test_typography_survives():
    text = "L’ESS\u00a0: « une économie\u202fsolidaire » d’abord !"
    (piece,) = split_text(text)
    assert text[piece.start:piece.end] == text  # NBSP kept in the cited span
    # Curly quotes and guillemets stay in the passage text; NBSPs become plain spaces
    # there, as collapse() documents (index/text.py).
    assert texts(text, [piece]) == ["L’ESS : « une économie solidaire » d’abord !"]


def test_tiny_texts():
    assert split_text("") == []
    assert split_text("\n\n  \n") == []
    assert [(p.start, p.end) for p in split_text("Solidarité")] == [(0, 10)]
    text = "## Finance\n\nUn texte plus court qu'un passage, sur deux lignes\nde suite.\n"
    assert layout(text) == [
        (("Finance",), None, "Un texte plus court qu'un passage, sur deux lignes de suite.")]


# --- property test --------------------------------------------------------------------

WORDS = ["économie", "sociale", "solidaire", "l’ESS", "coopérative", "mutuelle", "Genève",
         "crédit", "emploi", "« commun »", "ONU", "d'accès", "territoires", "à", "et", "la",
         "de", "politiques\u00a0publiques", "2030", "numérique", "ÉDUCATION"]
_words = st.lists(st.sampled_from(WORDS), min_size=1, max_size=12).map(" ".join)
_sentence = st.tuples(_words, st.sampled_from([".", " !", " ?", "…", " :", ",", ""])).map(
    lambda t: t[0][:1].upper() + t[0][1:] + t[1])


@st.composite
def _wrapped(draw):
    """A paragraph of sentences, hard-wrapped at random places."""
    words = " ".join(draw(st.lists(_sentence, min_size=1, max_size=8))).split(" ")
    cuts = draw(st.lists(st.integers(0, len(words)), max_size=4))
    return "".join(w + ("\n" if i in cuts else " ") for i, w in enumerate(words)).strip()


_line = st.one_of(
    st.tuples(st.integers(1, 4), _words).map(lambda t: "#" * t[0] + " " + t[1]),
    _words.map(str.upper),
    _words.map(lambda w: f"**{w}**"),
    st.tuples(st.integers(1, 12), st.sampled_from([".", ")"]), _wrapped()).map(
        lambda t: f"{t[0]}{t[1]} {t[2]}"),
    st.tuples(st.sampled_from(["-", "•", "➡️", "➡️\n"]), _wrapped()).map(" ".join),
    _wrapped(),
    st.text(alphabet="abcé ", min_size=150, max_size=400),  # overlong, few sentence ends
)
_document = st.lists(st.tuples(_line, st.sampled_from(["\n", "\n\n", "\n\n\n\n", "\r\n"])),
                     max_size=25).map(lambda parts: "".join(a + b for a, b in parts))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_document)
def test_property_pieces_are_valid_spans(raw):
    text = decode(raw.encode("utf-8"))[0]
    pieces = split_text(text, 200)
    passages = passages_of(Document(None, "doc.md", text, "Doc", "", "utf-8"),
                           SplitConfig(max_chars=200))
    assert [(p.start, p.end) for p in passages] == [(p.start, p.end) for p in pieces]
    assert all(collapse(text[p.start:p.end]) == p.text for p in passages)
    assert len({p.id for p in passages}) == len(passages)
    previous_end = 0
    for p in pieces:
        assert previous_end <= p.start < p.end <= len(text)  # sorted, non-overlapping
        previous_end = p.end
        assert 0 < len(collapse(text[p.start:p.end])) <= 200
        assert p.item is None or p.item >= 1
        assert all("**" not in label and "#" not in label for label in p.section)
    # No body text is lost: a word outside every piece sits on a heading line or is
    # the number of an item.
    spans = [(p.start, p.end) for p in pieces]
    for word in re.finditer(r"\w+", text):
        if any(a <= word.start() < b for a, b in spans):
            continue
        line = text[text.rfind("\n", 0, word.start()) + 1:].split("\n", 1)[0].strip()
        letters = [c for c in line if c.isalpha()]
        assert (line.startswith(("#", "**")) or re.match(rf"{word.group()}[.)] ", line)
                or sum(c.isupper() for c in letters) >= 0.9 * len(letters)), (word, line)


def test_a_sentence_in_capitals_is_text_not_a_heading():
    text = ("## Calendrier\n\nLes dossiers sont ouverts.\n\n"
            "ATTENTION : LES DOSSIERS DOIVENT ÊTRE DÉPOSÉS AVANT LE 1ER MARS.\n")
    assert layout(text) == [(("Calendrier",), None, "Les dossiers sont ouverts."),
                            (("Calendrier",), None, "ATTENTION : LES DOSSIERS DOIVENT ÊTRE "
                                                    "DÉPOSÉS AVANT LE 1ER MARS.")]
