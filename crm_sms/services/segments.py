"""Segments: how many SMS parts a text costs, and in which encoding it travels.

``crm_sms/static/sms.js`` implements the same rules for the live counter in the
browser; ``tests/browser/test_segments_js.py`` holds the two to the same answers.
"""

from dataclasses import dataclass

GSM_7 = "GSM-7"
UCS_2 = "UCS-2"

# GSM 03.38: the basic set costs one septet a character; the extension table costs two (escape + character).
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = "\f^{}\\[~]|€"

# (units in a single-part message, units in each part of a multi-part one): the
# rest of a part goes to the header that lets the phone join the parts again.
_LIMITS = {GSM_7: (160, 153), UCS_2: (70, 67)}
_GSM = frozenset(GSM_BASIC + GSM_EXTENSION)


@dataclass(frozen=True)
class Count:
    characters: int
    encoding: str
    units: int
    segments: int
    per_segment: int
    remaining: int
    unicode_characters: tuple[str, ...]


def _cost(char, encoding):
    if encoding == GSM_7:
        return 2 if char in GSM_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1  # outside the BMP: a UTF-16 surrogate pair


def _layout(text):
    """(encoding, characters forcing UCS-2, [(part, units in it)]) for ``text``."""
    unicode_characters = tuple(dict.fromkeys(char for char in text if char not in _GSM))
    encoding = UCS_2 if unicode_characters else GSM_7
    single, per_part = _LIMITS[encoding]
    costs = [_cost(char, encoding) for char in text]
    if sum(costs) <= single:
        return encoding, unicode_characters, [(text, sum(costs))] if text else []
    parts, start, used = [], 0, 0
    for index, cost in enumerate(costs):
        # A character that does not fit whole (an escape pair or a surrogate pair
        # with one unit left) starts the next part: phones cannot join half of one.
        if used + cost > per_part:
            parts.append((text[start:index], used))
            start, used = index, 0
        used += cost
    parts.append((text[start:], used))
    return encoding, unicode_characters, parts


def count(text):
    """Count ``text`` as an SMS: characters, encoding, units, segments and what is left.

    Guarantees: GSM-7 when every character is in the GSM 03.38 basic or extension
    table, else UCS-2 (``unicode_characters`` lists the culprits, each once, in
    order of first appearance); ``units`` are septets (extension characters 2)
    or UTF-16 code units (characters outside the BMP 2); ``segments`` equals
    ``len(split(text))``, 0 for empty text; ``remaining`` is what the last
    segment can still take. ``static/sms.js`` gives the same answers.
    """
    encoding, unicode_characters, parts = _layout(text)
    single, per_part = _LIMITS[encoding]
    per_segment = single if len(parts) <= 1 else per_part
    return Count(
        characters=len(text),
        encoding=encoding,
        units=sum(units for _, units in parts),
        segments=len(parts),
        per_segment=per_segment,
        remaining=per_segment - (parts[-1][1] if parts else 0),
        unicode_characters=unicode_characters,
    )


def split(text):
    """The parts ``text`` is sent as: they join back to ``text``, one per segment of ``count(text)``.

    No part exceeds its limit (160/70 alone, 153/67 each when several) and no
    escape pair or surrogate pair is cut between two parts.
    """
    return [part for part, _ in _layout(text)[2]]
