"""What a request must carry before any view reads it: text the database can store, numbers it can hold.

One check at the door of every crm_sms page (the webhooks check their own
fields, and answer the provider in JSON): a 400 page says which field is at
fault, where the database would otherwise have failed with a 500.
"""

import re

from flask import abort, request
from wtforms.validators import Length, ValidationError

from ..services.search import MAX_QUERY, YEARS

#: The largest number an id or count column holds (PostgreSQL's integer).
INT_MAX = 2**31 - 1

#: Characters no text field may hold: control characters but tab and line breaks (PostgreSQL refuses NUL in
#: any text), and lone surrogates (no UTF-8 can encode them; only JSON's \ud800 escapes make them).
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def unstorable(text):
    """Whether ``text`` holds a character no text field may hold."""
    return _UNSTORABLE.search(text) is not None


def readable(name):
    """A field's name fit to quote in a message, whatever it holds."""
    return _UNSTORABLE.sub("?", name)[:60]


def integer(value):
    """``value`` as an int a column can hold, else ValueError: a form shows it on its field, and
    ``request.args.get(name, type=integer)`` falls back to its default."""
    number = int(value)
    if not -INT_MAX - 1 <= number <= INT_MAX:
        raise ValueError(f"{value!r} is out of range")
    return number


def fits(column):
    """A form field's validator: no longer than ``column`` (a model's String column) holds, said on the field."""
    return Length(max=column.type.length)


def plausible_date(form, field):
    """A date field's validator: a date within YEARS (the form says which)."""
    if field.data is not None and field.data.year not in YEARS:
        raise ValidationError(f"Choose a date from the year {YEARS[0]} to {YEARS[-1]}.")


def page_number(name="page"):
    """The page a list is asked for, from 1 to the largest the database can skip to (garbage: 1)."""
    return min(max(request.args.get(name, 1, type=int), 1), INT_MAX)


def check_request():
    """404 for an id in the URL that no table can hold; 400 naming the first query or form field with a
    character no text field may hold (a NUL byte, say), or the first query field longer than any search takes."""
    for value in (request.view_args or {}).values():
        if isinstance(value, int) and value > INT_MAX:
            abort(404)
    for name, value in request.args.items(multi=True):
        if len(value) > MAX_QUERY:
            abort(400, description=f"The address field “{readable(name)}” is too long: at most {MAX_QUERY} characters.")
    for where, fields in (("address", request.args), ("form", request.form)):
        for name, value in fields.items(multi=True):
            if unstorable(name) or unstorable(value):
                abort(
                    400,
                    description=f"The {where} field “{readable(name)}” holds a control character (such as "
                    "a NUL byte) that cannot be stored. Remove it and try again.",
                )
