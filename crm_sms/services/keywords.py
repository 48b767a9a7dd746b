"""SMS keywords (STOP, START, HELP and kin) read as people write them, and replies that read as a wish to stop.

A reply is a keyword when it is one of the admin's keywords alone, or with only courtesy words around it
("STOP thanks", "please stop", "Stop!! thank you 🙏"). Both are compared as words, so none of these matter:
case, accents ("ARRÊT" is ARRET), full-width letters, punctuation and emoji, spaces or hyphens inside a
keyword ("opt-out", "Opt Out" and "OPTOUT" are one), and a letter held down ("STOPPP"; letters only, so
"11" is not "1"). The consent answers (YES, 1...) count only while a consent request is pending.

A reply that is no keyword but reads as a wish to stop ("please stop texting me", "remove me from your list",
"arrêtez de m'envoyer des messages", "no me envíen más mensajes") is a possible opt-out (``reads_as_opt_out``).
"""

import re
import unicodedata

from . import settings

#: What a keyword asks for; each has its list, setting ``keywords_<kind>``.
KINDS = ("opt_out", "opt_in", "help")
#: The consent answers' lists (setting ``keywords_<name>``) and the kind each counts as, while a request is pending.
CONSENT_ANSWERS = {"consent_yes": "opt_in", "consent_no": "opt_out"}
#: A reply longer than this is a message, whatever words it starts with.
MOST_WORDS = 12

_APOSTROPHES = re.compile(r"['’ʼ‘`´]")
_NOT_WORD = re.compile(r"[\W_]+")
_HELD_LETTER = re.compile(r"([^\W\d_])\1+")


