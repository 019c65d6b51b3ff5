"""Which language a question is written in, from its function words.

The lexical half of the search (index.tokenize) knows French only. A question in
another language shares almost no token with French passages, so its lexical evidence
says nothing about whether the corpus answers it: the search and the no-answer gate
must not count that absence against it (index.fusion, answer.compose). The embedding
model is multilingual and carries such questions alone.

A question's words are compared, accent-folded, with short lists of the most frequent
function words (articles, prepositions, pronouns, question words) of French, Spanish,
Portuguese, English, Italian and German; the language with most matches wins, French on
ties, and a question with no function word at all (« microcrédit coopératives ») is
taken as French: keywords typed into a French tool are most likely French.
"""

from __future__ import annotations

import re

from index.tokenize import fold

_WORDS = {
    "fr": """le la les l un une des du de d au aux a et ou est sont etre que qu qui quoi quel
             quelle quels quelles comment pourquoi combien dans pour par sur avec sans ce cet
             cette ces il elle ils elles on nous vous leur leurs ne pas plus sa son ses y
             doit doivent faut peut peuvent faire entre aussi tres mais donc en se si lui
             dont""",
    "es": """de a el la los las lo del al y o es son ser que cual cuales como donde cuando por para
             con sin en una uno unos unas este esta estos estas ese esa su sus se le les hay
             muy mas pero cuanto cuanta cuantos cuantas quien quienes debe deben tiene tienen
             puede pueden hace hacer sobre entre tambien porque""",
    "pt": """de o a os as do da dos das no na nos nas ao aos e ou que qual quais como onde quando
             por para com sem em um uma uns umas este esta isso seu sua seus suas se ha muito
             mais mas quanto quanta quantos quantas quem deve devem ser tem pode podem faz
             fazer sobre entre tambem porque nao sao pelo pela pelos pelas""",
    "en": """the a an of and or is are was were what which who whom whose how why when where
             to in on for with without by from this that these those it its they their there
             should can could do does did be been has have not more than about""",
    "it": """di a in il lo la i gli le della delle dei degli del e che chi come dove quando
             perche per con senza una uno questo questa sono non nel nella anche molto""",
    "de": """der die das den dem des und oder ist sind was wer wie warum wann wo zu mit fur
             von ein eine einen nicht auch auf im""",
}
# Letters and signs only one of these languages writes (looked for before accents are folded).
_MARKS = {"es": "¿¡ñ", "pt": "ãõ", "fr": "èêëùœîû", "de": "ßäö"}
_SPANISH_ASKING = frozenset("cómo qué cuál cuáles cuánto cuánta cuántos cuántas dónde quién "
                            "quiénes cuándo".split())
_PORTUGUESE_ASKING = frozenset("como qual quais quanto quanta quantos quantas onde quem".split())
LEXICON = {lang: frozenset(words.split()) for lang, words in _WORDS.items()}
# A word several languages share counts for each of them in proportion.
_WEIGHT = {word: 1 / sum(word in words for words in LEXICON.values())
           for words in LEXICON.values() for word in words}
_WORD = re.compile(r"[a-z]+")


def detect(text: str) -> str:
    """The language code of a question: fr, es, pt, en, it or de.

    >>> detect("Que propose-t-on pour financer les coopératives ?")
    'fr'
    >>> detect("¿Cómo financiar las cooperativas y las empresas de economía social?")
    'es'
    >>> detect("Como financiar as cooperativas e as empresas da economia social?")
    'pt'
    >>> detect("How can cooperatives be financed?"), detect("microcrédit coopératives")
    ('en', 'fr')
    """
    words = _WORD.findall(fold(text).replace("'", " ").replace("’", " "))
    scores = {lang: sum(_WEIGHT[w] for w in words if w in lexicon)
              for lang, lexicon in LEXICON.items()}
    lowered = text.lower()
    for lang, marks in _MARKS.items():
        scores[lang] += sum(lowered.count(mark) for mark in marks)
    scores["pt"] += lowered.count("ção") + lowered.count("ções")
    # Spanish writes its question words with accents (« ¿Cómo…? »), Portuguese without.
    words_as_typed = re.findall(r"\w+", lowered)
    scores["es"] += sum(word in _SPANISH_ASKING for word in words_as_typed)
    if words_as_typed and words_as_typed[0] in _PORTUGUESE_ASKING and "¿" not in lowered:
        scores["pt"] += 0.5
    best = max(scores.values())
    if best == 0 or scores["fr"] >= best:
        return "fr"
    return max(scores, key=scores.get)
