"""What a question asks for, and whether it is a question at all, in four languages.

- `content_words`: the words of an input that carry meaning, once the function words
  of French, Spanish, English and Portuguese, greetings and politeness are set aside.
  An input without any (« bonjour », « ? », « le la les de du », an emoji) is not a
  question: the answer invites the reader to ask one (answer.compose) instead of dressing
  the closest passages up as an answer.
- `asked`: the kind of answer a question asks for (contact details, a time, an amount,
  a date, a number, a person, a place, a definition, a reason, a manner), from its
  question words.
- `gives`: whether a text holds that kind of answer (a year or a month for a date,
  digits or number words for a number, a currency for an amount, a capitalised name
  the question does not have for a person or a place).

Both feed the learned choices of answer.features; they are French-first heuristics on
words, not a parser.
"""

from __future__ import annotations

import re

from index.language import LEXICON
from index.tokenize import STOP_WORDS, fold

# Greetings, thanks and words about the exchange itself: they ask nothing of the corpus.
_SMALL_TALK = frozenset("""
bonjour bonsoir salut coucou hello hi hey hola ola oi buenos buenas dias tardes noches bom boa
dia tarde noite merci thanks thank thx gracias obrigado obrigada please svp stp plait
bienvenue welcome bienvenido ok okay oui non yes no si sim nao d accord vale bye revoir adieu
adios tchau ciao test tests testing essai aide help ayuda ajuda question questions pregunta
pergunta rien nothing nada allo alo bien good well bueno buena bom tres muy very moi toi me
you tu vous usted voce va vais allez vas beaucoup mucho muchas muchos muito muita much lot
""".split())
_NON_WORDS = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)
FUNCTION_WORDS = frozenset(STOP_WORDS | {w for words in LEXICON.values() for w in words})


def content_words(text: str) -> list[str]:
    """The words of `text` that carry meaning (folded), in order.

    >>> content_words("Bonjour !"), content_words("le la les de du ?"), content_words("🙂")
    ([], [], [])
    >>> content_words("Comment financer les coopératives ?")
    ['financer', 'cooperatives']
    >>> content_words("¿Cómo financiar las cooperativas?")
    ['financiar', 'cooperativas']
    """
    words = _NON_WORDS.findall(fold(text.replace("’", " ").replace("'", " ")))
    return [w for w in words if (len(w) > 1 or w.isdigit())
            and w not in FUNCTION_WORDS and w not in _SMALL_TALK]


def is_question(text: str) -> bool:
    """Does the input ask something of the corpus (at least one content word)?

    >>> is_question("bonjour"), is_question("Quel temps fera-t-il demain ?")
    (False, True)
    """
    return bool(content_words(text))


_MONTHS = ("janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|"
           "novembre|décembre|decembre|january|february|march|april|may|june|july|august|"
           "september|october|november|december|enero|febrero|marzo|abril|mayo|junio|julio|"
           "agosto|septiembre|octubre|noviembre|diciembre|janeiro|fevereiro|março|maio|junho|"
           "julho|setembro|outubro|novembro|dezembro")
