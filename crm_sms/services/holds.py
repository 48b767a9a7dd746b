"""Messages held for quiet hours: held when claimed, re-evaluated after the rules change, told to people.

The rules themselves are ``quiet_hours`` (pure); this module applies them to messages. A change of the
quiet-hour settings is picked up by the next sweep (enqueued at once by the settings page): every message
held for quiet hours is released, or held again until its new time, or canceled if no hour is ever allowed.
"""

from collections import defaultdict
from zoneinfo import ZoneInfo

from ..models import Message, db, utcnow
from ..queue import enqueue_after_commit
from . import outbound, quiet_hours, settings
from .sweep import sweeper

_HELD = db.and_(Message.status == "held", Message.hold_reason == "quiet_hours")
_SWEEP_JOB = "crm_sms.jobs.sweep.sweep"


def _rules_for(kind, rules, manual_bypass):
    return rules.without_quiet_hours() if kind == "manual" and manual_bypass else rules


def _verdict(now, e164, rules):
    """(None, None) if a message may go now, (instant, None) if it may then, (None, why) if it never may."""
    try:
        return quiet_hours.next_allowed(now, e164, rules), None
    except quiet_hours.NoCommonHour as error:
        return None, str(error)


def hold(message, now, rules, manual_bypass):
    """Hold a claimed message until the rules allow it (or cancel it, with the reason, if they never do).

    True if it may not go now; its send_at is then the instant it may.
    """
    until, never = _verdict(now, message.phone_e164, _rules_for(message.kind, rules, manual_bypass))
    if never:
        outbound.transition(message, "canceled", "worker", note=never, reject_reason=never)
    elif until:
        outbound.transition(message, "held", "worker", note="quiet hours", hold_reason="quiet_hours", send_at=until)
        outbound.schedule_dispatch(until, now)
    return bool(until or never)


def _stamp(config):
    return repr((quiet_hours.Rules.from_settings(config), bool(config["quiet_hours_manual_bypass"])))


def rules_saved():
    """Call after saving quiet-hour settings: the sweep re-evaluates held messages once this commits."""
    enqueue_after_commit(_SWEEP_JOB, job_id="crm_sms-sweep")


@sweeper
def reevaluate(now=None):
    """Once after each change of the quiet-hour rules, move every message held for quiet hours to its new time:
    queued now, held until a new instant, or canceled when no hour is ever allowed. Returns how many moved."""
    config = settings.get_all()
    stamp = _stamp(config)
    if config["quiet_hours_applied"] == stamp:
        return 0
    now = now or utcnow()
    rules = quiet_hours.Rules.from_settings(config)
    held = db.session.execute(db.select(Message.id, Message.phone_e164, Message.kind, Message.send_at).where(_HELD))
    release, later, never, known = [], defaultdict(list), defaultdict(list), {}
    for id, e164, kind, send_at in held:
        key = e164, kind == "manual"
        if key not in known:
            known[key] = _verdict(now, e164, _rules_for(kind, rules, config["quiet_hours_manual_bypass"]))
        until, reason = known[key]
        if reason:
            never[reason].append(id)
        elif until is None:
            release.append(id)
        elif until != send_at:
            later[until].append(id)
    moved = outbound.bulk_transition(
        release, "queued", "sweep", note="quiet hours changed: may go now", where=_HELD, hold_reason=None, send_at=now
    )
    if moved:
        outbound.schedule_dispatch(now, now)
    for until, ids in later.items():
        note = f"quiet hours changed: held until {until:%Y-%m-%d %H:%M} UTC"
        moved += outbound.bulk_transition(ids, "held", "sweep", note=note, where=_HELD, send_at=until)
        outbound.schedule_dispatch(until, now)
    for reason, ids in never.items():
        moved += outbound.bulk_transition(ids, "canceled", "sweep", note=reason, where=_HELD, reject_reason=reason)
    settings.put("quiet_hours_applied", stamp)
    return len(moved)


def describe(message):
    """When a held message will go, for people: the account's clock and the recipient's; "" if not held."""
    if message.status != "held":
        return ""
    if message.hold_reason == "awaiting_consent":
        return "Goes when the number opts in."
    zone = settings.get("time_zone")
    ours = f"{_clock(message.send_at.astimezone(ZoneInfo(zone)))} {zone}"
    theirs = [
        f"{_clock(local)} {name}" for name, local in quiet_hours.local_times(message.send_at, message.phone_e164, zone)
    ]
    if len(theirs) > 2:  # many zones: the earliest and the latest clock
        theirs = [theirs[0], theirs[-1]]
    return f"Held until {ours} (recipient's time: {' to '.join(theirs)})."


def _clock(local):
    return f"{local:%a %Y-%m-%d %H:%M}"
