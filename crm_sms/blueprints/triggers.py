"""Triggered messages for admins (a tab of the settings): which saved message each host event sends."""

from flask import flash, redirect, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField

from ..extension import htmx
from ..models import SenderNumber, Signature, Template, TriggerRule, db
from ..services import senders, signatures, triggers
from ..services.triggers import TriggerError
from ._input import integer
from ._views import get_or_404, pages, permission_required, render

bp = pages("triggers", __name__, url_prefix="/sms/settings/triggers")

MODULE_LABELS = {"contacts": "The contact", "accounts": "The account"}
TEMPLATE_GROUPS = {"contacts": "For contacts", "accounts": "For accounts"}


class RuleForm(FlaskForm):
    # The service checks every choice, so its messages (not WTForms' "Not a valid choice") are what people read.
    event = StringField(
        "Event",
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        render_kw={"placeholder": "payment.received", "autocomplete": "off"},
    )
    module = SelectField(
        "Texts", validate_choice=False, choices=[SelectChoice(key, label) for key, label in MODULE_LABELS.items()]
    )
    template = SelectField("Saved message", coerce=integer, validate_choice=False)
    sender = SelectField("Sender number", coerce=integer, validate_choice=False)
    signature = SelectField("Signature", coerce=integer, validate_choice=False)
    active = BooleanField("Active", default=True)


@bp.route("", methods=["GET", "POST"])
@permission_required("settings.manage")
def index():
    return _edit(None)


@bp.route("/<int:rule_id>", methods=["GET", "POST"])
@permission_required("settings.manage")
def edit(rule_id):
    return _edit(get_or_404(TriggerRule, rule_id))


@bp.route("/<int:rule_id>/delete", methods=["POST"])
@permission_required("settings.manage")
def delete(rule_id):
    rule = get_or_404(TriggerRule, rule_id)
    event = rule.event
    triggers.delete(rule)
    db.session.commit()
    note = f"Deleted the rule for {event}: firing it now sends nothing."
    if htmx:
        return render("crm_sms/triggers/_rules.html", rules=triggers.all_rules(), notice=("success", note))
    flash(note, "success")
    return redirect(url_for("triggers.index"))


def _edit(rule):
    form = RuleForm(
        data=rule
        and dict(
            event=rule.event,
            module=rule.module,
            template=rule.template_id or 0,
            sender=rule.sender_id or 0,
            signature=rule.signature_id or 0,
            active=rule.active,
        )
    )
    _choices(form)
    if form.validate_on_submit():
        try:
            rule = triggers.save(
                rule,
                form.event.data,
                form.module.data,
                _get(Template, form.template.data),
                sender=_get(SenderNumber, form.sender.data),
                signature=_get(Signature, form.signature.data),
                active=form.active.data,
            )
        except TriggerError as error:
            form[error.field].errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Saved the rule for {rule.event}.", "success")
            return redirect(url_for("triggers.index"))
    return render(
        "crm_sms/triggers/index.html",
        status=422 if form.errors else 200,
        form=form,
        editing=rule,
        rules=triggers.all_rules(),
        unmapped=triggers.unmapped(),
        fires=triggers.recent(),
        modules=MODULE_LABELS,
        notice=None,
    )


def _choices(form):
    saved = sorted(triggers.templates_for(), key=lambda t: (t.module != "contacts", t.name))
    form.template.choices = [SelectChoice(0, "Choose a saved message")] + [
        SelectChoice(t.id, t.name, optgroup=TEMPLATE_GROUPS[t.module]) for t in saved
    ]
    form.sender.choices = [SelectChoice(0, "The account's default number")] + [
        SelectChoice(s.id, f"{s.e164} ({s.label})" if s.label else s.e164)
        for s in sorted(senders.for_user(None), key=lambda s: s.e164)
    ]
    form.signature.choices = [SelectChoice(0, "The default signature for bulk messages")] + [
        SelectChoice(s.id, s.name) for s in signatures.all_signatures()
    ]


def _get(model, id):
    return db.session.get(model, id) if id else None
