"""What list searches share."""

import re


def digits_of(query, minimum=3):
    """The digits of a search that looks like part of a phone number, else None."""
    if re.fullmatch(r"[\d\s()+.\-]+", query or ""):
        digits = re.sub(r"\D", "", query)
        return digits if len(digits) >= minimum else None
    return None
