"""What list searches share."""

import re

#: The longest search a list takes, in characters: more than any column it searches holds, and short enough
#: for SQLite, which refuses a LIKE pattern past 50,000 bytes.
MAX_QUERY = 1000


def digits_of(query, minimum=3):
    """The digits of a search that looks like part of a phone number, else None."""
    if re.fullmatch(r"[\d\s()+.\-]+", query or ""):
        digits = re.sub(r"\D", "", query)
        return digits if len(digits) >= minimum else None
    return None
