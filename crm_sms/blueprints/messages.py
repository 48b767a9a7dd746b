"""SMS on contact and account pages (the subpanel), one message's story, and the sent messages list."""

from datetime import datetime, timedelta

from flask import abort, flash, redirect, request
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, SelectField, TextAreaField
from wtforms.validators import Optional

from .. import queue
from ..extension import htmx
from ..models import Message, Record, SenderNumber, db, kind_of
from ..models.message import LABELS
from ..services import (
    access,
    campaigns,
    consent,
    conversations,
    messages,
    records,
    rendering,
    senders,
    settings,
    templates,
)
from ..services.auth import person
from ..services.messages import MessageError
from ._csv import csv_response
from ._input import integer, plausible_date
from ._views import aware, owner_or_404, owner_url, pages, paginate, permission_required, render, render_owner

bp = pages("messages", __name__, url_prefix="/sms")

#: What the agent sees when a message is saved but Redis did not take its job: the sweep sends it once Redis is back.
WAITING_FOR_QUEUE = "Queued; sending resumes when the job queue is back."


class ComposeForm(FlaskForm):
    phone_id = SelectField("Send to", coerce=integer, validate_choice=False)
    sender_id = SelectField("From", coerce=integer, validate_choice=False)
    body = TextAreaField("Message")
    send_at = DateTimeLocalField("Send date", format="%Y-%m-%dT%H:%M", validators=[Optional(), plausible_date])


def _form(owner, formdata=None):
    form = ComposeForm(formdata=formdata, prefix="sms")
    reasons = consent.reasons(owner)
    sms_phones = [p for p in owner.phone_numbers if p.sms_capable]
    form.phone_id.choices = [
        (
            p.id,
            f"{p.display} ({p.label})" + (f" — {reasons[p]}" if reasons[p] else ""),
            {"disabled": True} if reasons[p] else {},
        )
        for p in sorted(sms_phones, key=lambda p: (reasons[p] is not None, not p.preferred_sms, p.id))
    ]
    form.sender_id.choices = [
        (s.id, f"{s.label or 'Sender'} · {s.e164}" + (" (yours)" if s.user_id == person().id else ""))
        for s in senders.for_user(person())
    ]
    if formdata is None:
        form.phone_id.data = next((p.id for p in sms_phones if not reasons[p]), None)
    return form


def panel_context(owner, form=None, notice=None):
    kind = kind_of(owner)
    rows = db.session.scalars(messages.for_record(owner, person()).limit(50)).all()
    threads = conversations.of_record(owner, person())
    return dict(
        owner=owner,
        kind=kind,
        rows=rows,
        form=form or _form(owner),
        notice=notice,
        threads=threads,
        variables=rendering.variables(kind),
        templates=templates.for_module(kind),
        pending=any(not m.final for m in rows if m.status != "draft"),
    )


def _panel(owner, form=None, status=200, notice=None):
    return render_owner(owner, "crm_sms/messages/_panel.html", status=status, **panel_context(owner, form, notice))


@bp.route("/records/<int:record_id>")
@permission_required("sms.view")
def open_record(record_id):
    """A record's page on the host (lists link here, so they ask the host nothing); 404 once the host deleted it."""
    record = db.session.get(Record, record_id) or abort(404)
    record = access.record(person(), record.kind, record.id)
    return redirect(records.url(record) or abort(404), 303)


@bp.route("/<any(contacts, accounts):kind>/<int:owner_id>/panel")
@permission_required("sms.view")
def panel(kind, owner_id):
    return _panel(owner_or_404(kind, owner_id))


@bp.route("/<any(contacts, accounts):kind>/<int:owner_id>/list")
@permission_required("sms.view")
def rows(kind, owner_id):
    """The message list alone; it polls itself while a message may still change."""
    return render("crm_sms/messages/_list.html", **panel_context(owner_or_404(kind, owner_id)))


