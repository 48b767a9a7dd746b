"""Frequency caps for bulk sends (campaigns and mass messages), as the admin sets them.

``frequency_cap_days`` (None: off): a number is skipped when it received another
campaign or mass message in the last that many days, or another one goes within
that many days of this one's dispatch, before or after (a campaign scheduled
ahead is spaced from its neighbours too). A message counts when queued, held, in
progress, sent, delivered or unknown: handed over or still to go; a failed,
undeliverable or canceled one never reached anyone. Manual, triggered and
automatic messages never count.

``frequency_cap_open_conversations``: a recipient is skipped while a conversation
with its number, or with the record itself, waits for an answer (an inbound
message nobody answered yet).

``capped`` decides a whole chunk of recipients with one query per cap, never one
per recipient.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..models import Campaign, Conversation, Message, Person, db, utcnow
from . import settings

#: Skip reasons (keys of campaign_plan.SKIP_REASONS) and how a list of counts names them.
REASONS = {
    "frequency": "Frequency cap (a recent campaign or mass message)",
    "open_conversation": "Open conversation (a message waits for an answer)",
}
#: The statuses of a message that counts against the cap: handed over, or waiting to go.
COUNTED = ("queued", "held", "sending", "sent", "delivered", "unknown")
MAX_DAYS = 365
#: Values per IN list (written into the statement): keeps it far below SQLite's 1,000,000-byte statements.
_SLICE = 10_000


@dataclass(frozen=True)
class Caps:
    """The caps one campaign's generation applies, fixed when it starts."""

    campaign_id: int
    module: str
    days: int | None
    open_conversations: bool
    at: datetime  # when the campaign goes (not before now)
    now: datetime  # what "2 days ago" is counted from

    @property
    def active(self):
        return bool(self.days) or self.open_conversations


def caps_for(campaign, now=None):
    """The caps the settings set now, for ``campaign``."""
    now = now or utcnow()
    return Caps(
        campaign_id=campaign.id,
        module=campaign.module,
        days=settings.get("frequency_cap_days") or None,
        open_conversations=bool(settings.get("frequency_cap_open_conversations")),
        at=max(campaign.send_at, now),
        now=now,
    )


def describe(caps=None):
    """What the caps do, in a sentence or two for the pages that send in bulk; None when no cap is on."""
    days = settings.get("frequency_cap_days") if caps is None else caps.days
    conversations = settings.get("frequency_cap_open_conversations") if caps is None else caps.open_conversations
    sentences = []
    if days:
        sentences.append(
            f"Frequency cap: a number that received a campaign or mass message in the last {_days(days)}, "
            f"or has one due within {_days(days)} of this one, is skipped."
        )
    if conversations:
        sentences.append("A recipient with an open conversation (a message waiting for an answer) is skipped.")
    return " ".join(sentences) or None


def capped(rows, caps):
    """{recipient id: (reason key, what a person reads)} for the ``rows`` (``campaign_plan.Row``) a cap
    skips; the frequency cap first. One query per cap for the chunk (its numbers in slices of ``_SLICE``)."""
    if not caps.active:
        return {}
    rows = [row for row in rows if row.e164 is not None]
    if not rows:
        return {}
    found = {}
    if caps.open_conversations:
        found.update(_open_conversations(rows, caps))
    if caps.days:
        found.update(_recent(rows, caps))
    return found


def _recent(rows, caps):
    window = timedelta(days=caps.days)
    nearest = {}  # number -> (send_at, campaign name, source): the one nearest now
    for numbers in _slices(sorted({row.e164 for row in rows})):
        found = db.session.execute(
            db.select(Message.phone_e164, Message.send_at, Campaign.name, Campaign.source)
            .join(Campaign, Campaign.id == Message.campaign_id)
            .where(
                _among(Message.phone_e164, numbers),
                Message.kind == db.literal_column("'campaign'"),  # written out: it must match the index's WHERE
                Message.send_at > caps.now - window,
                Message.send_at < caps.at + window,
                Message.status.in_(COUNTED),
                Message.campaign_id != caps.campaign_id,
            )
        )
        for e164, send_at, name, source in found:
            if caps.now < send_at <= caps.at - window:
                continue  # to go later, but long enough before this campaign
            if e164 not in nearest or abs(send_at - caps.now) < abs(nearest[e164][0] - caps.now):
                nearest[e164] = (send_at, name, source)
    return {row.rid: ("frequency", _received(*nearest[row.e164], caps.now)) for row in rows if row.e164 in nearest}


def _open_conversations(rows, caps):
    owner_column = Conversation.contact_id if caps.module == "contacts" else Conversation.account_id
    by_number, by_owner = {}, {}
    numbers, owners = sorted({row.e164 for row in rows}), sorted({row.owner_id for row in rows})
    for start in range(0, max(len(numbers), len(owners)), _SLICE):
        found = db.session.execute(
            db.select(Conversation.phone_e164, owner_column, Person.name)
            .outerjoin(Person, Person.id == Conversation.owner_id)
            .where(
                Conversation.awaiting_since.is_not(None),
                db.or_(
                    _among(Conversation.phone_e164, numbers[start : start + _SLICE]),
                    _among(owner_column, owners[start : start + _SLICE]),
                ),
            )
            .order_by(Conversation.awaiting_since)
        )
        for e164, owner_id, name in found:
            note = (
                f"has an open conversation with {name}" if name else "has an open conversation in the unanswered pool"
            )
            by_number.setdefault(e164, note)
            if owner_id is not None:
                by_owner.setdefault(owner_id, note)
    return {
        row.rid: ("open_conversation", (by_number.get(row.e164) or by_owner[row.owner_id])[:255])
        for row in rows
        if row.e164 in by_number or row.owner_id in by_owner
    }


def _received(send_at, name, source, now):
    what = "a mass message" if source == "mass" else "a campaign"
    if send_at <= now:
        days = (now - send_at).days
        when = "less than a day ago" if not days else f"{_days(days)} ago"
        return f"received {what} {when} ({name})"[:255]
    days = (send_at - now).days
    when = "within a day" if not days else f"in {_days(days)}"
    return f"is due to receive {what} {when} ({name})"[:255]


def _days(count):
    return f"{count} day{'' if count == 1 else 's'}"


def _among(column, values):
    """``column IN values``, the values written into the statement (numbers and ids: quoted by SQLAlchemy).

    As parameters, the statement would be the same for every chunk, so the driver prepares it and PostgreSQL
    soon plans it once for any values: with the messages' statistics behind a bulk insert, that plan compares
    every message of the window with every value (seconds a chunk). Written out, each chunk is planned for its
    own values, which PostgreSQL hashes.
    """
    return column.in_(db.bindparam(None, list(values), expanding=True, literal_execute=True))


def _slices(values):
    return [values[start : start + _SLICE] for start in range(0, len(values), _SLICE)]
