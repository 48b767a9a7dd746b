"""Message text: record variables (``{{ contact.first_name }}``), signatures, opt-out language."""

import re

from ..models.phone_number import format_e164

VARIABLES = {
    "contact": ("first_name", "last_name", "full_name", "title", "email", "city"),
    "account": ("name", "type", "industry", "city", "email", "website"),
}
#: The variables each kind of record offers.
MODULES = {"contacts": ("contact", "account"), "accounts": ("account",)}

_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_]+)\.([A-Za-z_]+)\s*\}\}")


class RenderError(ValueError):
    """A message uses a variable its record does not have; the message names it."""


def variables(module):
    """Every ``{{ record.field }}`` a message to this module may use, for the picker."""
    return [f"{{{{ {record}.{field} }}}}" for record in MODULES[module] for field in VARIABLES[record]]


def check(body, module):
    """Raise RenderError naming the first variable the module does not have."""
    for match in _VARIABLE.finditer(body):
        record, field = match.groups()
        if record not in MODULES[module] or field not in VARIABLES[record]:
            offered = ", ".join(variables(module))
            raise RenderError(f"Unknown variable {match.group(0)}: messages to {module} can use {offered}.")
    if "{{" in _VARIABLE.sub("", body) or "}}" in _VARIABLE.sub("", body):
        raise RenderError("A variable is not closed: write it as {{ contact.first_name }}.")


def fill(body, contact=None, account=None):
    """The body with every variable replaced by the record's value (empty when unset)."""
    records = {"contact": contact, "account": account if account is not None else getattr(contact, "account", None)}

    def value(match):
        record = records.get(match.group(1))
        return str(getattr(record, match.group(2), "") or "") if record is not None else ""

    return _VARIABLE.sub(value, body)


def signature_text(signature):
    department = signature.department
    return (signature.text
            .replace("|DEPARTMENT_PHONE_NUMBER|", format_e164(department.phone) if department.phone else "")
            .replace("|DEPARTMENT_EMAIL|", department.email or ""))


def final_text(body, contact=None, account=None, signature=None, opt_out_text=None):
    """What the recipient reads: filled body, then the signature, then opt-out text unless already said."""
    parts = [fill(body, contact, account).strip()]
    if signature is not None:
        parts.append(signature_text(signature))
    text = "\n".join(parts)
    if opt_out_text and "reply stop" not in text.lower():
        text += "\n" + opt_out_text
    return text
