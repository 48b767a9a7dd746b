"""The inbox: conversations by tab, a conversation as a chat, alerts, and the managers' report."""

from datetime import timedelta

from flask import abort, flash, redirect, request, url_for
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from .. import queue
from ..extension import htmx
from ..host import host
from ..models import db, kind_of, utcnow
from ..services import (
    access,
    conversation_report,
    conversations,
    inbox,
    messages,
    possible_opt_outs,
    rendering,
    templates,
    unknown_numbers,
)
from ..services.auth import can, person
from ..services.conversations import ConversationError
from ..services.inbox import TABS
from ..services.messages import MessageError
from ..services.possible_opt_outs import PossibleOptOutError
from ._input import plausible_date
from ._views import aware, go, pages, paginate, permission_required, render
from .messages import WAITING_FOR_QUEUE

bp = pages("conversations", __name__, url_prefix="/sms")


class ReplyForm(FlaskForm):
    body = TextAreaField("Message")
    send_at = DateTimeLocalField("Send date", format="%Y-%m-%dT%H:%M", validators=[Optional(), plausible_date])


def _kind(value):
    """A posted kind of number (``host.phone_kinds``): an integer id when it is one, else its text."""
    if value in (None, ""):
        return None
    return int(value) if str(value).isdigit() else str(value)


class NewContactForm(FlaskForm):
    first_name = StringField("First name", validators=[Length(max=100)])
    last_name = StringField("Last name", validators=[Length(max=100)])
    phone_type = SelectField("Type of number", coerce=_kind, validate_choice=False)


@bp.route("/inbox")
@permission_required("sms.send")
def index():
    tab = request.args.get("tab", "mine")
    if tab not in TABS or (tab == "all" and not can(person(), "conversations.all")):
        abort(404)
    page = paginate(inbox.conversations(person(), tab, request.args.get("q", "").strip() or None))
    return render(
        "crm_sms/conversations/index.html",
        "crm_sms/conversations/_list.html",
        page=page,
        tab=tab,
        tabs={k: v for k, v in TABS.items() if k != "all" or can(person(), "conversations.all")},
        unread=inbox.unread(person(), [c.id for c in page.items]),
    )


@bp.route("/inbox/counts")
@permission_required("sms.send")
def counts():
    """The alert and pool counts in the navigation; the badge polls this."""
    return render(
        "crm_sms/conversations/_counts.html", "crm_sms/conversations/_counts.html", counts=inbox.counts(person())
    )


@bp.route("/conversations/<int:conversation_id>")
@permission_required("sms.send")
def show(conversation_id):
    conversation = access.conversation(person(), conversation_id)
    inbox.mark_read(conversation, person())
    db.session.commit()
    return render("crm_sms/conversations/show.html", **_context(conversation))


@bp.route("/conversations/<int:conversation_id>/messages")
@permission_required("sms.send")
def thread(conversation_id):
    """The chat alone; it polls itself, so new messages and statuses show without a reload (and count as read)."""
    conversation = access.conversation(person(), conversation_id)
    inbox.mark_read(conversation, person())
    db.session.commit()
    return render(
        "crm_sms/conversations/_thread.html",
        "crm_sms/conversations/_thread.html",
        conversation=conversation,
        rows=messages.thread(conversation),
        opt_out_open=possible_opt_outs.is_open(conversation),
    )


@bp.route("/conversations/<int:conversation_id>/messages/<int:message_id>/opt-out", methods=["POST"])
@permission_required("sms.consent")
def opt_out(conversation_id, message_id):
    """One click on a reply flagged as a possible opt-out: its number is opted out, as by STOP."""
    conversation = access.conversation(person(), conversation_id)
    message = access.message(person(), message_id)
    try:
        possible_opt_outs.opt_out(conversation, message, person())
    except PossibleOptOutError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"Opted out {conversation.phone_e164}: it will get no more messages but the confirmation.", "success")
    return go(url_for(".show", conversation_id=conversation_id))


