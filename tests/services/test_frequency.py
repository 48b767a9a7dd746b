"""Frequency caps: campaigns and mass messages skip numbers texted in bulk lately, and open conversations."""

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from crm_sms.jobs.campaigns import generate as generate_job
from crm_sms.models import Campaign, CampaignRecipient, Conversation, Message, db, utcnow
from crm_sms.services import campaign_plan, campaigns, mass_messages, settings, templates

OURS = "+16285550100"


@pytest.fixture
def manager(make_user):
    return make_user("manager", "manager")


@pytest.fixture
def sender(make_sender):
    return make_sender(OURS)


@pytest.fixture
def make_campaign(manager, sender):
    template = templates.save(None, "Sale", "contacts", "Hi {{ contact.first_name }}, our sale is on.", manager)

    def make(send_at=None):
        campaign = campaigns.save(
            None, "Autumn sale", send_at or utcnow() + timedelta(hours=1), "contacts", template, sender, None, manager
        )
        db.session.commit()
        return campaign

    return make


@pytest.fixture
def ada(make_contact, opt_in):
    return opt_in(make_contact("Ada", "Lovelace", numbers=("+14155550101",)))


@pytest.fixture
def grace(make_contact, opt_in):
    return opt_in(make_contact("Grace", "Hopper", numbers=("+14155550102",)))


def _caps(days=None, open_conversations=False):
    settings.put("frequency_cap_days", days)
    settings.put("frequency_cap_open_conversations", open_conversations)
    db.session.commit()


def _earlier(number, ago, status="delivered", kind="campaign", name="Spring sale", source="campaign", owner=None):
    """A message to ``number`` sent (or due) ``ago`` before now, of a completed campaign ``name`` when bulk."""
    at = utcnow() - ago
    campaign = None
    if kind == "campaign":
        module = "accounts" if source == "mass" else "contacts"
        campaign = Campaign(name=name, source=source, module=module, status="completed", send_at=at)
        db.session.add(campaign)
    db.session.add(
        Message(
            direction="outbound",
            kind=kind,
            status=status,
            body="Earlier",
            phone_e164=number,
            sender_e164=OURS,
            contact_id=owner.id if owner is not None and owner.kind == "contacts" else None,
            client_ref=uuid.uuid4().hex,
            send_at=at,
            created_at=at,
            campaign=campaign,
        )
    )
    db.session.commit()


def _with(campaign, *owners):
    campaigns.add_records(campaign, [o.id for o in owners])
    db.session.commit()
    return campaign


def _generate(campaign):
    campaigns.generate(campaign)
    db.session.commit()
    generate_job(campaign.id)
    db.session.expire_all()
    return db.session.get(Campaign, campaign.id)


def _skips(campaign):
    return db.session.execute(
        db.select(CampaignRecipient.contact_id, CampaignRecipient.account_id, CampaignRecipient.skip_reason)
        .add_columns(CampaignRecipient.skip_note)
        .where(CampaignRecipient.campaign_id == campaign.id, CampaignRecipient.skip_reason.is_not(None))
    ).all()


def test_a_contact_texted_by_a_campaign_two_days_ago_is_skipped_with_a_cap_of_seven_days(make_campaign, ada, grace):
    _earlier("+14155550101", timedelta(days=2, hours=1), owner=ada)
    _caps(days=7)
    campaign = _with(make_campaign(), ada, grace)
    confirmation = campaigns.confirmation(campaign)
    assert (confirmation.messages, confirmation.skipped) == (1, {"frequency": 1})
    assert [(record.name, why) for record, why in confirmation.named] == [
        ("Ada Lovelace", "received a campaign 2 days ago (Spring sale)")
    ]
    campaign = _generate(campaign)
    assert (campaign.created_count, campaign.skipped) == (1, {"frequency": 1})
    assert _skips(campaign) == [(ada.id, None, "frequency", "received a campaign 2 days ago (Spring sale)")]
    assert campaigns.for_record(ada) == [(campaign, None, "received a campaign 2 days ago (Spring sale)")]
    assert [m.phone_e164 for m in db.session.scalars(db.select(Message).where(Message.campaign_id == campaign.id))] == [
        "+14155550102"
    ]