@bp.route("/<any(contacts, accounts):kind>/<int:owner_id>/messages", methods=["POST"])
@permission_required("sms.send")
def compose(kind, owner_id):
    owner = owner_or_404(kind, owner_id)
    form = _form(owner, request.form)
    if form.validate_on_submit():
        draft = request.form.get("action") == "draft"
        try:
            message = messages.compose(
                owner,
                phone=next((p for p in owner.phone_numbers if p.id == form.phone_id.data), None),
                sender=db.session.get(SenderNumber, form.sender_id.data) if form.sender_id.data else None,
                body=form.body.data,
                author=person(),
                send_at=aware(form.send_at.data),
                draft=draft,
            )
        except MessageError as error:
            form[{"phone": "phone_id", "sender": "sender_id"}.get(error.field, error.field)].errors.append(str(error))
        else:
            db.session.commit()
            note = _note(message, draft)
            if htmx:
                return _panel(owner, notice=note)
            flash(note, "success")
            return redirect(owner_url(owner))
    return _panel(owner, form=form, status=422)


@bp.route("/messages/<int:message_id>/send", methods=["POST"])
@permission_required("sms.send")
def send_draft(message_id):
    message = access.draft(person(), message_id)
    owner = message.contact or message.account or abort(404)
    notice = None
    try:
        messages.send_draft(message, person())
    except MessageError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        notice = _note(message, draft=False)
    if htmx:
        return _panel(owner, notice=notice)
    if notice:
        flash(notice, "success")
    return redirect(owner_url(owner))


@bp.route("/messages/<int:message_id>")
@permission_required("sms.view")
def show(message_id):
    message = access.message(person(), message_id)
    return render("crm_sms/messages/show.html", "crm_sms/messages/_detail.html", message=message)


@bp.route("/messages")
@permission_required("sms.view")
def index():
    filters = _filters()
    page = paginate(messages.search(person(), **filters))
    return render(
        "crm_sms/messages/index.html",
        "crm_sms/messages/_table.html",
        page=page,
        args=request.args,
        statuses=LABELS,
        senders=db.session.scalars(db.select(SenderNumber).order_by(SenderNumber.e164)),
        campaigns=campaigns.campaign_choices(),
        balance=settings.get("provider_balance"),
    )


@bp.route("/messages.csv")
@permission_required("sms.view")
def export():
    return csv_response("sms-messages.csv", EXPORT_HEADER, _export_rows(person(), _filters()))


EXPORT_HEADER = [
    "id",
    "created",
    "direction",
    "recipient",
    "recipient type",
    "related entity",
    "phone",
    "from",
    "status",
    "reject reason",
    "segments",
    "price",
    "body",
    "campaign",
]


def _export_rows(reader, filters):
    # A generator: the query runs when the response streams, a thousand rows at a time.
    stmt = messages.search(reader, **filters).options(db.joinedload(Message.contact).joinedload(Record.account))
    for m in db.session.scalars(stmt.execution_options(yield_per=1000)):
        recipient, kind, related = _recipient(m)
        yield [
            m.id,
            m.created_at.isoformat(),
            m.direction,
            recipient,
            kind,
            related,
            m.phone_e164,
            m.sender_e164,
            m.label,
            m.reject_reason,
            m.segments or None,
            m.price or None,
            m.text,
            m.campaign.name if m.campaign else None,
        ]


def _note(message, draft):
    """What the agent is told once the message is saved (seed 001's notice when consent is requested)."""
    if draft:
        return "Draft saved."
    if queue.deferred():
        return WAITING_FOR_QUEUE
    if message.hold_reason == "awaiting_consent":
        return (
            "Your contact has been sent a request to opt in. Once they accept, your message will be sent; "
            "if they reply STOP, it will not."
        )
    if message.send_at > datetime.now(message.send_at.tzinfo) + timedelta(minutes=1):
        return "Message scheduled."
    return "Message queued."


def _recipient(message):
    if message.contact:
        return message.contact.name, "Contact", message.contact.account.name if message.contact.account else ""
    if message.account:
        return message.account.name, "Account", message.account.name
    return "Unknown sender", "", ""


def _filters():
    args = request.args
    status = args.get("status") if args.get("status") in LABELS else None
    until = messages.as_of(args.get("until"))
    return dict(
        status=status,
        since=messages.as_of(args.get("since")),
        until=until + timedelta(days=1) if until else None,
        sender=args.get("sender") or None,
        campaign_id=args.get("campaign", type=integer),
    )
