"""Every text an admin or manager writes, filled in by one function: ``fill_in``.

One placeholder syntax everywhere: ``{{ name }}`` or ``{{ record.field }}``
(templates and manual messages, mass-message outage fields, signatures,
automatic messages, the customer's legal text). A placeholder is a name looked
up in an explicit dict of values, never an attribute of a Python object, with
no filters, formats or expressions; its value is text. A text is checked when
it is saved (``check_text``: the error names the unknown variable), so the
filled-in text is bounded by the saved text and the fields' lengths.
"""

import re
from collections.abc import Mapping

from ..host import host
from ..models.phone_number import format_e164
from . import records

#: The placeholder root of each kind of record: ``{{ contact.first_name }}``, ``{{ account.name }}``.
ROOTS = {"contacts": "contact", "accounts": "account"}
#: The records a message to each kind may name (a contact's account fills ``{{ account.… }}``).
MODULES = {"contacts": ("contacts", "accounts"), "accounts": ("accounts",)}
#: Longest text an admin may save.
MAX_TEXT = 5_000

# A placeholder holds no brace, so a stray "{{" fails at the next brace instead of scanning the rest of the text.
_PLACEHOLDER = re.compile(r"\{\{([^{}]*)\}\}")
_NAME = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)\s*")
# The old syntaxes, recognised only to say how to write them now.
_OLD_BRACES = re.compile(r"(?<!\{)\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(?:[!:][^{}]*)?\}(?!\})")


class RenderError(ValueError):
    """A text with a placeholder that cannot be filled in; the message names it."""


class EmptyValue(RenderError):
    """A placeholder whose value is empty (nothing, or only spaces): filled in, the text would read with a blank."""

    def __init__(self, name):
        self.name, self.placeholder = name, placeholder(name)
        super().__init__(f"{self.placeholder} is empty")


def placeholder(name):
    """How ``name`` is written in a text: ``{{ name }}``."""
    return "{{ " + name + " }}"


def names(text):
    """The variables ``text`` uses ("business_name", "contact.first_name"), in order; malformed ones left out."""
    found = []
    for match in _PLACEHOLDER.finditer(text or ""):
        name = _NAME.fullmatch(match.group(1))
        if name and name.group(1) not in found:
            found.append(name.group(1))
    return found


def check_text(text, allowed, where="this text"):
    """Raise RenderError unless every placeholder of ``text`` is one of ``allowed`` (names such as
    "business_name" or "contact.first_name"), well formed, and the text is at most ``MAX_TEXT`` long.
    The message names the first offending placeholder and what ``where`` may use instead."""
    text = text or ""
    offered = ", ".join(placeholder(name) for name in allowed) or "no variables"
    if len(text) > MAX_TEXT:
        raise RenderError(f"The text is too long: at most {MAX_TEXT} characters.")
    for match in _PLACEHOLDER.finditer(text):
        name = _NAME.fullmatch(match.group(1))
        if name is None:
            raise RenderError(
                f"{match.group(0)} is not a variable: a variable is a name in double braces, with no "
                f"filter or format; {where} can use {offered}."
            )
        if name.group(1) not in allowed:
            raise RenderError(f"Unknown variable {placeholder(name.group(1))}: {where} can use {offered}.")
    rest = _PLACEHOLDER.sub("", text)
    if "{{" in rest or "}}" in rest:
        raise RenderError(
            f"A variable is not closed: write it in double braces, such as {placeholder(allowed[0])}."
            if allowed
            else "Double braces mark variables, and this text can use none."
        )
    roots = {name.partition(".")[0] for name in allowed}
    for match in _OLD_BRACES.finditer(rest):
        if match.group(1) in allowed:
            raise RenderError(f"Write variables in double braces: {placeholder(match.group(1))}, not {match.group(0)}.")
        if match.group(1).partition(".")[0] in roots:
            raise RenderError(f"{match.group(0)} is not a variable: {where} can use {offered}.")


