"""Settings an admin changes while the app runs, kept in the database with defaults here."""

from ..models import Setting, db

DEFAULTS = {
    "business_name": "Our business",
    "time_zone": "UTC",  # the system time zone, for quiet hours when a number does not tell its own
    "quiet_hours_start": None,  # "21:00"
    "quiet_hours_end": None,  # "08:00"
    "quiet_hours_manual_bypass": False,  # may a message typed to one contact go during quiet hours?
    "opt_out_text": "Reply STOP to unsubscribe.",
    "provider_balance": None,  # last remaining balance the provider told us
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
    """Store a setting (flushes)."""
    if key not in DEFAULTS:
        raise KeyError(f"unknown setting {key!r}")
    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=value))
    else:
        row.value = value
    db.session.flush()
