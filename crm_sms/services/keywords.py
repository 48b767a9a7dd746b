"""SMS keywords (STOP, START, HELP and their kin): only a message that is the keyword alone counts.

Matching ignores case, spaces and punctuation around the word, and accents
("ARRÊT" is ARRET); "stop please" is a message, not a keyword.
"""

import string
import unicodedata

from . import settings

_AROUND = string.whitespace + string.punctuation + "¡¿«»“”‘’…"


def normalize(text):
    """The text as a keyword candidate: no accents, upper case, nothing around it."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text or "") if not unicodedata.combining(c))
    return plain.strip(_AROUND).upper()


def classify(text):
    """ "opt_out", "opt_in", "help", or None when the message is not a keyword alone."""
    word = normalize(text)
    if not word or any(c.isspace() for c in word):
        return None
    for kind in ("opt_out", "opt_in", "help"):
        if word in {normalize(k) for k in settings.get(f"keywords_{kind}")}:
            return kind
    return None
