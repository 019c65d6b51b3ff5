"""French tokens for the lexical (BM25) half of the search.

Unlike the embedding model, which reads raw text, BM25 matches words exactly, so
both queries and passages go through the same steps:
1. lower case, NFKD, diacritics dropped (« égalité » and « egalite » meet), œ → oe;
2. elisions dropped with straight or curly apostrophes (l', d', qu', n', s', j', m',
   t', c', jusqu', lorsqu', puisqu', quoiqu');
3. words of letters and digits, French stop words (and question words) removed;
4. the Snowball French stemmer, applied after folding so that a query typed
   without accents stems like the accented text (« coopératives » → « cooper »),
   its stems cut to 6 characters: Snowball keeps « financer » (financ) and
   « financières » (financi) apart, which cost the finance recommendations their
   place for « Comment financer… ? »; on the dev and PIAF sets the cut changed no
   figure by more than 0.005 (docs/evaluation.md).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_ELISION = re.compile(r"\b(?:jusqu|lorsqu|puisqu|quoiqu|qu|[ldjmntsc])['’‘`´ʼ]", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+")

# NLTK's French list (as shipped by bm25s) plus question words and frequent function
# words it lacks; compared after accent folding.
_STOP = """
ai aie aient aies ait as au aura aurai auraient aurais aurait auras aurez auriez aurions
aurons auront aux avaient avais avait avec avez aviez avions avons ayant ayante ayantes
ayants ayez ayons c ce ces d dans de des du elle en es est et eu eue eues eurent eus eusse
eussent eusses eussiez eussions eut eux eumes eut eutes furent fus fusse fussent fusses
fussiez fussions fut fumes futes il ils j je l la le les leur lui m ma mais me mes moi mon
meme n ne nos notre nous on ont ou par pas pour qu que qui s sa se sera serai seraient
serais serait seras serez seriez serions serons seront ses soient sois soit sommes son sont
soyez soyons suis sur t ta te tes toi ton tu un une vos votre vous y a etaient etais etait
etant etante etantes etants etiez etions ete etee etees etes
quel quelle quels quelles lequel laquelle lesquels lesquelles comment pourquoi quand
combien ou dont cet cette ceux celle celles celui cela ceci ca comme si ni car donc or
est-ce faut peut peuvent doit doivent fait faire etre avoir tout tous toute toutes
aussi tres plus moins entre sans sous chez vers alors ainsi leurs
"""
STOP_WORDS = frozenset(_STOP.split())


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("french")


class _Folded(dict):
    """Each character's compatibility decomposition without its combining marks, made
    when first met. NFKD decomposes character by character, so folding a text one
    character at a time (str.translate) equals folding it whole, several times faster."""

    def __missing__(self, code: int) -> str:
        decomposed = unicodedata.normalize("NFKD", chr(code))
        folded = self[code] = "".join(c for c in decomposed if not unicodedata.combining(c))
        return folded


_FOLDED = _Folded()


def fold(text: str) -> str:
    """Lower case without diacritics.

    >>> fold("Égalité, ŒUVRE et « coopération »")
    'egalite, oeuvre et « cooperation »'
    >>> fold("ﬁnancière Ǆ")  # ligatures decomposed as NFKD does
    'financiere dz'
    """
    return text.lower().replace("œ", "oe").replace("æ", "ae").translate(_FOLDED)


def words(text: str) -> list[str]:
    """Folded words with elisions and stop words removed, not yet stemmed.

    >>> words("L’économie d'aujourd'hui qu’elle finance : l'ESS")
    ['economie', 'aujourd', 'hui', 'finance', 'ess']
    """
    text = _ELISION.sub(" ", text)
    return [w for w in _WORD.findall(fold(text)) if w not in STOP_WORDS]


def tokenize(text: str) -> list[str]:
    """The BM25 tokens of a text.

    >>> tokenize("Comment financer les coopératives ?")
    ['financ', 'cooper']
    >>> tokenize("financement des cooperatives")
    ['financ', 'cooper']
    >>> tokenize("institutions financières")
    ['instit', 'financ']
    """
    return [stem[:6] for stem in _stemmer().stemWords(words(text))]


# Two texts whose sets of tokens overlap this much (Jaccard) say the same thing: a
# recommendation copied into another report with a few words changed scores 0.7 and
# more, the closest distinct recommendations of the seed corpus under 0.35. Used for
# near-duplicate passages (index.related) and for units that repeat one already in an
# answer (answer.compose).
SAME_WORDS = 0.6


def overlap(a: set[str], b: set[str]) -> float:
    """Jaccard overlap of two token sets (0 for two empty ones).

    >>> overlap(set(tokenize("financer les coopératives")), set(tokenize("coopérative")))
    0.5
    """
    return len(a & b) / max(len(a | b), 1)
