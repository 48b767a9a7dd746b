"""one placeholder syntax: stored texts from {business_name} and |DEPARTMENT_EMAIL| to {{ business_name }}

The admin's automatic messages and legal text were filled by str.format_map ({business_name}, with {{ and }}
for a literal brace); signatures quoted their department as |DEPARTMENT_PHONE_NUMBER| and |DEPARTMENT_EMAIL|.
Every text is now filled by rendering.fill_in, in double braces: {{ business_name }}, {{ department.phone }}.
A known name keeps its meaning (a format spec or conversion on it is dropped: the output is bounded now); any
other {field} becomes the literal text it would have been had the admin meant it so; a text format_map could
not have filled is left as it is (it never rendered). Running it twice changes nothing more.

Revision ID: 0011_settings_placeholders
Revises: 0010_sessions_session_token
Create Date: 2026-12-03 09:40:00

"""

import re
from string import Formatter

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011_settings_placeholders"
down_revision = "0010_sessions_session_token"
branch_labels = None
depends_on = None

#: The settings whose text str.format_map filled, and the names it filled in them.
TEXT_SETTINGS = (
    "customer_legal_text",
    "notice_opt_in",
    "notice_opt_out",
    "notice_help",
    "disclaimer_text",
    "notice_request_mt",
    "notice_request_mo",
    "notice_confirmed",
    "notice_refused",
)
NAMES = ("business_name", "employee_name", "support_phone", "support_email")
SIGNATURE_NAMES = {"|DEPARTMENT_PHONE_NUMBER|": "department.phone", "|DEPARTMENT_EMAIL|": "department.email"}
_NEW = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)\s*\}\}")

settings = sa.table("settings", sa.column("key", sa.String), sa.column("value", sa.JSON))
signatures = sa.table("signatures", sa.column("id", sa.Integer), sa.column("text", sa.String))


def to_new(text):
    """A format_map text in the new syntax."""
    if not isinstance(text, str) or any(match.group(1) in NAMES for match in _NEW.finditer(text)):
        return text  # not a text, or already converted ("{{ business_name }}" would have read "{ business_name }")
    try:
        parts = list(Formatter().parse(text))
    except ValueError:
        return text
    out = []
    for literal, field, spec, conversion in parts:
        out.append(literal)
        if field is None:
            continue
        if field in NAMES:
            out.append("{{ " + field + " }}")
        else:
            out.append("{" + field + ("!" + conversion if conversion else "") + (":" + spec if spec else "") + "}")
    return "".join(out)


def to_old(text):
    """A new-syntax text as format_map read it (literal braces doubled)."""
    if not isinstance(text, str):
        return text
    out, at = [], 0
    for match in _NEW.finditer(text):
        out.append(_escape(text[at : match.start()]))
        out.append("{" + match.group(1) + "}" if match.group(1) in NAMES else _escape(match.group(0)))
        at = match.end()
    out.append(_escape(text[at:]))
    return "".join(out)


def _escape(literal):
    return literal.replace("{", "{{").replace("}", "}}")


def signature_to_new(text):
    for old, name in SIGNATURE_NAMES.items():
        text = text.replace(old, "{{ " + name + " }}")
    return text


def signature_to_old(text):
    for old, name in SIGNATURE_NAMES.items():
        text = re.sub(r"\{\{\s*" + re.escape(name) + r"\s*\}\}", old, text)
    return text


def _rewrite(settings_text, signature_text):
    bind = op.get_bind()
    rows = bind.execute(sa.select(settings.c.key, settings.c.value).where(settings.c.key.in_(TEXT_SETTINGS))).all()
    for key, value in rows:
        new = settings_text(value)
        if new != value:
            bind.execute(settings.update().where(settings.c.key == key).values(value=new))
    for id_, text in bind.execute(sa.select(signatures.c.id, signatures.c.text)).all():
        new = signature_text(text)
        if new != text:
            bind.execute(signatures.update().where(signatures.c.id == id_).values(text=new))


def upgrade():
    _rewrite(to_new, signature_to_new)


def downgrade():
    _rewrite(to_old, signature_to_old)