def words(text):
    """The text's words as compared: full-width folded (NFKC), no accents, upper case, apostrophes dropped
    ("don't" is DONT), and anything but letters and digits (punctuation, emoji, hyphens) a space."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text or ""))
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", _APOSTROPHES.sub("", plain).upper()).split()


def _key(found):
    """Words as one key: joined ("OPT OUT" is OPTOUT), a held-down letter once ("STOPPP" is STOP)."""
    return _HELD_LETTER.sub(r"\1", "".join(found))


def normalize(text):
    """The text as a keyword: the key replies are compared by ("" when it has no letter or digit)."""
    return _key(words(text))


#: Courtesy words a keyword may come with, before or after (as keys: "THANK YOU" is THANKYOU).
# fmt: off
COURTESY = frozenset(
    normalize(phrase)
    for phrase in (
        "thanks", "thank you", "thank u", "thankyou", "thx", "thnx", "thanx", "tx", "ty", "tysm", "tyvm",
        "many thanks", "so much", "very much", "please", "pls", "plz", "plez", "and", "ok", "okay", "k", "now",
        "right now", "asap", "immediately", "already", "sir", "maam", "madam", "bye", "goodbye", "sorry",
        "hi", "hello", "hey", "x", "xx", "merci", "merci beaucoup", "svp", "stp", "sil vous plait",
        "sil te plait", "bonjour", "gracias", "muchas gracias", "por favor", "porfa", "porfavor", "hola", "no",
        "me",  # "unsubscribe me", "HELP ME": the keyword is still all it asks
    )
)
# fmt: on


def _keys(name):
    return {normalize(word) for word in settings.get(f"keywords_{name}")} - {""}


def _lists(consent_answer):
    lists = {kind: _keys(kind) for kind in KINDS}
    if consent_answer:
        for name, kind in CONSENT_ANSWERS.items():
            lists[kind] |= _keys(name)
    return lists


def classify(text, consent_answer=False):
    """ "opt_out", "opt_in", "help", or None when the reply is not a keyword alone (courtesy aside).

    ``consent_answer``: a consent request to the number is pending, so the consent answers (YES, NO, 1, 2...)
    count too, as opt-in and opt-out.
    """
    found = words(text)
    return next((kind for kind, keys in _lists(consent_answer).items() if _alone(found, keys)), None)


def _alone(found, keys):
    """Whether ``found`` is one of ``keys`` (then perhaps again) with only courtesy words before and after it."""
    if len(found) > MOST_WORDS:
        return False
    for start in _courtesy_ends(found, 0, frozenset()):
        for end in range(start + 1, len(found) + 1):
            if _key(found[start:end]) in keys and len(found) in _courtesy_ends(found, end, keys):
                return True
    return False


def _courtesy_ends(found, start, keys):
    """Where a run of courtesy words (or ``keys`` again, up to three words each) from ``start`` may end."""
    ends, todo = {start}, [start]
    while todo:
        at = todo.pop()
        for end in range(at + 1, min(at + 3, len(found)) + 1):
            key = _key(found[at:end])
            if end not in ends and (key in COURTESY or key in keys):
                ends.add(end)
                todo.append(end)
    return sorted(ends)


# Possible opt-outs: no keyword, but a wish to stop. Matched on " ".join(words(text)).

_TEXTS = r"(TEXTS?|TXTS?|MESSAGES?|MSGS?|SMS|SPAM|ADS|PROMOS?|PROMOTIONS|OFFERS|ALERTS|NOTIFICATIONS|REMINDERS)"
_WHO = r"(ME|US|MY NUMBER|MY PHONE NUMBER|MY PHONE|MY CELL|THIS NUMBER|MY NAME|MY INFO)"
#: After "remove me": nothing but courtesy, or what from ("remove me from your list", not "from the meeting").
_FROM_LIST = (
    r"(( (PLEASE|PLS|PLZ|THANKS|THANK YOU|NOW|ASAP|ALREADY))*$| (FROM |OFF |OUT OF )?((YOUR|THE|THIS|UR|ALL|ANY|THESE"
    r"|MY|MAILING|TEXTING|TEXT|SMS|CONTACT|MARKETING) )*(LISTS?|TEXT\w*|TXT\w*|SMS|MESSAG\w*|MSG\w*|CONTACTS?"
    r"|DATABASE|SYSTEM|GROUP|NUMBERS?|SUBSCRIPTIONS?|ALERTS|NOTIFICATIONS|PROMO\w*)\b)"
)
_POSSIBLE = re.compile(
    "|".join(
        (
            # English
            r"\b(STOP|QUIT|CEASE|END)( IT)? (TEXT|TXT|MESSAG|MSG|SEND|SPAM|CONTACT|BOTHER|HARASS|WRIT|CALL)\w*",
            rf"\b(STOP|QUIT|CEASE|END|NO MORE|NO) (ALL |THESE |THIS |THOSE |THE |YOUR |UR |ANY |MORE )*{_TEXTS}\b",
            r"\b(DONT|DO NOT|DONOT|NEVER|PLEASE DONT) (EVER )?(TEXT|TXT|MESSAGE|MSG|SMS|CONTACT|SPAM|BOTHER)"
            r"(ING)? (ME|US|THIS NUMBER|MY NUMBER|AGAIN|ANYMORE|ANY MORE)\b",
            rf"\b(DONT|DO NOT|DONOT|NEVER|PLEASE DONT) (EVER )?SEND (ME|US)\b.{{0,20}}\b{_TEXTS}\b",
            rf"\b(DONT|DO NOT|NO LONGER) (WANT|WISH|NEED|LIKE)\b.{{0,30}}\b({_TEXTS}|RECEIVE|GET THESE|BE CONTACTED)\b",
            r"\bUN ?SUB(SCRIBE|SCRIBING|SCRIBED)?\b",
            r"\bOPT(ING)? (ME |US )?OUT\b|\bOPTOUT\b",
            rf"\b(REMOVE|DELETE|ERASE) {_WHO}{_FROM_LIST}",
            rf"\b(TAKE|GET|DROP|PUT) {_WHO} (OFF|OUT|FROM){_FROM_LIST}",
            r"\bLEAVE (ME|US) ALONE\b|\bLOSE (MY|THIS) NUMBER\b|\bCEASE AND DESIST\b|\bWRONG NUMBER\b",
            r"\bCANCEL (MY |THE |THESE |ALL |YOUR )*(SUBSCRIPTIONS?|TEXTS?|MESSAGES?|ALERTS|SMS|NOTIFICATIONS)\b",
            r"\b(SAID|TOLD YOU|ASKED YOU TO) STOP\b|\bREVOK(E|ING|ED)\b|\b(DIDNT|DID NOT|NEVER) SIGNE?D? UP\b",
            # French
            r"\b(ARRET|CESS)\w*( DE)? (M ?|ME |NOUS |MOI )?(ENVOY|ECRI|TEXT|CONTACT|DERANG|HARCEL|APPEL|SMS|MESSAGE)",
            r"\b(ARRET|CESS)\w*( DE)? (LES |VOS |CES |DES )?(SMS|MESSAGES|TEXTOS|TEXTES|ENVOIS)\b",
            r"\bD[EI]S ?ABONN\w*|\bDESINSCRI\w*",
            r"\bNE (M ?|ME |NOUS )?(ENVOY|ECRI|TEXT|CONTACT|APPEL|DERANG)\w* (PLUS|JAMAIS)\b",
            r"\bPLUS DE (MESSAGES?|SMS|TEXTOS?|TEXTES?|PUB)\b",
            r"\b(RETIR|ENLEV|SUPPRIM|EFFAC|RAY)\w* (MOI|MON NUMERO|MON NUM|MES COORDONNEES)\b",
            r"\b(VEUX|VOULONS|SOUHAITE|SOUHAITONS|DESIRE) PLUS\b.{0,30}\b(RECEVOIR|MESSAGES?|SMS|TEXTOS?|VOS)\b",
            r"\bNE PLUS (RECEVOIR|ETRE CONTACTE|M ?ENVOYER|ME TEXTER|ME CONTACTER)",
            r"\bLAISSE[ZR]? (MOI|NOUS) TRANQUILLE",
            # Spanish
            r"\bNO (ME |NOS )?(ENVI|MAND|ESCRIB|CONTACT|MOLEST|LLAM|TEXTE)\w*\b.{0,25}\bMAS\b",
            r"\bYA NO (ME |NOS )?(ENVI|MAND|ESCRIB|CONTACT|MOLEST)\w*",
            r"\bNO (ME |NOS )(ENVI|MAND|ESCRIB|CONTACT|MOLEST|TEXTE)\w*( (MAS|MENSAJES?|NADA|SMS|TEXTOS)\b|$)",
            r"\bNO MAS (MENSAJES?|MENSAJITOS|TEXTOS|SMS|MSJS?|CORREOS|LLAMADAS|PUBLICIDAD|SPAM)\b",
            r"\b(DAR|DARME|DENME|DEN|DE|ME DOY|DARNOS|DARSE|DAME) DE BAJA\b|\bBAJA (DE|DEL) (LA |SU |TU )?"
            r"(LISTA|SERVICIO|SUSCRIPCION|MENSAJES)\b",
            r"\b(DEJEN|DEJA|DEJE|PAREN|PARE|PARA|DETENGAN|DETENGA) DE (ENVI|MAND|ESCRIB|CONTACT|MOLEST|LLAM|TEXTE)",
            r"\b(ELIMIN|BORR|SAC|SAQU|QUIT|REMUEV|REMOV|RETIR)\w*( ME)? (DE (LA|SU|TU|SUS|TUS|ESTA) LISTA|MI NUMERO"
            r"|MI TELEFONO|MI CELULAR)\b",
            r"\bCANCELAR (LA |MI |LOS |LAS )?(SUSCRIPCION|MENSAJES|TEXTOS|ALERTAS)\b|\bDESUSCRIB\w*|\bDESINSCRIB\w*",
            r"\bNO QUIERO\b.{0,20}\b(RECIBIR|MENSAJES|TEXTOS|SMS|MAS)\b",
        )
    )
)
#: Replies that ask to stop only when said alone (courtesy aside): "No more", "Baja", "Arrêtez"; anywhere in a
#: longer message they mean something else ("no more than 5", "planta baja").
# fmt: off
_POSSIBLE_ALONE = frozenset(
    normalize(phrase)
    for phrase in (
        "stop it", "enough", "no more", "remove", "remove me", "spam", "not interested", "im not interested",
        "i am not interested", "arrete", "arretez", "arreter", "ca suffit", "assez",
        "baja", "de baja", "no mas", "ya no mas", "alto", "para", "parar", "paren", "basta", "ya basta",
        "cancelar", "detener", "fin", "annuler", "go away", "fuck off", "f off", "piss off", "buzz off",
    )
)
# fmt: on


_SENTENCES = re.compile(r"[.!?;:\n]+")


def reads_as_opt_out(text):
    """Whether a reply that is no keyword reads as a wish to stop, in English, French or Spanish; or has an
    opt-out keyword as a sentence of its own ("Who is this? STOP")."""
    found = words(text)
    if _POSSIBLE.search(" ".join(found)) or _alone(found, _POSSIBLE_ALONE):
        return True
    opt_out = _keys("opt_out")
    return any(_alone(words(sentence), opt_out) for sentence in _SENTENCES.split(text or ""))
