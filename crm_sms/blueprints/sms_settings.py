"""SMS settings for admins: sender numbers, signatures, and the account-wide settings (quiet hours, texts, consent)."""

from zoneinfo import available_timezones

from flask import flash, redirect, url_for
from wtforms import SelectChoice

from ..config import config_value
from ..models import Department, SenderNumber, Signature, db
from ..services import consent_log, departments, holds, notices, people, rendering, senders, settings, signatures
from ..services.phone_numbers import PhoneNumberError
from ..services.senders import SenderError
from ..services.signatures import SignatureError
from ..services.suppressions import REVOKE_ALL_FROM
from ._views import get_or_404, pages, permission_required, render
from .sms_settings_forms import (
    KEYWORDS,
    NOTICES,
    POLICIES,
    ConsentSettingsForm,
    SenderForm,
    SettingsForm,
    SignatureForm,
)

bp = pages("sms_settings", __name__, url_prefix="/sms/settings")

PROVIDERS = {"simulator": "Simulator (no messages leave this system)", "vonage": "Vonage"}


def _consent_data():
    values = settings.get_all()
    return {key: ", ".join(value) if key in KEYWORDS else value for key, value in values.items()}


@bp.route("/senders", methods=["GET", "POST"])
@bp.route("/senders/<int:sender_id>", methods=["GET", "POST"])
@permission_required("settings.manage")
def senders_page(sender_id=None):
    sender = get_or_404(SenderNumber, sender_id) if sender_id else None
    form = SenderForm(
        data=sender
        and dict(
            e164=sender.e164,
            label=sender.label,
            user_id=sender.user_id or 0,
            is_default=sender.is_default,
            mps=sender.mps,
            mms=sender.mms,
            active=sender.active,
        )
    )
    staff = people.staff()
    if sender is not None and sender.user is not None and sender.user not in staff:
        staff.append(sender.user)  # no longer staff on the host, but still this number's: shown until changed
    form.user_id.choices = [SelectChoice(0, "None: the account's")] + [
        SelectChoice(p.id, f"{p.name} ({p.role or 'no SMS access'})") for p in staff
    ]
    if form.validate_on_submit():
        try:
            sender = senders.save(
                sender,
                form.e164.data,
                label=form.label.data or None,
                user=next((p for p in staff if p.id == form.user_id.data), None),  # one not offered: nobody
                is_default=form.is_default.data,
                mps=form.mps.data,
                mms=form.mms.data,
                active=form.active.data,
            )
        except (PhoneNumberError, SenderError) as error:
            form.e164.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Saved sender number {sender.e164}.", "success")
            return redirect(url_for("sms_settings.senders_page"))
    rows = db.session.scalars(db.select(SenderNumber).options(db.joinedload(SenderNumber.user))).all()
    rows.sort(key=lambda s: (s.user_id is not None, not s.is_default, s.user.name if s.user else "", s.e164))
    return render(
        "crm_sms/sms_settings/senders.html", form=form, editing=sender, senders=rows, status=422 if form.errors else 200
    )


@bp.route("/signatures", methods=["GET", "POST"])
@bp.route("/signatures/<int:signature_id>", methods=["GET", "POST"])
@permission_required("settings.manage")
def signatures_page(signature_id=None):
    signature = get_or_404(Signature, signature_id) if signature_id else None
    form = SignatureForm(
        data=signature
        and dict(
            name=signature.name,
            department=signature.department_id,
            text=signature.text,
            default_for_manual=signature.default_for_manual,
            default_for_bulk=signature.default_for_bulk,
        )
    )
    known = departments.all_departments()
    form.department.choices = [SelectChoice(d.id, d.name) for d in known]
    if form.validate_on_submit():
        try:
            signature = signatures.save(
                signature,
                form.name.data,
                db.session.get(Department, form.department.data) if form.department.data else None,
                form.text.data,
                form.default_for_manual.data,
                form.default_for_bulk.data,
            )
        except SignatureError as error:
            form[error.field].errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Saved signature {signature.name}.", "success")
            return redirect(url_for("sms_settings.signatures_page"))
    rows = [(s, rendering.signature_text(s)) for s in signatures.all_signatures()]
    return render(
        "crm_sms/sms_settings/signatures.html",
        form=form,
        editing=signature,
        signatures=rows,
        departments=known,
        status=422 if form.errors else 200,
    )


@bp.route("", methods=["GET", "POST"])
@permission_required("settings.manage")
def index():
    form = SettingsForm(data=settings.get_all())
    if form.validate_on_submit():
        settings.put("business_name", form.business_name.data)
        settings.put("time_zone", form.time_zone.data)
        settings.put("quiet_hours_start", form.quiet_hours_start.data or None)
        settings.put("quiet_hours_end", form.quiet_hours_end.data or None)
        settings.put("quiet_hours_manual_bypass", form.quiet_hours_manual_bypass.data)
        settings.put("quiet_hours_unknown_start", form.quiet_hours_unknown_start.data or None)
        settings.put("quiet_hours_unknown_end", form.quiet_hours_unknown_end.data or None)
        settings.put("quiet_hours_state_rules", form.quiet_hours_state_rules.data)
        holds.rules_saved()
        settings.put("opt_out_text", form.opt_out_text.data)
        settings.put("public_minutes", form.public_minutes.data)
        settings.put("frequency_cap_days", form.frequency_cap_days.data or None)
        settings.put("frequency_cap_open_conversations", form.frequency_cap_open_conversations.data)
        db.session.commit()
        flash("Saved the SMS settings.", "success")
        return redirect(url_for("sms_settings.index"))
    return _index_page(form, ConsentSettingsForm(formdata=None, data=_consent_data(), prefix="consent"))


@bp.route("/consent", methods=["POST"])
@permission_required("settings.manage")
def consent_settings():
    """The consent part of the SMS settings page: policy, keywords, HELP contacts and every automatic text."""
    form = ConsentSettingsForm(data=_consent_data(), prefix="consent")
    if form.validate_on_submit():
        for key in (
            "consent_policy",
            "possible_opt_out_action",
            "support_phone",
            "support_email",
            "customer_legal_text",
            "customer_changed_by",
            "staff_consent_text",
            "opt_out_scope",
            *NOTICES,
        ):
            settings.put(key, form[key].data)
        for key in KEYWORDS:
            settings.put(key, consent_log.split_keywords(form[key].data))
        db.session.commit()
        flash("Saved the consent settings.", "success")
        return redirect(url_for("sms_settings.index", _anchor="consent"))
    return _index_page(SettingsForm(formdata=None, data=settings.get_all()), form)


def _index_page(form, consent_form):
    provider = config_value("PROVIDER")
    return render(
        "crm_sms/sms_settings/index.html",
        form=form,
        consent_form=consent_form,
        provider=PROVIDERS.get(provider, provider),
        balance=settings.get("provider_balance"),
        time_zones=sorted(available_timezones()),
        default_public_minutes=config_value("PUBLIC_MINUTES"),
        policies=POLICIES,
        notices=NOTICES,
        keywords=KEYWORDS,
        notice_variables=[rendering.placeholder(name) for name in notices.PLACEHOLDERS],
        legal_variables=[rendering.placeholder(name) for name in consent_log.LEGAL_PLACEHOLDERS],
        revoke_all_from=REVOKE_ALL_FROM,
        status=422 if form.errors or consent_form.errors else 200,
    )
