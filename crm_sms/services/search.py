"""What list searches share."""

import re

#: The longest search a list takes, in characters: more than any column it searches holds, and short enough
#: for SQLite, which refuses a LIKE pattern past 50,000 bytes.
MAX_QUERY = 1000

#: The years a date typed in a filter or form may have: any other is a typo, and near year 1 or 9999 a time zone or
#: a day added would leave the calendar Python counts (a 500).
YEARS = range(1900, 3000)


def digits_of(query, minimum=3):
    """The digits of a search that looks like part of a phone number, else None."""
    if re.fullmatch(r"[\d\s()+.\-]+", query or ""):
        digits = re.sub(r"\D", "", query)
        return digits if len(digits) >= minimum else None
    return None
