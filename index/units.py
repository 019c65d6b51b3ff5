"""Answer units: the pieces of a passage a reader can take alone.

The answer (answer.compose) quotes passages verbatim. A sentence torn from its passage
can read badly: a heading (« Les Rencontres du Mont Blanc 2026 »), a phrase without a
verb (« Reconnaissance de l'intersectionnalité des inégalités entre les sexes. »), a
sentence whose subject is in the one before (« Ces propositions peuvent être
étendues… », « Elle vise à… »), a lead-in that announces a list (« … ont été
soulignées : »). So a passage is cut into units instead:

- a short passage (a recommendation of one or two sentences) is one unit, whole;
- otherwise each sentence is a unit, except that a sentence without a verb, or one
  that opens on a reference to what comes before, is joined to the sentence before
  it, and a lead-in ending in « : » to the sentence after it;
- a unit that still needs what comes before (the passage's first sentence opens on
  « Elle… ») or that is a heading-like fragment is not offered at all.

The checks are French heuristics on the words, not a parser: a verb is a frequent
finite form (« est », « peuvent »…), a conjugated ending (« -aient », « -èrent »…), a
word after a subject pronoun, or an infinitive or imperative that opens the sentence
(« Créer… », « Concentrez-vous… »), as recommendations do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SHORT_PASSAGE = 450  # characters: a passage this short, in at most two sentences, stays whole
MAX_SENTENCES = 3  # a unit never joins more sentences than this
_ABBREVIATIONS = {"mme", "mlle", "mm", "dr", "pr", "me", "st", "ste", "art", "al", "cf",
                  "ex", "env", "fig", "vol", "chap", "no", "n°", "p", "pp", "av", "apr", "j.-c"}
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[«\"(\-–]?\s*[A-ZÀ-Ý0-9])")
_WORD = re.compile(r"[\w-]+", re.UNICODE)
_FINAL = re.compile(r"[.!?…;»\")]\s*$")

_FINITE = frozenset("""
est sont était étaient sera seront serait seraient soit soient fut furent été
a ont avait avaient aura auront aurait auraient ait aient eut eurent
peut peuvent pourra pourront pourrait pourraient pouvait pouvaient
doit doivent devra devront devrait devraient devait devaient
faut fallait faudra faudrait va vont allait allaient ira iront
fait font faisait faisaient fera feront ferait dit disent disait
reste restent permet permettent permettait vise visent existe existent semble semblent
devient deviennent comprend comprennent constitue constituent représente représentent
contribue contribuent apporte apportent joue jouent met mettent prend prennent donne
donnent offre offrent propose proposent implique impliquent nécessite nécessitent
favorise favorisent promeut promeuvent agit concerne concernent montre montrent compte
comptent veut veulent voit voient vient viennent tient tiennent sait savent
demande demandent souligne soulignent rappelle rappellent porte portent crée créent
génère génèrent partage partagent place placent ouvre ouvrent facilite facilitent
consiste consistent dépend dépendent signifie signifient désigne désignent
fit firent prit prirent mit mirent vint vinrent tint tinrent obtint devint revint
naquit mourut parut connut reçut vécut put dut sut voulut écrivit construisit choisit
finit réunit conduisit produisit permit soumit reconnut apparut disparut
""".split())
LONG_SENTENCE = 20  # words: a sentence this long is taken to have a verb
_FIRST_WORD_NOUNS = frozenset("""
premier première dernier dernière entier avenir plaisir loisir désir centre titre nombre
livre ordre cadre membre autre notre votre entre contre mère père frère terre guerre
verre lettre maître paire affaire salaire calendrier quartier métier dossier papier
pouvoir savoir devoir espoir soir noir histoire mémoire territoire trajectoire
chiffre genre acteur secteur budget rapport acte liberté sommaire glossaire annexe
""".split())
_ENT_NOUNS = frozenset("""
souvent présent différent agent argent parent client accident président continent
talent urgent évident excellent récent patient prudent précédent intelligent
adolescent fréquent équivalent dent vent cent lent serpent torrent absent compétent
pertinent permanent indépendent indépendant transparent cohérent conscient efficient
innocent suffisant violent décent apparent
""".split())
_SUBJECTS = frozenset("il elle ils elles on nous vous je j tu qui ne n se s".split())
# Nouns that end like a verb in the simple past (« créa ») or the present (« reçoit »).
_VERB_LIKE_NOUNS = frozenset("""
cinéma opéra agenda villa caméra panda yoga mafia pizza sofa véranda koala visa delta quota
data formula extra via gala boa aura voilà déjà nausea arena alpha beta gamma
droit endroit toit exploit détroit adroit étroit
""".split())
_CLITICS = frozenset("ne n se s y en le la les lui leur l me m te t".split())
_OPENERS = re.compile(
    r"^(?:ces|cela|ceci|celle|celles|celui|ceux|elle|elles|ils|leur|leurs|"
    r"en effet|de plus|par ailleurs|en outre|ainsi|toutefois|cependant|néanmoins|"
    r"pourtant|d['’]ailleurs|dès lors|de même|à cet égard|à ce titre|"
    r"ce sont|ce n['’]est|c['’]est pourquoi)\b", re.IGNORECASE)
# « Cet », « Cette », « Ce » + a noun refer back, unless the noun is the document or a time.
_DEMONSTRATIVE = re.compile(r"^(?:ce|cet|cette)\s+(\w+)", re.IGNORECASE)
_DEICTIC = frozenset("document rapport texte année mois jour semaine siècle livre guide "
                     "feuille chapitre".split())
# « Il faut », « Il est nécessaire », « Il y a », « Il s'agit »: no antecedent needed.
_IMPERSONAL = re.compile(r"^il\s+(?:faut|fallait|faudra|faudrait|est|était|sera|serait|y\s|"
                         r"s['’]agit|existe|reste|convient|semble|suffit|importe|apparaît)",
                         re.IGNORECASE)


@dataclass(frozen=True)
class Unit:
    """A piece of a passage's text, between `start` and `end` (offsets in the text)."""

    start: int
    end: int
    text: str
    sentences: int  # how many sentences it joins


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of a passage text.

    >>> t = "Créer des fonds. Former les élus. M. Dupont"
    >>> [t[a:b] for a, b in sentences(t)]
    ['Créer des fonds.', 'Former les élus.', 'M. Dupont']
    """
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        word = re.split(r"[\s'’]", text[:match.start()])[-1].rstrip(".").lower()
        if (len(word) == 1 and word.isalpha()) or word in _ABBREVIATIONS:  # « M. », « art. »
            continue
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def has_verb(sentence: str) -> bool:
    """Does the sentence hold a verb? (French heuristics, see the module's docstring.)

    >>> has_verb("Reconnaissance de l'intersectionnalité des inégalités entre les sexes.")
    False
    >>> has_verb("Créer des fonds."), has_verb("Ces propositions peuvent être étendues.")
    (True, True)
    >>> has_verb("Elle promeut des modèles économiques."), has_verb("Les Rencontres 2026")
    (True, False)
    """
    raw = _WORD.findall(sentence.replace("’", "'").replace("'", " "))
    words = [w.lower() for w in raw]
    if not words:
        return False
    if len(words) >= LONG_SENTENCE:
        return True
    first = words[0]
    if first not in _FIRST_WORD_NOUNS and len(first) > 3 and (
            first.endswith(("er", "ir", "re", "oir")) or first.endswith("ez")
            or first.endswith("-vous") or first.endswith("-nous")):
        return True
    for index, word in enumerate(words):
        if word in _FINITE:
            return True
        if len(word) > 3 and word not in _VERB_LIKE_NOUNS and (
                word.endswith(("oit", "aît", "oît")) or (word.endswith("a") and index > 0
                                                         and raw[index].islower()
                                                         and word[-2] not in "aeiouéè")):
            return True
        if len(word) > 5 and word.endswith(("aient", "èrent", "irent", "urent", "eront",
                                            "erait", "eraient", "iront", "irait", "issent",
                                            "issait")):
            return True
        if (len(word) > 4 and word.endswith("ent") and not word.endswith("ment")
                and word not in _ENT_NOUNS and index > 0 and words[index - 1] not in
                ("le", "la", "les", "un", "une", "des", "du", "de", "d", "au", "aux")):
            return True
        if word in _SUBJECTS and index + 1 < len(words):
            after = next((w for w in words[index + 1:] if w not in _CLITICS), None)
            if after is not None and after not in ("et", "ou", "de", "des", "du", "à"):
                return True
    return False


def refers_back(sentence: str) -> bool:
    """Does the sentence open on a reference to what came before?

    >>> refers_back("Ces propositions peuvent être étendues."), refers_back("Elle vise à agir.")
    (True, True)
    >>> refers_back("Ce document vise à promouvoir un plan."), refers_back("Il faut agir.")
    (False, False)
    >>> refers_back("Cette diplomatie met en avant les valeurs sociales.")
    True
    """
    text = sentence.lstrip(" «\"(-–*").strip()
    if _IMPERSONAL.match(text):
        return False
    if re.match(r"^(?:il|ils)\b", text, re.IGNORECASE):
        return True
    if _OPENERS.match(text):
        return True
    demonstrative = _DEMONSTRATIVE.match(text)
    return bool(demonstrative and demonstrative.group(1).lower() not in _DEICTIC)


def heading_like(text: str) -> bool:
    """A title or a fragment rather than a sentence: no closing punctuation and short, or
    in capitals.

    >>> heading_like("Les Rencontres du Mont Blanc 2026"), heading_like("FINANCE SOLIDAIRE.")
    (True, True)
    >>> heading_like("Renforcer l'autonomie des populations")
    False
    """
    letters = [c for c in text if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) > 0.8 * len(letters):
        return True
    return not _FINAL.search(text) and (len(text) < 60 and not has_verb(text))


def units(text: str) -> list[Unit]:
    """The units of a passage's text, in order (see the module's docstring).

    A sentence that must be read with the ones before it makes a chain with them; each
    beginning of a chain that reads alone is a unit, so units of one chain overlap.

    >>> t = ("Développer la formation. Reconnaissance de l'intersectionnalité. "
    ...      "Promouvoir le leadership féminin. Ces propositions peuvent être étendues. "
    ...      "Les Rencontres 2026")
    >>> [u.text for u in units(t)]  # doctest: +NORMALIZE_WHITESPACE
    ["Développer la formation. Reconnaissance de l'intersectionnalité.",
     'Promouvoir le leadership féminin.',
     'Promouvoir le leadership féminin. Ces propositions peuvent être étendues.']
    """
    spans = [(a, b) for a, b in sentences(text) if not heading_like(text[a:b])]
    while spans and _lead_in(text[spans[-1][0]:spans[-1][1]]):
        spans.pop()  # it announces what the passage does not hold
    if not spans:
        return []
    if len(spans) <= 2 and len(text) <= SHORT_PASSAGE:
        return [Unit(spans[0][0], spans[-1][1], text[spans[0][0]:spans[-1][1]], len(spans))]
    chains: list[list[tuple[int, int]]] = []
    for start, end in spans:
        sentence = text[start:end]
        if chains and (refers_back(sentence) or not has_verb(sentence)
                       or _lead_in(text[chains[-1][-1][0]:chains[-1][-1][1]])):
            chains[-1].append((start, end))
        else:
            chains.append([(start, end)])
    out = []
    for number, chain in enumerate(chains):
        if number == 0 and refers_back(text[chain[0][0]:chain[0][1]]):
            continue  # its antecedent is not in the passage
        for length in range(1, min(len(chain), MAX_SENTENCES) + 1):
            start, end = chain[0][0], chain[length - 1][1]
            last = text[chain[length - 1][0]:end]
            if _lead_in(last) or not has_verb(text[start:end]):
                continue
            if length < len(chain) and not has_verb(text[chain[length][0]:chain[length][1]]):
                continue  # the next sentence, verbless, completes this one
            out.append(Unit(start, end, text[start:end], length))
    return out


def _lead_in(sentence: str) -> bool:
    """A sentence announcing what follows (« … ont été soulignées : »)."""
    return sentence.rstrip().endswith(":")
