"""SMS consent as people change it: staff on a record's page, a customer on their own, and the audit behind it.

The rules of consent themselves (what opting in does, who may be texted) live
in ``services.consent``; this module decides what a form asked for, checks it,
calls that API, and reads the audit back (history, CSV; ``services.consent_report``
counts it for the opt-in report).
Functions flush, never commit.
"""

import hashlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ..host import host
from ..models import ConsentEvent, Record, db
from ..models.consent import CHANNELS, STATE_LABELS
from ..models.phone_number import format_e164
from . import consent, keywords, notices, phone_numbers, records, rendering, settings
from .auth import is_own_contact
from .errors import FieldError
from .search import YEARS

#: What a staff user may say the consent came by; "Web" and "SMS response" are set by the customer's own act.
STAFF_TYPES = ("Email", "Phone", "Paper")
#: A change from one of these sources shows its consent type read-only: staff did not collect that consent.
CUSTOMER_SOURCES = ("customer_web", "sms_reply")
SOURCE_LABELS = {"staff": "Staff", "customer_web": "Customer (web)", "sms_reply": "SMS reply", "import": "Import"}
#: The customer's legal text is shown on a web page: nobody is texting, so no employee name.
LEGAL_PLACEHOLDERS = ("business_name", "support_phone", "support_email")
KEYWORD_KINDS = {
    "keywords_opt_out": "opt-out",
    "keywords_opt_in": "opt-in",
    "keywords_help": "help",
    "keywords_consent_yes": "consent-answer yes",
    "keywords_consent_no": "consent-answer no",
}


class ConsentError(FieldError):
    """A consent change that cannot be made as asked."""


# Reading the current consent


def type_is_read_only(owner):
    """Whether the consent type came from the customer's own act (web or SMS reply), so staff may not restate it."""
    row = consent.consent_of(owner)
    return row is not None and row.state == "opted_in" and row.source in CUSTOMER_SOURCES


def default_phone(owner):
    """The number a consent form offers first: the current SMS number, else the primary if it can receive SMS,
    else the first number that can. None when the record has no SMS-capable number."""
    numbers = phone_numbers.sms_numbers(owner)
    row = consent.consent_of(owner)
    if row is not None and row.phone_number in numbers and row.state in ("opted_in", "awaiting_reply"):
        return row.phone_number
    return next((p for p in numbers if p.is_primary), numbers[0] if numbers else None)


def summary(owner):
    """What a page says about the owner's consent now: state, label, number, type, source, when."""
    row = consent.consent_of(owner)
    state = row.state if row is not None else "never_asked"
    return dict(
        state=state,
        label=STATE_LABELS[state],
        phone=row.phone_number if row is not None else None,
        consent_type=row.consent_type if row is not None else None,
        source=SOURCE_LABELS.get(row.source) if row is not None and row.source else None,
        changed_at=row.changed_at if row is not None and state != "never_asked" else None,
    )


def legal_text():
    """The customer's legal text under "I agree to receive SMS/Text messages", placeholders filled in."""
    return _wording("customer_legal_text")


def staff_text():
    """What a staff member attests to when opting a record in on its page, placeholders filled in."""
    return _wording("staff_consent_text")


def version(wording):
    """The version of a wording as shown: the start of its SHA-256, so the same words have the same version."""
    return hashlib.sha256(wording.encode()).hexdigest()[:16]


def _wording(key):
    values = settings.get_all()
    return rendering.fill_in(values[key], {name: values[name] for name in LEGAL_PLACEHOLDERS})


def _proof(wording, shown_version, field):
    """The audit's proof of a web change: the wording now, refused when it is not the version the form showed."""
    now = version(wording)
    if shown_version and shown_version != now:
        raise ConsentError(field, "The wording changed while this form was open: read it again and save again.")
    return dict(wording=wording, wording_version=now)


def _notify(e164):
    """Whether a web change may text ``e164`` now (at most once an hour); None when there is no number to text."""
    return notices.web_notice_due(e164) if e164 else None


#: What a page says when a web change sent no text because the number had one in the last hour.
NOTICE_HELD = "No text was sent: {number} already got an automatic text in the last hour (one an hour at most)."


def notice_held(e164):
    return NOTICE_HELD.format(number=format_e164(e164))


# Changing it