# (kind, what asks for it): the first that matches wins, so the specific come first.
_ASKS = [
    ("contact", r"\b(t[ée]l[ée]phone|phone|tel[ée]fono|telefone|e-?mail|courriel|correo|"
                r"adresse|address|direcci[óo]n|endere[çc]o|site (web|internet)|website|"
                r"sitio web|p[áa]gina web|contacter|contact|contactar)\b"),
    ("time", r"\b(à quelle heure|quelle heure|horaires?|what time|opening hours|a qué hora|"
             r"horarios?|que horas|a que horas|horários?)\b"),
    ("amount", r"\b(prix|co[uû]te?n?t?|co[uû]t|tarifs?|montant|budget|salaires?|price|costs?|"
               r"fees?|how much (money|does)|precios?|cuesta|cuánto cuesta|presupuesto|"
               r"salarios?|preços?|custa|orçamento|salários?)\b"),
    ("date", r"\b(quand|en quelle année|quelle année|quelle date|depuis quand|à quelle époque|"
             r"quel siècle|de quand|when|what year|which year|what date|what century|cuándo|"
             r"cuando|en qué año|qué año|qué fecha|qué siglo|quando|em que ano|que ano|"
             r"que data|que século|date de|année de|fecha de|data de)\b"),
    ("number", r"\b(combien|nombre de|quel nombre|how many|how much|how long|how old|how far|"
               r"how tall|cuánt[oa]s?|cuant[oa]s?|quant[oa]s?|population|pourcentage|"
               r"percentage|porcentaje|percentagem|taux|rate|tasa|taxa|quelle taille|"
               r"quelle distance|quel âge|quelle durée)\b"),
    ("person", r"\b(qui|quién|quiénes|quien|quienes|quem|who|whom|whose|par qui|de qui|"
               r"quel (auteur|roi|président|peintre|homme|personnage)|"
               r"quelle (personne|reine|femme))\b"),
    ("place", r"\b(où|d'où|where|dónde|donde|adónde|onde|aonde|dans quel(le)? (pays|ville|"
              r"région|lieu|endroit|continent|département)|quel(le)? (pays|ville|région|"
              r"lieu)|in which (country|city|region)|what (country|city|region)|"
              r"en qué (país|ciudad|región)|qué (país|ciudad)|em que (país|cidade|região)|"
              r"que (país|cidade))\b"),
    ("definition", r"(qu'est[- ]ce qu|c'est quoi|que signifie|que veut dire|définition|"
                   r"\bwhat is\b|\bwhat are\b|\bwhat does .* mean\b|\bqué es\b|\bqué son\b|"
                   r"\bqué significa\b|\bo que é\b|\bo que são\b|\bo que significa\b)"),
    ("reason", r"\b(pourquoi|why|por qué|porque|por que|pour quelle raison)\b"),
    ("manner", r"\b(comment|how|cómo|como|de quelle manière|de quelle façon)\b"),
]
KINDS = [kind for kind, _ in _ASKS] + ["other"]
_ASKS_RE = [(kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in _ASKS]
_YEAR = re.compile(r"\b(1\d{3}|20\d{2})\b|\b[IVXL]+e\s+siècle|\bsiècle\b|\bcentury\b|"
                   r"\bsiglo\b|\bséculo\b", re.IGNORECASE)
_MONTH = re.compile(rf"\b\d{{1,2}}(er)?\s+({_MONTHS})\b|\b({_MONTHS})\s+\d{{1,4}}\b",
                    re.IGNORECASE)
_NUMBER = re.compile(r"\d|\b(deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|"
                     r"quinze|vingt|trente|quarante|cinquante|soixante|cent|cents|mille|"
                     r"million|millions|milliard|milliards|dizaines?|centaines?|milliers?|"
                     r"moitié|tiers|quart)\b", re.IGNORECASE)
_AMOUNT = re.compile(r"\d[\d\s.,]*\s?(€|euros?|\$|dollars?|francs?|chf|livres?|pesos|reais|"
                     r"usd|eur)(?!\w)|(€|\$|£)\s?\d|\b(millions?|milliards?) d['’](euros|dollars)",
                     re.IGNORECASE)
_CONTACT = re.compile(r"\+?\d[\d .-]{7,}\d|[\w.-]+@[\w-]+\.\w+|https?://|www\.|"
                      r"\b\d{1,4},? (rue|avenue|boulevard|chemin|route|place)\b",
                      re.IGNORECASE)
_TIME = re.compile(r"\b\d{1,2}\s?(h|heures?)\b|\b\d{1,2}[:h]\d{2}\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_][\w-]*", re.UNICODE)  # a word that starts with a letter
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-ZÀ-Ý][\w-]+")


def asked(question: str) -> str:
    """The kind of answer a question asks for, one of KINDS.

    >>> asked("Qui a fondé la coopérative ?"), asked("¿Cuándo se creó?"), asked("How many?")
    ('person', 'date', 'number')
    >>> asked("Combien coûte l'adhésion ?"), asked("Que propose-t-on pour les femmes ?")
    ('amount', 'other')
    """
    for kind, pattern in _ASKS_RE:
        if pattern.search(question):
            return kind
    return "other"


def written_names(sentence: str) -> list[str]:
    """Acronyms anywhere, and capitalised words after the first, as written: the names a
    reader typed (the gate's « Les documents ne mentionnent pas … ») or a written answer
    holds (answer.check).

    >>> written_names("Les ODD et l'Agenda 2030 de l'ONU, selon Jean Dupont.")
    ['ODD', 'Agenda', 'ONU', 'Jean', 'Dupont']
    """
    found = []
    for position, match in enumerate(_WORD.finditer(re.sub(r"['’]", " ", sentence))):
        word = match.group()
        acronym = len(word) > 1 and word.isupper()
        if acronym or (position > 0 and len(word) > 1 and word[:1].isupper()):
            found.append(word)
    return found


def names(text: str) -> set[str]:
    """Capitalised words not opening a sentence, folded (proper names, mostly).

    >>> sorted(names("Il est né à Lyon. Puis il part pour la Colombie avec Marie."))
    ['colombie', 'lyon', 'marie']
    """
    return {fold(m.group()) for m in _NAME.finditer(text)}


def gives(kind: str, text: str, question_names: set[str] = frozenset()) -> bool:
    """Does `text` hold an answer of that kind?

    >>> gives("date", "Fondée en 1884 à Rochdale."), gives("number", "Elle compte vingt membres.")
    (True, True)
    >>> gives("person", "Elle fut créée par Jean Jaurès.", {"jaures"}), gives("amount", "10 €")
    (True, True)
    >>> gives("number", "Une association locale."), gives("contact", "Tél. 021 555 12 34")
    (False, True)
    """
    if kind == "date":
        return bool(_YEAR.search(text) or _MONTH.search(text))
    if kind == "number":
        return bool(_NUMBER.search(text))
    if kind == "amount":
        return bool(_AMOUNT.search(text))
    if kind == "time":
        return bool(_TIME.search(text))
    if kind == "contact":
        return bool(_CONTACT.search(text))
    if kind in ("person", "place"):
        return bool(names(text) - set(question_names))
    return False