def test_the_same_contact_is_not_skipped_with_a_cap_of_one_day(make_campaign, ada):
    _earlier("+14155550101", timedelta(days=2), owner=ada)
    _caps(days=1)
    campaign = _generate(_with(make_campaign(), ada))
    assert (campaign.created_count, campaign.skipped, _skips(campaign)) == (1, {}, [])


def test_no_cap_skips_nobody(make_campaign, ada):
    _earlier("+14155550101", timedelta(hours=3), owner=ada)
    _caps(days=None)
    assert campaigns.confirmation(_with(make_campaign(), ada)).skipped == {}


@pytest.mark.parametrize("kind", ["manual", "automatic", "triggered"])
def test_a_message_that_is_not_bulk_does_not_count(make_campaign, ada, kind):
    _earlier("+14155550101", timedelta(days=1), kind=kind, owner=ada)
    _caps(days=7)
    assert campaigns.confirmation(_with(make_campaign(), ada)).skipped == {}


@pytest.mark.parametrize("status", ["failed", "canceled", "undeliverable"])
def test_a_bulk_message_that_reached_nobody_does_not_count(make_campaign, ada, status):
    _earlier("+14155550101", timedelta(days=1), status=status, owner=ada)
    _caps(days=7)
    assert campaigns.confirmation(_with(make_campaign(), ada)).skipped == {}


@pytest.mark.parametrize("status", ["queued", "held", "sending", "sent", "unknown"])
def test_a_bulk_message_handed_over_or_waiting_counts(make_campaign, ada, status):
    _earlier("+14155550101", timedelta(days=1), status=status, owner=ada)
    _caps(days=7)
    assert campaigns.confirmation(_with(make_campaign(), ada)).skipped == {"frequency": 1}


def test_a_mass_message_counts_and_is_named_so(make_campaign, ada):
    _earlier("+14155550101", timedelta(hours=5), source="mass", name="Planned outage · Dec 1, 2:00 AM")
    _caps(days=3)
    [(_, why)] = campaigns.confirmation(_with(make_campaign(), ada)).named
    assert why == "received a mass message less than a day ago (Planned outage · Dec 1, 2:00 AM)"


def test_a_campaign_due_soon_counts_and_one_due_long_after_this_one_does_not(make_campaign, ada, grace):
    _earlier("+14155550101", -timedelta(days=3, hours=1), status="queued", owner=ada)
    _earlier("+14155550102", -timedelta(days=30), status="queued", name="Winter sale", owner=grace)
    _caps(days=7)
    confirmation = campaigns.confirmation(_with(make_campaign(), ada, grace))
    assert [(r.name, why) for r, why in confirmation.named] == [
        ("Ada Lovelace", "is due to receive a campaign in 3 days (Spring sale)")
    ]


def test_a_campaign_scheduled_ahead_is_spaced_from_the_bulk_messages_around_its_date(make_campaign, ada, grace):
    # This one goes in 20 days: a campaign going in 3 days is far enough before it, one in 18 days is not.
    _earlier("+14155550101", -timedelta(days=3), status="queued", owner=ada)
    _earlier("+14155550102", -timedelta(days=18), status="queued", name="Winter sale", owner=grace)
    _caps(days=7)
    campaign = _with(make_campaign(send_at=utcnow() + timedelta(days=20)), ada, grace)
    assert [r.name for r, _ in campaigns.confirmation(campaign).named] == ["Grace Hopper"]


