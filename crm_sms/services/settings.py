"""Settings an admin changes while the app runs, kept in the database with defaults here."""

from ..models import Setting, conflict_insert, db

DEFAULTS = {
    "business_name": "Our business",
    "time_zone": "UTC",  # the system time zone, for quiet hours when a number does not tell its own
    "quiet_hours_start": None,  # "21:00"
    "quiet_hours_end": None,  # "08:00"
    "quiet_hours_manual_bypass": False,  # may a message typed to one contact go during quiet hours?
    # With quiet hours on, a number that tells no time zone gets only these hours (in time_zone); None: no limit.
    "quiet_hours_unknown_start": "10:00",
    "quiet_hours_unknown_end": "18:00",
    "quiet_hours_state_rules": False,  # also keep the hours US states allow for solicitation (services/us_states)
    "quiet_hours_applied": None,  # the quiet-hour rules held messages were last re-evaluated under (the sweep's)
    "public_minutes": None,  # minutes before an unanswered conversation goes to the pool; None: CRM_SMS_PUBLIC_MINUTES
    "opt_out_text": "Reply STOP to unsubscribe.",
    # Frequency caps for campaigns and mass messages (services.frequency): days, None for none; and whether a
    # recipient with an open conversation is skipped.
    "frequency_cap_days": None,
    "frequency_cap_open_conversations": False,
    "provider_balance": None,  # last remaining balance the provider told us
    # Consent (seed 001): require_opt_in, request_consent or disclaimer
    "consent_policy": "require_opt_in",
    # Keywords (services.keywords): a reply that is one of them, courtesy aside ("STOP thanks"), acts at once.
    "keywords_opt_out": ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPT OUT", "ARRET"],
    "keywords_opt_in": ["START", "UNSTOP"],
    "keywords_help": ["HELP", "INFO", "AIDE"],
    # Consent answers: keywords only while a consent request to the number is pending, else ordinary replies.
    "keywords_consent_yes": ["YES", "Y", "OUI", "SI", "1"],
    "keywords_consent_no": ["NO", "N", "NON", "2"],
    # A reply that reads as a wish to stop ("please stop texting me"): "flag" it for the owner, or "opt_out" at once
    "possible_opt_out_action": "flag",
    "support_phone": "",
    "support_email": "",
    "customer_legal_text": (
        "By checking this box you agree to receive text messages from {{ business_name }} at the number you "
        "choose. Message frequency varies. Message and data rates may apply. Reply STOP to cancel, HELP for help."
    ),
    # What a staff member attests to when opting a record in on its page (kept with the change as its proof).
    "staff_consent_text": (
        "I confirm that this person agreed to receive text messages from {{ business_name }} at the number chosen, "
        "and that the proof (the email, the recorded call or the signed paper) can be produced on demand."
    ),
    # Whom an opt-out stops: "all" our sender numbers, or only the "sender" texted (allowed until the FCC's
    # revoke-all rule takes effect on 2027-01-31; from then on every opt-out covers all, whatever this says).
    "opt_out_scope": "all",
    "customer_changed_by": "username",  # what the audit log names for a customer's own change: username or email
    # Automatic messages: the variables of notices.PLACEHOLDERS ({{ business_name }}...) are filled in.
    "notice_opt_in": "{{ business_name }}: you are subscribed to text messages. Reply HELP for help, STOP to stop.",
    "notice_opt_out": (
        "{{ business_name }}: you are unsubscribed and will get no more messages. Reply START to resubscribe."
    ),
    # CTIA's HELP answer: the program's name, how to reach it, the rates, how to stop. {{ support_contact }}
    # reads as the support phone, the email, or "phone or email": whichever the admin set.
    "notice_help": (
        "{{ business_name }}: for help, contact {{ support_contact }}. Msg & data rates may apply. "
        "Reply STOP to unsubscribe."
    ),
    "disclaimer_text": "This is {{ business_name }}. Msg & data rates may apply. Reply STOP to unsubscribe.",
    "notice_request_mt": (
        "[Auto Message] {{ employee_name }} is trying to reach you. As per company policy, you must provide your "
        "consent to continue messaging. To opt in, reply YES. To opt out, reply STOP."
    ),
    "notice_request_mo": (
        "[Auto Message] You are trying to reach {{ employee_name }}. As per company policy, you must provide your "
        "consent in order for your message to be delivered. To opt in, reply YES. To opt out, reply STOP."
    ),
    "notice_confirmed": "[Auto Message] Opt in confirmed. If you wish to opt out at any time, reply STOP.",
    "notice_refused": "[Auto Message] Opt out confirmed. If you change your mind, please reply with a new message.",
}


def get(key):
    if key not in DEFAULTS:
        raise KeyError(f"unknown setting {key!r}")
    row = db.session.get(Setting, key)
    return row.value if row is not None else DEFAULTS[key]


def get_all():
    stored = {row.key: row.value for row in db.session.scalars(db.select(Setting))}
    return {key: stored.get(key, default) for key, default in DEFAULTS.items()}


def put(key, value):
    """Store a setting. An upsert: two workers storing a new key at once (the provider's balance after their
    first batches) both succeed, the last one wins, instead of one failing its job on the primary key."""
    if key not in DEFAULTS:
        raise KeyError(f"unknown setting {key!r}")
    upsert = conflict_insert(Setting).values(key=key, value=value)
    db.session.execute(upsert.on_conflict_do_update(index_elements=["key"], set_={"value": upsert.excluded.value}))
    db.session.get(Setting, key, populate_existing=True)  # a row this session already holds shows the new value