def change_by_staff(
    owner, user, choice, phone=None, consent_type=None, new_number=None, new_type=None, shown_version=None
):
    """Record what a staff user set on the record's SMS messaging form; returns (the audit event, or None if
    nothing changed; the number whose text was held back by the hourly limit, or None).

    ``choice`` is "opt_in" or "opt_out". Opting in needs an SMS-capable number of this record (``phone``, or
    ``new_number`` of ``new_type``, one of ``host.phone_kinds``, added to the host record) and how consent was
    given (Email, Phone or Paper), unless the customer gave it themselves (then their type stands). An opt-in keeps
    the staff wording (``staff_text``) the form showed (``shown_version``). A number whose own STOP is in force
    is refused. Raises ConsentError before changing anything.
    """
    if choice not in ("opt_in", "opt_out"):
        raise ConsentError("choice", "Choose Opt in or Opt out.")
    row = consent.consent_of(owner)
    state = row.state if row is not None else "never_asked"
    if choice == "opt_out":  # staff attest to nothing when they stop texts: no wording to keep
        if state == "opted_out":
            return None, None
        target = row.phone_number.e164 if row is not None and row.phone_number else None
        notify = _notify(target)
        return consent.opt_out(owner, "staff", user.name, notify=bool(notify)), _held(target, notify)
    proof = _proof(staff_text(), shown_version, "choice")
    read_only = type_is_read_only(owner)
    if read_only:
        consent_type = row.consent_type
    elif consent_type not in STAFF_TYPES:
        raise ConsentError(
            "consent_type",
            "Choose how the customer gave consent (Email, Phone or Paper): "
            "you must be able to produce that proof on demand.",
        )
    if (new_number or "").strip():
        phone = _add_number(owner, new_number, new_type)
    else:
        phone = _own_sms_phone(owner, phone, "phone_id")
    unchanged_number = state == "opted_in" and row.phone_number is phone
    if unchanged_number and row.consent_type == consent_type:
        return None, None
    # A new type for the same number is a correction of the record: the customer has nothing new to hear.
    notify = None if unchanged_number else _notify(phone.e164)
    field = "new_number" if (new_number or "").strip() else "phone_id"
    event = _opt_in(owner, phone, consent_type, "staff", user.name, bool(notify), proof, field)
    return event, _held(phone.e164, notify)


def change_by_customer(contact, user, agree, phone=None, shown_version=None):
    """Record what a customer set on their own Edit preferred SMS form; returns (the audit event, or None if
    nothing changed; the number whose text was held back by the hourly limit, or None).

    Agreeing opts them in at ``phone`` (one of their SMS-capable numbers), consent type "Web"; not agreeing opts
    them out. "Changed by" is their username or email, as the ``customer_changed_by`` setting says. The event
    keeps the legal text the form showed (``shown_version``). A number whose own STOP is in force is refused,
    whoever's contact it is on. Raises ConsentError before changing anything.
    """
    if not is_own_contact(user, contact):
        raise ConsentError("agree", "You can change only your own SMS preferences.")
    proof = _proof(legal_text(), shown_version, "agree")
    changed_by = user.email if settings.get("customer_changed_by") == "email" and user.email else user.name
    row = consent.consent_of(contact)
    state = row.state if row is not None else "never_asked"
    if not agree:
        if state == "opted_out":
            return None, None
        target = row.phone_number.e164 if row is not None and row.phone_number else None
        notify = _notify(target)
        event = consent.opt_out(contact, "customer_web", changed_by, "Web", notify=bool(notify), **proof)
        return event, _held(target, notify)
    phone = _own_sms_phone(contact, phone, "phone_id")
    unchanged_number = state == "opted_in" and row.phone_number is phone
    if unchanged_number:
        return None, None
    notify = _notify(phone.e164)
    return _opt_in(contact, phone, "Web", "customer_web", changed_by, notify, proof, "phone_id"), _held(
        phone.e164, notify
    )


def _opt_in(owner, phone, consent_type, source, changed_by, notify, proof, field):
    try:
        return consent.opt_in(owner, phone, consent_type, source, changed_by, notify=notify, **proof)
    except consent.StopInForce as error:
        raise ConsentError(field, str(error)) from None


def _held(e164, notify):
    """The number whose text the hourly limit held back (``notify`` False, not None), else None."""
    return e164 if notify is False else None


def _own_sms_phone(owner, phone, field):
    if phone is None:
        if not phone_numbers.sms_numbers(owner):
            raise ConsentError(field, "There is no number that can receive SMS: add a mobile number first.")
        raise ConsentError(field, "Choose the number to receive SMS at.")
    if phone not in owner.phone_numbers:
        raise ConsentError(field, "That number is not one of this record's numbers: choose one from the list.")
    if not phone.sms_capable:
        raise ConsentError(
            field,
            f"{phone.display} is a {phone.label or 'kind of'} number, which cannot receive SMS: "
            "choose another or add a mobile number.",
        )
    return phone


def _add_number(owner, raw, phone_kind):
    """Add the number to the host record (when the host lets crm_sms), then take it in: the record's row for it."""
    kinds = dict(host.phone_kinds())
    if not kinds:
        raise ConsentError("new_number", "Add the number on the record's own page, then choose it here.")
    if phone_kind not in kinds:
        raise ConsentError("new_type_id", "Choose a type of number that can receive SMS.")
    try:
        e164 = phone_numbers.parse(raw)[0]
        host.add_phone(records.host_record(owner), raw, phone_kind)
    except ValueError as error:
        raise ConsentError("new_number", str(error)) from None
    records.sync(owner)
    return next(p for p in owner.phone_numbers if p.e164 == e164)