def _conversation(number, contact, owner=None, waiting=True):
    """A conversation with ``number``; ``waiting``: its contact's message waits for an answer since an hour ago."""
    db.session.add(
        Conversation(
            phone_e164=number,
            sender_e164=OURS,
            contact_id=contact.id,
            owner_id=owner.id if owner else None,
            awaiting_since=utcnow() - timedelta(hours=1) if waiting else None,
        )
    )
    db.session.commit()


def test_a_contact_in_an_open_conversation_is_skipped_when_the_option_is_on(make_campaign, make_user, ada, grace):
    alice = make_user("alice", "agent")
    _conversation("+14155550101", ada, alice)
    _conversation("+14155550102", grace, alice, waiting=False)  # answered: not open
    campaign = _with(make_campaign(), ada, grace)
    _caps(open_conversations=False)
    assert campaigns.confirmation(campaign).skipped == {}
    _caps(open_conversations=True)
    confirmation = campaigns.confirmation(campaign)
    assert confirmation.skipped == {"open_conversation": 1}
    assert [(r.name, why) for r, why in confirmation.named] == [("Ada Lovelace", "has an open conversation with alice")]
    campaign = _generate(campaign)
    assert _skips(campaign) == [(ada.id, None, "open_conversation", "has an open conversation with alice")]


def test_a_conversation_in_the_pool_on_another_number_of_the_contact_is_open_too(make_campaign, ada):
    _conversation("+14155550999", ada)
    _caps(open_conversations=True)
    [(_, why)] = campaigns.confirmation(_with(make_campaign(), ada)).named
    assert why == "has an open conversation in the unanswered pool"


def test_a_mass_message_applies_the_caps(manager, sender, make_account, opt_in):
    north = opt_in(make_account("North Fiber", numbers=("+12125550101",), type="Customer"))
    opt_in(make_account("South Fiber", numbers=("+12125550102",), type="Customer"))
    _earlier("+12125550101", timedelta(days=2, hours=1), name="Spring sale")
    _caps(days=7)
    planned = mass_messages.ensure_saved_messages()[0]
    start = utcnow() + timedelta(days=1)
    campaign = mass_messages.create(
        planned,
        {"outage.start": start, "outage.end": start + timedelta(hours=2)},
        sender,
        None,
        None,
        manager,
        type="Customer",
    )
    db.session.commit()
    confirmation = campaigns.confirmation(campaign)
    assert (confirmation.messages, confirmation.skipped) == (1, {"frequency": 1})
    assert [(r.name, why) for r, why in confirmation.named] == [
        ("North Fiber", "received a campaign 2 days ago (Spring sale)")
    ]
    assert "a number that received a campaign or mass message in the last 7 days" in confirmation.caps
    campaign = _generate(campaign)
    assert _skips(campaign) == [(None, north.id, "frequency", "received a campaign 2 days ago (Spring sale)")]


def test_the_caps_cost_one_query_per_chunk_whatever_the_recipients(app, make_campaign, make_contact, opt_in):
    _caps(days=7, open_conversations=True)
    counts = []
    for size, start in ((2, 0), (12, 100)):
        numbers = [f"+1415555{i:04d}" for i in range(start, start + size)]
        owners = [opt_in(make_contact(f"P{n}", "Person", numbers=(n,))) for n in numbers]
        for number, owner in list(zip(numbers, owners, strict=True))[::2]:
            _earlier(number, timedelta(days=1), owner=owner)
        campaign = _with(make_campaign(), *owners)
        plan = campaign_plan.plan(campaign, campaigns.text_of(campaign))
        seen = []
        listen = lambda *args, seen=seen: seen.append(args[2])  # noqa: E731
        sa.event.listen(db.engine, "before_cursor_execute", listen)
        try:
            campaign_plan.measure(plan, chunk=1000)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listen)
        counts.append(sum("crm_sms_conversations.awaiting_since" in s or "crm_sms_messages.kind" in s for s in seen))
        assert campaigns.confirmation(campaign).skipped == {"frequency": size // 2}
    assert counts == [2, 2]  # one for the open conversations, one for the bulk messages
