"""Mass messages (seed 002): saved texts managers cannot edit, sent to a filtered set of accounts.

Each saved message is a locked account template whose text uses field
variables (``{{ outage.start }}``, ``{{ outage.end }}``) besides the account's
own. Sending one makes a campaign of source "mass" with the fields filled in,
then the same confirmation and generation as any campaign.
"""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ..models import Campaign, Template, db, utcnow
from . import campaigns, settings
from .campaigns import CampaignError


@dataclass(frozen=True)
class SavedMessage:
    name: str
    body: str
    fields: tuple  # the field variables its text uses, in the order the form asks them


FIELD_LABELS = {"outage.start": "Outage start", "outage.end": "Outage end"}
SAVED_MESSAGES = (
    SavedMessage(
        "Planned outage",
        "Planned maintenance: service for {{ account.name }} will be down from {{ outage.start }} "
        "to {{ outage.end }}. Sorry for the inconvenience.",
        ("outage.start", "outage.end"),
    ),
    SavedMessage(
        "Unplanned outage",
        "Service alert: {{ account.name }} is affected by an outage since {{ outage.start }}. "
        "We expect service back by {{ outage.end }}.",
        ("outage.start", "outage.end"),
    ),
    SavedMessage(
        "Unplanned outage (no restoration ETA)",
        "Service alert: {{ account.name }} is affected by an outage since {{ outage.start }}. "
        "We are working to restore service and will keep you posted.",
        ("outage.start",),
    ),
)


def ensure_saved_messages():
    """Make sure every saved mass message exists as a locked account template (idempotent); returns them by name."""
    existing = {
        t.name: t
        for t in db.session.scalars(db.select(Template).where(Template.name.in_([m.name for m in SAVED_MESSAGES])))
    }
    for message in SAVED_MESSAGES:
        if message.name not in existing:
            existing[message.name] = Template(name=message.name, module="accounts", body=message.body, locked=True)
            db.session.add(existing[message.name])
    db.session.flush()
    return [existing[m.name] for m in SAVED_MESSAGES]


def saved_message(template):
    """The saved mass message a template is, or None."""
    return next(
        (m for m in SAVED_MESSAGES if template is not None and template.locked and m.name == template.name), None
    )


def create(template, values, sender, signature, send_at, user, type=None, city=None, now=None):
    """A draft mass message: a campaign on the accounts matching the filter, its fields filled from ``values``.

    ``values`` maps each field variable to an aware datetime. Refuses (naming the
    field) a text that is not a saved mass message, a missing or inverted
    outage time, and a filter that matches no account. Flushes.
    """
    now = now or utcnow()
    message = saved_message(template)
    if message is None:
        raise CampaignError("template", "Choose one of the saved mass messages.")
    for name in message.fields:
        if values.get(name) is None:
            raise CampaignError(name.replace(".", "_"), f"Enter the {FIELD_LABELS[name].lower()}.")
    start, end = values.get("outage.start"), values.get("outage.end")
    if "outage.end" in message.fields and end <= start:
        raise CampaignError("outage_end", "The outage end must be after its start.")
    if not (type or city):
        raise CampaignError("type", "Choose which accounts: an account type, a city, or both.")
    if not db.session.scalar(campaigns.matching("accounts", city=city, type=type).limit(1)):
        raise CampaignError("type", "No account matches this filter: choose another type or city.")
    campaign = Campaign(
        source="mass",
        module="accounts",
        created_by=user,
        status="draft",
        fields={name: _when(values[name]) for name in message.fields},
    )
    campaigns.save(
        campaign,
        f"{template.name} · {_when(start)}",
        send_at or now,
        "accounts",
        template,
        sender,
        signature,
        user,
        now=now,
    )
    campaigns.add_matching(campaign, type=type, city=city)
    return campaign


def _when(moment):
    """A time as the recipient reads it, in the system time zone ("Nov 24, 2:00 PM")."""
    local = moment.astimezone(ZoneInfo(settings.get("time_zone")))
    return f"{local:%b} {local.day}, {local.hour % 12 or 12}:{local:%M} {local:%p}"
