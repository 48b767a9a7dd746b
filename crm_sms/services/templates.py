"""SMS templates: texts managers write once, that agents pick in the compose form.

A template keeps its variables (``{{ contact.first_name }}``); they are filled
when a message made from it is sent, so a template only has to use variables
its module offers.
"""

from dataclasses import dataclass

from ..host import host
from ..models import Record, Template, db
from ..models.template import MODULES
from . import records as records_service
from . import rendering, segments
from .errors import FieldError

#: How many records the preview offers to choose from (a search finds the others).
RECORD_CHOICES = 50


class TemplateError(FieldError):
    """A template that cannot be saved or deleted as asked."""


@dataclass(frozen=True)
class Preview:
    """What a recipient would read, and what it costs."""

    text: str
    count: segments.Count


def all_templates():
    """Every template, by module then name."""
    return db.session.scalars(db.select(Template).order_by(Template.module, Template.name)).all()


def for_module(module):
    """The templates an agent may pick for ``module`` ("contacts" or "accounts"), by name.

    Locked ones are saved mass messages, whose outage fields only a mass message fills.
    """
    return db.session.scalars(
        db.select(Template).where(Template.module == module, Template.locked.is_(False)).order_by(Template.name)
    ).all()


def save(template, name, module, body, user):
    """Create (``template`` None) or update a template; flushes.

    Guarantees: the name is set and unique (ignoring case), the module is
    "contacts" or "accounts", the body is not empty and uses only variables its
    module offers (the error names the first unknown one), and a locked
    template is never changed. ``user`` is recorded as the author of a new
    template. Nothing is written when it refuses.
    """
    if template is not None and template.locked:
        raise TemplateError("body", _locked(template, "changed"))
    name = (name or "").strip()
    if not name:
        raise TemplateError("name", "A template needs a name: agents pick it by name.")
    if len(name) > Template.name.type.length:
        raise TemplateError("name", f"The name is too long: at most {Template.name.type.length} characters.")
    clash = db.session.scalar(db.select(Template).where(db.func.lower(Template.name) == name.lower()))
    if clash is not None and clash is not template:
        raise TemplateError("name", f"There is already a template called “{clash.name}”: choose another name.")
    if module not in MODULES:
        raise TemplateError("module", "Choose Contacts or Accounts: it decides which variables the text may use.")
    body = (body or "").strip()
    if not body:
        raise TemplateError("body", "Write the text of the template.")
    try:
        rendering.check(body, module)
    except rendering.RenderError as error:
        raise TemplateError("body", str(error)) from None
    if template is None:
        template = Template(created_by=user)
        db.session.add(template)
    template.name, template.module, template.body = name, module, body
    db.session.flush()
    return template


def delete(template):
    """Delete a template; flushes. A locked template is refused and stays."""
    if template.locked:
        raise TemplateError("locked", _locked(template, "deleted"))
    db.session.delete(template)
    db.session.flush()


def records(module, query=None):
    """The first ``RECORD_CHOICES`` contacts or accounts (per ``module``) matching ``query`` (``host.search``),
    as their ``Record`` (linked now, one batch)."""
    model = host.model(module)
    if model is None:
        return []
    stmt = host.search(module, db.select(model), text=query or None)
    return records_service.link_many(module, db.session.scalars(stmt.limit(RECORD_CHOICES)).all())


def record(module, record_id):
    """The contact or account ``Record`` (per ``module``) with this id, or None."""
    try:
        number = int(record_id) if record_id not in (None, "") else None
    except (TypeError, ValueError):
        return None
    if number is None or not 0 < number < 2**63:
        return None
    found = db.session.get(Record, number)
    return found if found is not None and found.kind == module else None


def preview(template_body, record, module=None):
    """What ``record`` (a host contact or account, its ``Record``, or None) would read, with its segment count.

    Guarantees: the variables are filled from the record the way a sent
    message fills them (a contact's account fills ``{{ account.… }}``); the
    signature and opt-out text are not added. Without a record the text keeps
    its variables as written. Raises ``rendering.RenderError`` naming a
    variable the record's module (else ``module``, when given) does not offer.
    """
    body = (template_body or "").strip()
    if isinstance(record, Record):
        record = records_service.host_record(record)
    if record is not None:
        module = host.kind_of(record)
    if module is not None:
        rendering.check(body, module)
    text = body if record is None else rendering.final_text(body, values=records_service.values_of_host(record))
    return Preview(text=text, count=segments.count(text))


def _locked(template, done):
    return (
        f"“{template.name}” is locked: it is the text of a mass message and cannot be {done}. "
        "Make a new template instead."
    )
