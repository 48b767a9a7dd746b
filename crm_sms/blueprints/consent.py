"""SMS consent pages: staff set a record's consent, a customer sets their own, the history and the opt-in report.

A host page shows the parts with ``{{ sms_consent(record) }}`` (the staff form),
``{{ sms_consent_history(record) }}`` and ``{{ sms_preferences(contact) }}`` (the
customer's "My preferred SMS"); each renders nothing for a user who may not see it.
"""

from flask import flash, make_response, redirect, render_template, request
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import BooleanField, HiddenField, SelectChoice, SelectField, StringField

from ..extension import htmx
from ..host import host
from ..models import PhoneNumber, db, kind_of
from ..models.consent import CHANNELS, STATE_LABELS
from ..models.phone_number import format_e164
from ..services import access, consent, consent_log, consent_report, phone_numbers
from ..services.auth import can, is_own_contact, person
from ..services.consent_log import ConsentError
from ._csv import csv_response
from ._input import integer
from ._views import linked, owner_or_404, owner_url, pages, paginate, permission_required, render

bp = pages("consent", __name__, url_prefix="/sms/consent")

CHOICES = [SelectChoice("", "Not set"), SelectChoice("opt_in", "Opt in"), SelectChoice("opt_out", "Opt out")]


def _id(value):
    """A posted id, or None: a missing or mangled one gets the service's message, not "Invalid Choice"."""
    try:
        return integer(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _kind(value):
    """A posted kind of number (``host.phone_kinds``): an integer id when it is one, else its text."""
    if value in (None, ""):
        return None
    return int(value) if str(value).isdigit() else str(value)


class StaffConsentForm(FlaskForm):
    # The service checks every choice, so its message (not "Not a valid choice") is what people read.
    choice = SelectField("Consents to receive SMS/Text messages", choices=CHOICES, validate_choice=False)
    phone_id = SelectField("SMS number", coerce=_id, validate_choice=False)
    consent_type = SelectField(
        "Consent type",
        validate_choice=False,
        choices=[SelectChoice("", "Choose…")] + [SelectChoice(t, t) for t in consent_log.STAFF_TYPES],
    )
    new_number = StringField("Or add a number", render_kw={"placeholder": "+1 415 555 0100"})
    new_type_id = SelectField("Its type", coerce=_kind, validate_choice=False)
    wording_version = HiddenField()  # the version of the wording shown, so the audit keeps what was read


class PreferredSmsForm(FlaskForm):
    agree = BooleanField("I agree to receive SMS/Text messages")
    phone_id = SelectField("Preferred number", coerce=_id, validate_choice=False)
    wording_version = HiddenField()


def _number_choices(owner):
    return [SelectChoice(p.id, f"{p.display} ({p.label})") for p in phone_numbers.sms_numbers(owner)]


def _staff_form(owner, formdata=None):
    form = StaffConsentForm(formdata=formdata, prefix="consent")
    form.phone_id.choices = _number_choices(owner)
    form.new_type_id.choices = [SelectChoice(value, label) for value, label in host.phone_kinds()]
    form.wording_version.data = consent_log.version(consent_log.staff_text())  # a new page shows the new wording
    if formdata is None:
        now = consent_log.summary(owner)
        form.choice.data = {"opted_in": "opt_in", "opted_out": "opt_out"}.get(now["state"], "")
        default = consent_log.default_phone(owner)
        form.phone_id.data = default.id if default else None
        form.consent_type.data = now["consent_type"] if now["consent_type"] in consent_log.STAFF_TYPES else ""
    return form


def _staff_context(owner, form=None, notice=None):
    return dict(
        owner=owner,
        kind=kind_of(owner),
        form=form if form is not None else _staff_form(owner),
        notice=notice,
        now=consent_log.summary(owner),
        type_read_only=consent_log.type_is_read_only(owner),
        staff_text=consent_log.staff_text(),
    )


def _phone(e164):
    """A stored number as people write it ("" for none)."""
    return format_e164(e164) if e164 else ""


def _notice(event, held):
    if event is None:
        return "Nothing changed."
    done = f"Opted in to SMS at {_phone(event.e164)}." if event.new_state == "opted_in" else "Opted out of SMS."
    return f"{done} {consent_log.notice_held(held)}" if held else done


@bp.route("/<any(contacts, accounts):kind>/<int:owner_id>", methods=["GET", "POST"])
@permission_required("sms.consent")
def staff(kind, owner_id):
    """The SMS messaging form of a record (the edit page shows it as a fragment)."""
    owner = owner_or_404(kind, owner_id)
    form = _staff_form(owner, request.form if request.method == "POST" else None)
    if form.validate_on_submit():
        try:
            event, held = consent_log.change_by_staff(
                owner,
                person(),
                form.choice.data,
                phone=db.session.get(PhoneNumber, form.phone_id.data) if form.phone_id.data else None,
                consent_type=form.consent_type.data or None,
                new_number=form.new_number.data,
                new_type=form.new_type_id.data,
                shown_version=request.form.get("consent-wording_version"),
            )
        except ConsentError as error:
            db.session.rollback()
            form[error.field].errors.append(str(error))
        else:
            db.session.commit()
            notice = _notice(event, held)
            if not htmx:
                flash(notice, "success")
                return redirect(owner_url(owner))
            response = make_response(
                render(
                    "crm_sms/consent/edit.html", "crm_sms/consent/_staff.html", **_staff_context(owner, notice=notice)
                )
            )
            response.headers["HX-Trigger"] = "sms-consent-changed"  # the history on the page reloads itself
            return response
    return render(
        "crm_sms/consent/edit.html",
        "crm_sms/consent/_staff.html",
        status=422 if form.errors else 200,
        **_staff_context(owner, form),
    )


@bp.route("/<any(contacts, accounts):kind>/<int:owner_id>/history")
@permission_required("sms.view")
def history(kind, owner_id):
    """The SMS consent history fragment (it reloads itself after a change on the same page)."""
    return sms_consent_history(owner_or_404(kind, owner_id))


@bp.route("/contacts/<int:contact_id>/preferred", methods=["GET", "POST"])
@permission_required("self.manage")
def preferred(contact_id):
    """A customer's own Edit preferred SMS form; anyone else's contact does not exist for them."""
    contact = owner_or_404("contacts", contact_id)  # a customer sees only their own contact
    form = PreferredSmsForm(prefix="sms")
    form.phone_id.choices = _number_choices(contact)
    legal_text = consent_log.legal_text()
    form.wording_version.data = consent_log.version(legal_text)
    if not form.is_submitted():
        form.agree.data = consent.state_of(contact) == "opted_in"
        default = consent_log.default_phone(contact)
        form.phone_id.data = default.id if default else None
    if form.validate_on_submit():
        try:
            event, held = consent_log.change_by_customer(
                contact,
                person(),
                form.agree.data,
                phone=db.session.get(PhoneNumber, form.phone_id.data) if form.phone_id.data else None,
                shown_version=request.form.get("sms-wording_version"),
            )
        except ConsentError as error:
            db.session.rollback()
            form[error.field].errors.append(str(error))
        else:
            db.session.commit()
            flash(_notice(event, held), "success")
            return redirect(owner_url(contact))
    return render(
        "crm_sms/consent/preferred.html",
        contact=contact,
        form=form,
        legal_text=legal_text,
        status=422 if form.errors else 200,
    )


@bp.route("/<any(contacts, accounts):kind>/<int:owner_id>/log.csv")
@permission_required("sms.view")
def record_log(kind, owner_id):
    """One record's consent history as CSV: proof of consent on demand."""
    owner = owner_or_404(kind, owner_id)
    return csv_response(f"sms-consent-{kind[:-1]}-{owner.id}.csv", consent_log.CSV_HEADER, consent_log.csv_rows(owner))


@bp.route("/log.csv")
@permission_required("reports.view")
def all_log():
    """Every record's consent changes as CSV, optionally within a date range."""
    since, until = consent_log.day_start(request.args.get("since")), consent_log.day_end(request.args.get("until"))
    return csv_response("sms-consent.csv", consent_log.CSV_HEADER, consent_log.csv_rows(since=since, until=until))


@bp.route("/report")
@permission_required("reports.view")
def report():
    """The opt-in report: counts by state, consent type and source over a range of changes, and who is behind each."""
    args = request.args
    kind = args.get("kind") if args.get("kind") in access.RECORDS else "contacts"
    since, until = consent_log.day_start(args.get("since")), consent_log.day_end(args.get("until"))
    filters = {key: args.get(key) or None for key in ("state", "type", "source")}
    page, owners = None, {}
    if args.get("never") and since is None:
        page = paginate(consent_report.never_asked_rows(kind, until))
    elif any(filters.values()):
        page = paginate(
            consent_report.report_rows(kind, since, until, filters["state"], filters["type"], filters["source"])
        )
        owners = consent_report.owners_of(page.items)
    base = {key: args[key] for key in ("kind", "since", "until") if args.get(key)}
    return render(
        "crm_sms/consent/report.html",
        "crm_sms/consent/_report_rows.html",
        counts=consent_report.report(kind, since, until),
        kind=kind,
        args=args,
        base=base,
        page=page,
        owners=owners,
        never=bool(args.get("never")),
        filters=filters,
        phone=_phone,
        state_labels=STATE_LABELS,
        source_labels=consent_log.SOURCE_LABELS,
    )


# What a host page includes


@bp.app_template_global()
def sms_consent(owner):
    """The staff SMS messaging form of a contact or account; nothing for a user without sms.consent."""
    if not can(person(), "sms.consent"):
        return ""
    owner = linked(owner)
    if owner is None:
        return ""
    return Markup(render_template("crm_sms/consent/_staff.html", **_staff_context(owner)))


@bp.app_template_global()
def sms_consent_history(owner):
    """The SMS consent history of a contact or account, for staff."""
    if not can(person(), "sms.view"):
        return ""
    owner = linked(owner)
    if owner is None:
        return ""
    return Markup(
        render_template(
            "crm_sms/consent/_history.html",
            owner=owner,
            kind=kind_of(owner),
            now=consent_log.summary(owner),
            events=consent_log.history(owner),
            phone=_phone,
            state_labels=STATE_LABELS,
            source_labels=consent_log.SOURCE_LABELS,
            channel_labels=CHANNELS,
        )
    )


@bp.app_template_global()
def sms_preferences(contact):
    """A customer's "My preferred SMS" on their own page; nothing on anyone else's."""
    if not can(person(), "self.manage"):
        return ""
    contact = linked(contact)
    if contact is None or not is_own_contact(person(), contact):
        return ""
    return Markup(render_template("crm_sms/consent/_preferred.html", contact=contact, now=consent_log.summary(contact)))
