"""A campaign's progress once its messages exist: their totals by status, the statuses over time, and the
campaign's own status moved on from them (scheduled → sending → completed)."""

from datetime import timedelta

from ..models import Campaign, Message, db, utcnow
from ..models.message import FINAL
from . import consent
from .sweep import sweeper

#: The totals a campaign page shows: (key, label, the message statuses counted).
TOTALS = (
    ("queued", "In queue", ("draft", "queued", "held")),
    ("sending", "In progress", ("sending",)),
    ("sent", "Sent", ("sent",)),
    ("delivered", "Delivered", ("delivered",)),
    ("failed", "Failed", ("failed", "undeliverable")),
    ("unknown", "Unknown", ("unknown",)),
    ("canceled", "Canceled", ("canceled",)),
    ("opted_out", "Opted out after", ()),
)
#: A canceled message whose reason is one of these was canceled because its number opted out after generation.
OPTED_OUT_REASONS = (consent.OPTED_OUT, consent.SUPPRESSED)


def _keyed(campaign, *columns):
    """The campaign's messages as a subquery of their ``key`` (their status, or "opted_out") and ``columns``.

    Grouped through a subquery: PostgreSQL would not match a GROUP BY repeating the CASE with new parameters.
    """
    opted_out = db.and_(Message.status == "canceled", Message.reject_reason.in_(OPTED_OUT_REASONS))
    return (
        db.select(db.case((opted_out, "opted_out"), else_=Message.status).label("key"), *columns)
        .where(Message.campaign_id == campaign.id)
        .subquery()
    )


def totals(campaign):
    """{total key: count} of the campaign's messages (see TOTALS), with one aggregate query."""
    keys = _keyed(campaign)
    counts = dict(db.session.execute(db.select(keys.c.key, db.func.count()).group_by(keys.c.key)).all())
    result = {name: sum(counts.get(s, 0) for s in statuses) for name, _, statuses in TOTALS}
    result["opted_out"] = counts.get("opted_out", 0)
    return result


def settle(campaign, counts=None, now=None):
    """Move a scheduled or sending campaign on from its messages: sending once due, completed when none is
    left unfinal."""
    if campaign.status not in ("scheduled", "sending"):
        return campaign.status
    counts = counts if counts is not None else totals(campaign)
    unfinal = sum(counts[name] for name, _, statuses in TOTALS if set(statuses) - FINAL)
    if not unfinal:
        campaign.status = "completed"
    elif campaign.status == "scheduled" and campaign.send_at <= (now or utcnow()):
        campaign.status = "sending"
    db.session.flush()
    return campaign.status


@sweeper
def settle_campaigns():
    """Bring every scheduled or sending campaign's status up to date with its messages."""
    moved = 0
    for campaign in db.session.scalars(db.select(Campaign).where(Campaign.status.in_(("scheduled", "sending")))):
        before = campaign.status
        moved += settle(campaign) != before
    return moved


def timeline(campaign, points=12):
    """The statuses over time: [(moment, {total key: messages in it by then})], from when each reached its status.

    Two aggregate queries: the time span, then the messages counted by total key and point of time
    (the points' sums are cumulated here). Empty before any message exists.
    """
    of_campaign = Message.campaign_id == campaign.id
    start, end = db.session.execute(
        db.select(db.func.min(Message.created_at), db.func.max(Message.status_changed_at)).where(of_campaign)
    ).one()
    if start is None:
        return []
    end = max(end, start + timedelta(seconds=points))
    moments = [start + (end - start) * (i + 1) / points for i in range(points)]
    # A message's point: how many moments it changed after (it counts from that point on).
    point = sum(db.case((Message.status_changed_at > moment, 1), else_=0) for moment in moments[:-1])
    keyed = _keyed(campaign, point.label("point"))
    group_of = {status: name for name, _, statuses in TOTALS for status in statuses} | {"opted_out": "opted_out"}
    reached = {name: [0] * points for name, _, _ in TOTALS}
    for key, at, count in db.session.execute(
        db.select(keyed.c.key, keyed.c.point, db.func.count()).group_by(keyed.c.key, keyed.c.point)
    ):
        reached[group_of[key]][at] += count
    return [
        (moment, {name: sum(counts[: i + 1]) for name, counts in reached.items()}) for i, moment in enumerate(moments)
    ]