# The audit


def history(owner):
    """The owner's consent events, newest first."""
    return db.session.scalars(_of(owner).order_by(ConsentEvent.at.desc(), ConsentEvent.id.desc())).all()


CSV_HEADER = [
    "changed at (UTC)",
    "record type",
    "record id",
    "record",
    "number",
    "old state",
    "new state",
    "old number",
    "consent type",
    "source",
    "changed by",
    "message id",
    "channel",
    "wording",
    "wording version",
    "sender (opt-out of this number only)",
]
#: Events read (and names looked up) at a time for a CSV: memory stays flat however long the history.
CSV_CHUNK = 1000


def csv_rows(owner=None, since=None, until=None):
    """The CSV lines (after CSV_HEADER), oldest first: proof of consent, one line per change.

    One record's changes, or every record's with ``since`` ≤ at < ``until``. A generator: nothing is read until
    it is iterated, then events come in chunks, each with one lookup of the names it needs.
    """
    stmt = _of(owner) if owner is not None else in_range(db.select(ConsentEvent), since, until)
    stmt = stmt.order_by(ConsentEvent.at, ConsentEvent.id).execution_options(yield_per=CSV_CHUNK)
    for events in db.session.scalars(stmt).partitions():
        contacts = _names({e.contact_id for e in events if e.contact_id})
        accounts = _names({e.account_id for e in events if e.account_id})
        for e in events:
            if e.contact_id:
                kind, owner_id, name = "Contact", e.contact_id, contacts.get(e.contact_id, "")
            elif e.account_id:
                kind, owner_id, name = "Account", e.account_id, accounts.get(e.account_id, "")
            else:
                kind, owner_id, name = "", "", "(deleted)"
            yield [
                e.at.isoformat(),
                kind,
                owner_id,
                name,
                e.e164,
                STATE_LABELS.get(e.old_state, e.old_state),
                STATE_LABELS.get(e.new_state, e.new_state),
                e.old_e164,
                e.consent_type,
                SOURCE_LABELS.get(e.source, e.source),
                e.changed_by,
                e.message_id,
                CHANNELS.get(e.channel, e.channel),
                e.wording,
                e.wording_version,
                e.sender_e164,
            ]


def _of(owner):
    column = ConsentEvent.contact_id if owner.kind == "contacts" else ConsentEvent.account_id
    return db.select(ConsentEvent).where(column == owner.id)


def _names(ids):
    if not ids:
        return {}
    return dict(db.session.execute(db.select(Record.id, Record.name).where(Record.id.in_(ids))).all())


# Ranges of days, as the CSV of every record's changes and the opt-in report filter them


def day_start(value):
    """A date typed in a filter (YYYY-MM-DD) as the start of that day in the system time zone; None if not a date
    (or not in YEARS)."""
    try:
        day = datetime.strptime(value or "", "%Y-%m-%d")
    except ValueError:
        return None
    if day.year not in YEARS:
        return None
    return day.replace(tzinfo=ZoneInfo(settings.get("time_zone")))


def day_end(value):
    """The end (exclusive) of a typed day, so a range "until 31 May" includes 31 May."""
    start = day_start(value)
    return start + timedelta(days=1) if start else None


def in_range(stmt, since, until):
    """``stmt`` (a select of ConsentEvent) narrowed to changes with ``since`` ≤ at < ``until``; None is no bound."""
    if since is not None:
        stmt = stmt.where(ConsentEvent.at >= since)
    if until is not None:
        stmt = stmt.where(ConsentEvent.at < until)
    return stmt


# The keyword settings


def keyword_errors(lists):
    """{setting key: why its keywords are refused} for {"keywords_opt_out": [words], ...}; empty when all is well.

    Each list needs a keyword; a keyword has a letter or digit; a number is only a consent answer (any other
    time "1" answers a question); no keyword may be in two lists (compared as replies are matched).
    """
    errors, seen = {}, {}
    for key, words in lists.items():
        kind = KEYWORD_KINDS[key]
        if not words:
            errors[key] = f"Enter at least one {kind} keyword."
            continue
        for word in words:
            normal = keywords.normalize(word)
            if not normal:
                errors[key] = f"“{word}” has no letter or digit: a keyword is a word people can type."
                break
            if normal.isdigit() and not key.startswith("keywords_consent_"):
                errors[key] = (
                    f"“{word}” is a number: people answer questions with numbers, so a number can only be a "
                    "consent answer (read while a consent request is pending)."
                )
                break
            if normal in seen and seen[normal] != key:
                errors[key] = (
                    f"“{word}” is already one of the {KEYWORD_KINDS[seen[normal]]} keywords: "
                    "a word can be in one list only."
                )
                break
            seen.setdefault(normal, key)
    return errors


def split_keywords(text):
    """Comma-separated keywords as a list, spaces around each trimmed, empties dropped."""
    return [word.strip() for word in (text or "").split(",") if word.strip()]