@bp.route("/conversations/<int:conversation_id>/messages", methods=["POST"])
@permission_required("sms.send")
def reply(conversation_id):
    conversation = access.conversation(person(), conversation_id)
    form = ReplyForm(request.form)
    status, notice = 422, None
    if form.validate_on_submit():
        try:
            messages.reply(conversation, form.body.data, person(), send_at=aware(form.send_at.data))
        except MessageError as error:
            form[error.field if error.field in form else "body"].errors.append(str(error))
        else:
            db.session.commit()
            notice = WAITING_FOR_QUEUE if queue.deferred() else None
            if not htmx:
                if notice:
                    flash(notice, "info")
                return redirect(url_for(".show", conversation_id=conversation.id))
            form, status = ReplyForm(formdata=None), 200
    return render(
        "crm_sms/conversations/show.html",
        "crm_sms/conversations/_reply.html",
        status=status,
        **_context(conversation, form=form),
        notice=notice,
    )


@bp.route("/conversations/<int:conversation_id>/<any(take, join, leave):action>", methods=["POST"])
@permission_required("sms.send")
def move(conversation_id, action):
    """Take it from the pool, join it as a subscriber, or leave it."""
    conversation = access.conversation(person(), conversation_id)
    try:
        getattr(conversations, action)(conversation, person())
    except ConversationError as error:
        db.session.rollback()
        return render(
            "crm_sms/conversations/show.html",
            "crm_sms/conversations/_people.html",
            status=422,
            **_context(access.conversation(person(), conversation_id), error=str(error)),
        )
    db.session.commit()
    if not conversations.can_read(person(), conversation):
        return go(url_for(".index"))
    return render("crm_sms/conversations/show.html", "crm_sms/conversations/_people.html", **_context(conversation))


@bp.route("/conversations/<int:conversation_id>/contact", methods=["POST"])
@permission_required("crm.edit")
def create_contact(conversation_id):
    """Make a contact of the unknown number that texted in."""
    conversation = access.conversation(person(), conversation_id)
    form = _contact_form(request.form)
    if form.validate_on_submit():
        try:
            unknown_numbers.create_contact(
                conversation,
                form.first_name.data,
                form.last_name.data,
                form.phone_type.data,
            )
        except (ConversationError, ValueError) as error:
            form[getattr(error, "field", "first_name")].errors.append(str(error))
        else:
            db.session.commit()
            return go(url_for(".show", conversation_id=conversation.id))
    return render(
        "crm_sms/conversations/show.html",
        "crm_sms/conversations/_new_contact.html",
        status=422,
        **_context(conversation, contact_form=form),
    )


@bp.route("/notifications")
@permission_required("sms.send")
def notifications():
    return render(
        "crm_sms/conversations/notifications.html",
        "crm_sms/conversations/_notifications.html",
        rows=inbox.notifications(person()),
    )


@bp.route("/notifications/read", methods=["POST"])
@permission_required("sms.send")
def read_all():
    inbox.mark_all_read(person())
    db.session.commit()
    return go(url_for(".notifications"))


@bp.route("/conversations/report")
@permission_required("reports.view")
def report():
    today = utcnow().date()
    since = messages.as_of(request.args.get("since")) or messages.as_of((today - timedelta(days=30)).isoformat())
    until = messages.as_of(request.args.get("until")) or messages.as_of(today.isoformat())
    return render(
        "crm_sms/conversations/report.html",
        "crm_sms/conversations/_report.html",
        report=conversation_report.report(since, until + timedelta(days=1)),
        since=since.date().isoformat(),
        until=until.date().isoformat(),
    )


def _context(conversation, form=None, contact_form=None, error=None):
    record = conversation.record
    kind = kind_of(record) if record is not None else "contacts"
    return dict(
        conversation=conversation,
        rows=messages.thread(conversation),
        followers=conversations.followers(conversation),
        history=conversations.history(conversation),
        form=form or ReplyForm(formdata=None),
        contact_form=contact_form or _contact_form(),
        can_create_contact=bool(host.phone_kinds()),
        variables=rendering.variables(kind),
        templates=templates.for_module(kind),
        error=error,
        public_minutes=conversations.public_minutes(),
        opt_out_open=possible_opt_outs.is_open(conversation),
    )


def _contact_form(formdata=None):
    form = NewContactForm(formdata=formdata, prefix="contact")
    form.phone_type.choices = list(host.phone_kinds())
    return form
