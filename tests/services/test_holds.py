"""Messages held for quiet hours: held at the claim in every zone of the number, moved by the sweep when the
rules change, and told to people with both clocks."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from crm_sms.jobs.dispatch import dispatch
from crm_sms.models import db, utcnow
from crm_sms.services import holds, messages, outbound, quiet_hours, settings
from crm_sms.services.sweep import run as sweep

AU_MOBILE = "+61412345678"
LOS_ANGELES = "+14155550101"
PERTH_LANDLINE = "+61892345678"  # Perth or Adelaide time: the quiet hours end by Perth's clock


@pytest.fixture
def app(make_app):
    app = make_app(CRM_SMS_ALLOWED_REGIONS=("US", "CA", "AU", "AS"))
    with app.app_context():
        yield app


@pytest.fixture
def compose(make_user, make_sender, opt_in, make_contact):
    agent, sender = make_user("agent", "agent"), make_sender()

    def compose(number=LOS_ANGELES):
        contact = opt_in(make_contact("Ada", "Lovelace", numbers=(number,)))
        message = messages.compose(contact, contact.phone_numbers[0], sender, "Hello", agent)
        db.session.commit()
        return message

    return compose


def _quiet(start, end, **more):
    settings.put("quiet_hours_start", start)
    settings.put("quiet_hours_end", end)
    for key, value in more.items():
        settings.put(key, value)
    db.session.commit()


def _around_now(zone, before=1, after=1):
    local = datetime.now(ZoneInfo(zone))
    return f"{local - timedelta(hours=before):%H:%M}", f"{local + timedelta(hours=after):%H:%M}"


def _held_until(message):
    db.session.refresh(message)
    assert (message.status, message.hold_reason) == ("held", "quiet_hours")
    return message.send_at


def test_a_number_in_several_zones_is_held_until_the_hour_is_allowed_in_all_of_them(compose, provider):
    _quiet(*_around_now("Australia/Perth"))  # quiet in Perth now; already over in Sydney, three hours ahead
    message = compose(AU_MOBILE)
    dispatch()
    until = _held_until(message)
    rules = quiet_hours.Rules.from_settings(settings.get_all())
    assert until == quiet_hours.next_allowed(utcnow(), AU_MOBILE, rules)
    assert until > quiet_hours.next_allowed(utcnow(), PERTH_LANDLINE, rules)  # the western islands wait longer
    assert provider.sent == []


def test_clearing_quiet_hours_releases_held_messages_at_the_next_sweep(compose, provider):
    _quiet(*_around_now("America/Los_Angeles"))
    message = compose()
    dispatch()
    _held_until(message)
    _quiet(None, None)
    sweep()
    db.session.refresh(message)
    assert (message.status, message.hold_reason) == ("queued", None)
    assert message.send_at <= utcnow()
    dispatch()
    db.session.refresh(message)
    assert message.status == "sent" and [sms.to for sms in provider.sent] == [LOS_ANGELES]


def test_changing_quiet_hours_holds_messages_again_until_the_new_end(compose, provider):
    _quiet(*_around_now("America/Los_Angeles", after=1))
    message = compose()
    dispatch()
    old = _held_until(message)
    start, end = _around_now("America/Los_Angeles", after=3)
    _quiet(start, end)
    assert holds.reevaluate() == 1
    new = _held_until(message)
    assert new - old == timedelta(hours=2)
    assert f"{new.astimezone(ZoneInfo('America/Los_Angeles')):%H:%M}" == end
    assert message.events[-1].note.startswith("quiet hours changed: held until")
    assert holds.reevaluate() == 0  # once per change of the rules, not at every sweep


def test_turning_state_rules_on_moves_a_held_message_to_the_states_hours(compose, provider):
    seattle = ZoneInfo("America/Los_Angeles")
    _quiet("23:00", "06:00")
    message = compose("+12065550123")
    late = datetime(2026, 12, 2, 23, 30, tzinfo=seattle)
    outbound.transition(
        message, "held", "worker", hold_reason="quiet_hours", send_at=datetime(2026, 12, 3, 6, 0, tzinfo=seattle)
    )
    db.session.commit()
    settings.put("quiet_hours_state_rules", True)  # Washington: 08:00 to 20:00
    db.session.commit()
    assert holds.reevaluate(now=late) == 1
    assert _held_until(message) == datetime(2026, 12, 3, 8, 0, tzinfo=seattle)


def test_a_message_no_hour_allows_is_canceled_with_the_reason(compose, provider):
    _quiet(*_around_now("America/Los_Angeles"))
    message = compose()
    dispatch()
    _held_until(message)
    db.session.execute(db.update(type(message)).where(type(message).id == message.id).values(phone_e164="+18005550100"))
    _quiet("18:00", "10:00")  # 10:00-18:00 from Guam to Newfoundland never overlaps
    sweep()
    db.session.refresh(message)
    assert message.status == "canceled" and message.reject_reason.startswith("No hour is allowed in all of")


def test_a_held_message_says_when_it_goes_on_both_clocks(compose, app):
    settings.put("time_zone", "America/New_York")
    message = compose()
    outbound.transition(
        message, "held", "worker", hold_reason="quiet_hours", send_at=datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
    )
    db.session.commit()
    assert holds.describe(message) == (
        "Held until Fri 2026-12-04 11:00 America/New_York (recipient's time: Fri 2026-12-04 08:00 America/Los_Angeles)."
    )