def fill_in(text, values, keep=(), blank=True):
    """``text`` with each ``{{ name }}`` / ``{{ record.field }}`` replaced by its value in ``values``.

    ``values`` maps a name to text (None fills in as nothing) or to a dict of
    field names to text; nothing else is looked up. Placeholders of the records
    named in ``keep`` stay as written (filled later). Raises RenderError for a
    placeholder that is not in ``values`` or not well formed, and with
    ``blank=False`` EmptyValue for the first one whose value is empty (what a
    person receives never reads "20% off for ."). A value is never read as a
    placeholder itself.
    """

    def value(match):
        name = _NAME.fullmatch(match.group(1))
        if name is None:
            raise RenderError(f"{match.group(0)} is not a variable.")
        root, _, field = name.group(1).partition(".")
        if root in keep:
            return match.group(0)
        found = values.get(root, _MISSING)
        if field:
            found = found.get(field, _MISSING) if isinstance(found, Mapping) else _MISSING
        elif isinstance(found, Mapping):
            found = _MISSING
        if found is _MISSING:
            raise RenderError(f"Unknown variable {placeholder(name.group(1))}.")
        filled = as_text(found)
        if not blank and not filled.strip():
            raise EmptyValue(name.group(1))
        return filled

    return _PLACEHOLDER.sub(value, text or "")


_MISSING = object()


def as_text(value):
    """A placeholder's value as the text it fills in: None as nothing, a number as its digits."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"a placeholder is filled with text, not {type(value).__name__}")


# Records: templates and messages ------------------------------------------------------------------------------


def variables(module):
    """Every ``{{ record.field }}`` a message to this module may use, for the picker."""
    return [placeholder(name) for name in variable_names(module)]


def variable_names(module):
    """Every "record.field" a message to this module may use (the host's ``variables``)."""
    return [
        f"{ROOTS[kind]}.{field}"
        for kind in MODULES[module]
        if host.model(kind) is not None
        for field in host.variables.get(kind, ())
    ]


def check(body, module):
    """Raise RenderError naming the first variable the module does not have."""
    check_text(body, variable_names(module), f"messages to {module}")


def record_values(body, contact=None, account=None, values=None):
    """The values ``body``'s record variables are filled from: the host's values of the contact (a ``Record``)
    and of its account. Only the records ``body`` names are read; ``values`` ({"contact": {...}, "account":
    {...}}) gives them ready-made instead."""
    account = account if account is not None else getattr(contact, "account", None)
    used = {name.partition(".")[0] for name in names(body)}
    found = {}
    for kind, record in (("contacts", contact), ("accounts", account)):
        root = ROOTS[kind]
        if root not in used:
            continue
        given = (values or {}).get(root)
        if given is None:
            given = records.values(record) if record is not None else {}
        found[root] = {field: given.get(field) for field in host.variables.get(kind, ())}
    return found


def fill(body, contact=None, account=None, values=None, blank=True):
    """The body with every variable replaced by the record's value (empty when unset; ``blank=False``: raises
    EmptyValue instead)."""
    return fill_in(body, record_values(body, contact, account, values), blank=blank)


# Signatures ---------------------------------------------------------------------------------------------------


def signature_values(department):
    """What a signature's ``{{ department.phone }}`` and ``{{ department.email }}`` are filled with."""
    return {
        "department": {
            "phone": format_e164(department.phone) if department.phone else "",
            "email": department.email or "",
        }
    }


def signature_text(signature, blank=True):
    return fill_in(signature.text, signature_values(signature.department), blank=blank)


def final_text(body, contact=None, account=None, signature=None, opt_out_text=None, values=None, blank=True):
    """What the recipient reads: filled body, then the signature, then opt-out text unless already said.
    ``blank=False``: raises EmptyValue naming a variable of the body or signature that would be empty."""
    parts = [fill(body, contact, account, values, blank).strip()]
    if signature is not None:
        parts.append(signature_text(signature, blank))
    text = "\n".join(parts)
    if opt_out_text and "reply stop" not in text.lower():
        text += "\n" + opt_out_text
    return text


def fill_fields(body, fields):
    """``body`` with each field variable (``{{ outage.start }}``) replaced by its value in ``fields``
    ({"outage.start": "Nov 24, 2:00 PM"}); the others stay as written (record variables are filled for each
    recipient)."""
    values = {}
    for name, value in fields.items():
        record, _, field = name.partition(".")
        values.setdefault(record, {})[field] = value
    others = {name.partition(".")[0] for name in names(body)} - set(values)
    return fill_in(body, values, keep=others)
