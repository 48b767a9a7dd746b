"""Campaigns and mass messages: what generating promises (counts, skips, one message a number, re-runs), and after."""

from datetime import UTC, datetime, timedelta

import pytest

from crm_sms.jobs.campaigns import generate as generate_job
from crm_sms.jobs.dispatch import dispatch
from crm_sms.models import Campaign, Message, MessageEvent, Suppression, Template, db, utcnow
from crm_sms.queue import queue
from crm_sms.services import (
    campaign_generation,
    campaign_progress,
    campaigns,
    consent,
    departments,
    mass_messages,
    provider_events,
    settings,
    signatures,
    templates,
)
from crm_sms.services.campaigns import CampaignError
from crm_sms.services.templates import TemplateError
from tests.conftest import add_phone
from tests.fakes.vonage import inbound, receipt

OURS = "+16285550100"


@pytest.fixture
def manager(make_user):
    return make_user("manager", "manager")


@pytest.fixture
def sender(make_sender):
    return make_sender(OURS)


@pytest.fixture
def bulk_signature(app):
    support = departments.save(None, "Support", "+16285550199", "support@example.com")
    signature = signatures.save(None, "Short", support, "Reply STOP to unsubscribe.", default_for_bulk=True)
    db.session.commit()
    return signature


@pytest.fixture
def make_campaign(manager, sender, bulk_signature):
    def make(
        module="contacts", body="Hi {{ contact.first_name }}, our sale starts Monday.", send_at=None, signature=None
    ):
        template = templates.save(None, f"Sale {module}", module, body, manager)
        campaign = campaigns.save(
            None, "Spring sale", send_at or utcnow() + timedelta(hours=1), module, template, sender, signature, manager
        )
        db.session.commit()
        return campaign

    return make


@pytest.fixture
def people(make_contact, opt_in):
    """``people(n)``: n opted-in contacts, each with their own number."""

    def make(n, start=0):
        return [opt_in(make_contact(f"P{i}", "Person", numbers=(f"+1415555{i:04d}",))) for i in range(start, start + n)]

    return make


def _add(campaign, owners):
    campaigns.add_records(campaign, [o.id for o in owners])
    db.session.commit()


def _generate(campaign):
    campaigns.generate(campaign)
    db.session.commit()
    generate_job(campaign.id)
    db.session.expire_all()
    return db.session.get(Campaign, campaign.id)


def _messages(campaign):
    return db.session.scalars(db.select(Message).where(Message.campaign_id == campaign.id).order_by(Message.id)).all()


def test_generation_makes_one_queued_campaign_message_per_recipient_rendered_with_the_bulk_signature(
    make_campaign, people, bulk_signature
):
    campaign = make_campaign()
    _add(campaign, people(2))
    campaign = _generate(campaign)
    sent = _messages(campaign)
    assert [(m.kind, m.status, m.phone_e164, m.send_at, m.signature_id) for m in sent] == [
        ("campaign", "queued", "+14155550000", campaign.send_at, bulk_signature.id),
        ("campaign", "queued", "+14155550001", campaign.send_at, bulk_signature.id),
    ]
    assert sent[0].rendered_body == "Hi P0, our sale starts Monday.\nReply STOP to unsubscribe."
    assert (sent[0].encoding, sent[0].segments) == ("GSM-7", 1)
    assert [[e.status for e in m.events] for m in sent] == [["queued"], ["queued"]]
    assert (campaign.status, campaign.created_count, campaign.processed, campaign.percent) == ("scheduled", 2, 2, 100)


def test_a_campaign_uses_the_signature_it_chose_instead_of_the_bulk_default(make_campaign, people, bulk_signature):
    other = signatures.save(
        None,
        "Chat",
        bulk_signature.department,
        "Need to chat? Call {{ department.phone }}. Email {{ department.email }}. Reply STOP to unsubscribe.",
    )
    campaign = make_campaign(signature=other)
    _add(campaign, people(1))
    [message] = _messages(_generate(campaign))
    assert message.rendered_body.endswith(
        "Need to chat? Call (628) 555-0199. Email support@example.com. Reply STOP to unsubscribe."
    )


def test_generation_schedules_the_dispatch_for_the_dispatch_date(make_campaign, people):
    campaign = make_campaign(send_at=utcnow() + timedelta(hours=2))
    _add(campaign, people(1))
    _generate(campaign)
    scheduled = queue().scheduled_job_registry.get_job_ids()
    assert f"crm_sms-dispatch-{int(campaign.send_at.timestamp())}" in scheduled


def test_confirmation_counts_what_generation_then_does(make_campaign, people, make_contact, opt_in, sender):
    campaign = make_campaign()
    eligible = people(3)
    never_asked = make_contact("Never", "Asked", numbers=("+14155559001",))
    twin = opt_in(make_contact("Twin", "Person", numbers=(eligible[0].phone_numbers[0].e164,)))
    _add(campaign, eligible + [never_asked, twin])
    confirmation = campaigns.confirmation(campaign)
    assert (confirmation.recipients, confirmation.messages, confirmation.skipped) == (
        5,
        3,
        {"not_opted_in": 1, "duplicate": 1},
    )
    assert confirmation.segments == 3 and confirmation.cost == pytest.approx(3 * 0.0079)
    campaign = _generate(campaign)
    assert (campaign.created_count, campaign.skipped) == (3, {"not_opted_in": 1, "duplicate": 1})
    assert len(_messages(campaign)) == 3


def test_confirmation_estimates_segments_of_the_longest_rendered_texts(make_campaign, people):
    campaign = make_campaign(body="{{ contact.first_name }} " + "x" * 150)
    _add(campaign, people(2))
    confirmation = campaigns.confirmation(campaign)
    assert confirmation.segments == 4  # each text is two segments with the signature
    assert confirmation.cost == pytest.approx(4 * 0.0079)


def test_a_recipient_without_an_sms_number_is_skipped_as_no_sms_number(make_campaign, make_contact, phone_types):

    campaign = make_campaign()
    homebody = make_contact("Home", "Body", numbers=())
    add_phone(homebody, "+14155559002", phone_types["Home"])
    db.session.commit()
    _add(campaign, [homebody])
    assert campaigns.confirmation(campaign).skipped == {"no_number": 1}


def test_an_opted_out_or_never_asked_recipient_is_skipped_as_not_opted_in(make_campaign, make_contact, people):
    campaign = make_campaign()
    [out] = people(1)
    consent.opt_out(out, "staff", "tester", notify=False)
    db.session.commit()
    _add(campaign, [out, make_contact("Never", "Asked", numbers=("+14155559003",))])
    assert campaigns.confirmation(campaign).skipped == {"not_opted_in": 2}


def test_a_number_of_a_country_no_longer_allowed_is_skipped(make_campaign, people):
    campaign = make_campaign()
    _add(campaign, people(1))
    from flask import current_app

    current_app.config["CRM_SMS_ALLOWED_REGIONS"] = ("CA",)  # US numbers were allowed when they were stored
    assert campaigns.confirmation(campaign).skipped == {"not_allowed": 1}


def test_a_suppressed_number_is_skipped(make_campaign, people):
    campaign = make_campaign()
    [person] = people(1)
    db.session.add(Suppression(e164=person.phone_numbers[0].e164, source="sms_reply"))
    db.session.commit()
    _add(campaign, [person])
    assert campaigns.confirmation(campaign).skipped == {"suppressed": 1}


@pytest.mark.parametrize("stopped_sender, skipped", [(OURS, {"suppressed": 1}), ("+16285550109", {})])
def test_with_sender_scope_a_stop_skips_only_the_campaigns_of_the_sender_it_stopped(
    make_campaign, people, make_sender, stopped_sender, skipped
):
    make_sender("+16285550109", is_default=False)
    settings.put("opt_out_scope", "sender")
    campaign = make_campaign()
    [person] = people(1)
    provider_events.receive_inbound(
        inbound("STOP", msisdn=person.phone_numbers[0].e164.lstrip("+"), to=stopped_sender.lstrip("+"))
    )
    db.session.commit()
    _add(campaign, [person])
    assert campaigns.confirmation(campaign).skipped == skipped


def test_a_recipient_whose_number_replied_stop_is_skipped_as_suppressed(make_campaign, people):
    campaign = make_campaign()
    [person] = people(1)
    provider_events.receive_inbound(
        inbound("STOP", msisdn=person.phone_numbers[0].e164.lstrip("+"), to=OURS.lstrip("+"))
    )
    db.session.commit()
    _add(campaign, [person])
    assert campaigns.confirmation(campaign).skipped == {"suppressed": 1}


def test_recipients_sharing_a_number_get_one_message_for_it(make_campaign, make_contact, opt_in):
    campaign = make_campaign()
    family = [opt_in(make_contact(name, "Family", numbers=("+14155559100",))) for name in ("Ann", "Bob", "Cid")]
    _add(campaign, family)
    campaign = _generate(campaign)
    assert [m.contact_id for m in _messages(campaign)] == [family[0].id]
    assert campaign.skipped == {"duplicate": 2}


def test_the_database_refuses_a_second_message_for_a_number_in_a_campaign(make_campaign, people):
    from sqlalchemy.exc import IntegrityError

    campaign = make_campaign()
    _add(campaign, people(1))
    [message] = _messages(_generate(campaign))
    copy = {c.key: getattr(message, c.key) for c in Message.__table__.c if c.key != "id"}
    with pytest.raises(IntegrityError):
        db.session.execute(db.insert(Message.__table__), [{**copy, "client_ref": "other"}])
    db.session.rollback()


def test_a_rerun_after_a_partial_run_continues_without_duplicates(make_campaign, people, make_contact, opt_in):
    campaign = make_campaign()
    crowd = people(7)
    twin = opt_in(make_contact("Twin", "Person", numbers=(crowd[0].phone_numbers[0].e164,)))
    _add(campaign, crowd)
    _add(campaign, [twin])  # added last, so it is the duplicate whatever order the database returns the crowd in
    campaigns.generate(campaign)
    db.session.commit()
    run = campaign_generation.generate(campaign.id, campaigns.text_of, chunk=3)
    next(run)  # one chunk committed, then the worker dies
    db.session.commit()
    run.close()
    db.session.expire_all()
    assert (campaign.status, campaign.processed, len(_messages(campaign))) == ("generating", 3, 3)
    generate_job(campaign.id)
    generate_job(campaign.id)  # and once more, for good measure: nothing left to do
    db.session.expire_all()
    assert sorted(m.phone_e164 for m in _messages(campaign)) == sorted(p.phone_numbers[0].e164 for p in crowd)
    assert (campaign.status, campaign.processed, campaign.created_count, campaign.skipped) == (
        "scheduled",
        8,
        7,
        {"duplicate": 1},
    )
    assert db.session.scalar(db.select(db.func.count()).select_from(MessageEvent)) == 7


def test_the_sweep_enqueues_again_a_generation_that_stopped_making_progress(app, make_campaign, people):
    campaign = make_campaign()
    _add(campaign, people(2))
    campaigns.generate(campaign)
    db.session.commit()
    queue().empty()  # Redis lost the job
    assert campaign_generation.resume_generation() == 0  # still fresh: its worker may be busy
    campaign.progress_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    assert campaign_generation.resume_generation() == 1
    assert queue().get_job_ids() == [campaign_generation.job_id(campaign)]


def test_cancel_cancels_the_messages_not_sent_yet(make_campaign, people, provider):
    campaign = make_campaign(send_at=utcnow())
    _add(campaign, people(3))
    campaign = _generate(campaign)
    first = _messages(campaign)[0]
    first.send_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    # Send one (the others are due a moment later), then cancel.
    for other in _messages(campaign)[1:]:
        other.send_at = utcnow() + timedelta(hours=1)
    db.session.commit()
    dispatch()
    assert campaigns.cancel(campaign) == 2
    db.session.commit()
    db.session.expire_all()
    assert [m.status for m in _messages(campaign)] == ["sent", "canceled", "canceled"]
    assert _messages(campaign)[1].reject_reason == "Campaign canceled"
    assert campaign.status == "canceled"


def test_a_generation_under_way_stops_when_the_campaign_is_canceled(make_campaign, people):
    campaign = make_campaign()
    _add(campaign, people(4))
    campaigns.generate(campaign)
    db.session.commit()
    run = campaign_generation.generate(campaign.id, campaigns.text_of, chunk=2)
    next(run)
    db.session.commit()
    campaigns.cancel(campaign)
    db.session.commit()
    assert list(run) == []  # the next chunk finds it canceled and writes nothing
    db.session.rollback()
    assert [m.status for m in _messages(campaign)] == ["canceled", "canceled"]


def test_a_completed_campaign_cannot_be_canceled(make_campaign, people):
    campaign = make_campaign()
    campaign.status = "completed"
    with pytest.raises(CampaignError, match="completed: there is nothing to cancel"):
        campaigns.cancel(campaign)


@pytest.mark.parametrize("status", ["generating", "scheduled", "sending", "completed", "canceled"])
def test_only_a_draft_can_be_edited(make_campaign, people, status, manager, sender):
    campaign = make_campaign()
    campaign.status = status
    db.session.commit()
    with pytest.raises(CampaignError, match="Only a draft can be changed"):
        campaigns.save(campaign, "Renamed", campaign.send_at, "contacts", campaign.template, sender, None, manager)
    with pytest.raises(CampaignError, match="Only a draft can be changed"):
        campaigns.add_records(campaign, [p.id for p in people(1)])
    with pytest.raises(CampaignError, match="Only a draft can be changed"):
        campaigns.remove_recipients(campaign)
    db.session.rollback()
    assert campaign.name == "Spring sale"


def test_a_campaign_without_recipients_cannot_be_generated(make_campaign):
    with pytest.raises(CampaignError, match="no recipients") as refused:
        campaigns.generate(make_campaign())
    assert refused.value.field == "recipients"


def test_a_template_of_the_other_module_is_refused(make_campaign, manager, sender):
    account_template = templates.save(None, "Invoice", "accounts", "Your invoice, {{ account.name }}", manager)
    with pytest.raises(CampaignError, match="template written for contacts") as refused:
        campaigns.save(None, "X", utcnow() + timedelta(hours=1), "contacts", account_template, sender, None, manager)
    assert refused.value.field == "template"


def test_recipients_are_added_by_a_filter_once_and_removed(make_campaign, make_contact, make_account):
    campaign = make_campaign()
    acme = make_account("Acme", type="Partner")
    boston = [make_contact(f"B{i}", "Boston", numbers=(f"+1415555{i:04d}",), city="Boston") for i in range(3)]
    partner = make_contact("P", "Partner", numbers=("+14155559999",), city="Denver", account=acme)
    assert campaigns.add_matching(campaign, city="boston") == 3
    assert campaigns.add_matching(campaign, city="Boston") == 0
    assert campaigns.add_matching(campaign, type="Partner") == 1
    assert campaigns.recipient_count(campaign) == 4
    first = db.session.scalars(campaigns.recipients(campaign)).first()
    assert first.contact == boston[0]
    assert campaigns.remove_recipients(campaign, [first.id]) == 1
    assert campaigns.recipient_count(campaign) == 3
    assert partner in [r.contact for r in db.session.scalars(campaigns.recipients(campaign))]


def test_status_moves_from_scheduled_to_sending_to_completed_with_its_messages(make_campaign, people, provider):
    campaign = make_campaign(send_at=utcnow() + timedelta(seconds=30))
    _add(campaign, people(2))
    campaign = _generate(campaign)
    assert campaign_progress.settle(campaign) == "scheduled"
    assert campaign_progress.settle(campaign, now=utcnow() + timedelta(minutes=1)) == "sending"
    for message in _messages(campaign):
        message.send_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    dispatch()
    assert campaign_progress.settle(campaign) == "sending"  # sent, not delivered yet
    for message in _messages(campaign):
        provider_events.receive_receipt(
            receipt(
                message.provider_id,
                msisdn=message.phone_e164.lstrip("+"),
                to=OURS.lstrip("+"),
                client_ref=message.client_ref,
            )
        )
    db.session.commit()
    assert campaign_progress.totals(campaign)["delivered"] == 2
    assert campaign_progress.settle_campaigns() == 1
    assert campaign.status == "completed"


def test_a_campaign_that_made_no_message_is_completed_at_once(make_campaign, make_contact):
    campaign = make_campaign()
    _add(campaign, [make_contact("Never", "Asked")])
    assert _generate(campaign).status == "completed"


def test_stop_while_the_campaign_sends_stops_its_messages_to_that_number(make_campaign, people, provider):
    campaign = make_campaign(send_at=utcnow())
    stays, leaves = people(2)
    _add(campaign, [stays, leaves])
    campaign = _generate(campaign)
    provider_events.receive_inbound(
        inbound("STOP", msisdn=leaves.phone_numbers[0].e164.lstrip("+"), to=OURS.lstrip("+"))
    )
    db.session.commit()
    dispatch()
    assert [sms.to for sms in provider.sent if "sale" in sms.text] == [stays.phone_numbers[0].e164]
    assert campaign_progress.totals(campaign)["opted_out"] == 1
    assert campaign_progress.totals(campaign)["canceled"] == 0


def test_a_number_suppressed_after_generation_is_refused_when_claimed(make_campaign, people, provider):
    campaign = make_campaign(send_at=utcnow())
    stays, leaves = people(2)
    _add(campaign, [stays, leaves])
    campaign = _generate(campaign)
    # The STOP landed without canceling the queued message (a race): the claim still refuses it.
    db.session.add(Suppression(e164=leaves.phone_numbers[0].e164, source="sms_reply"))
    db.session.commit()
    dispatch()
    assert [sms.to for sms in provider.sent] == [stays.phone_numbers[0].e164]
    assert campaign_progress.totals(campaign)["opted_out"] == 1


def test_the_saved_mass_messages_are_locked_account_templates_made_once(app):
    first = mass_messages.ensure_saved_messages()
    again = mass_messages.ensure_saved_messages()
    assert first == again
    assert [(t.name, t.module, t.locked) for t in first] == [
        ("Planned outage", "accounts", True),
        ("Unplanned outage", "accounts", True),
        ("Unplanned outage (no restoration ETA)", "accounts", True),
    ]


def test_a_manager_cannot_edit_or_delete_a_saved_mass_message(app, manager):
    planned = mass_messages.ensure_saved_messages()[0]
    db.session.commit()
    with pytest.raises(TemplateError, match="is locked"):
        templates.save(planned, "Mine now", "accounts", "Hello", manager)
    with pytest.raises(TemplateError, match="is locked"):
        templates.delete(planned)
    db.session.expire_all()
    assert db.session.get(Template, planned.id).body == mass_messages.SAVED_MESSAGES[0].body


def test_a_mass_message_fills_its_outage_fields_for_the_accounts_of_the_filter(
    app, manager, sender, make_account, opt_in, bulk_signature
):
    from crm_sms.services import settings

    settings.put("time_zone", "America/New_York")
    planned = mass_messages.ensure_saved_messages()[0]
    north = opt_in(make_account("North Fiber", numbers=("+12125550101",), type="Customer", city="Albany"))
    opt_in(make_account("South Fiber", numbers=("+12125550102",), type="Customer", city="Miami"))
    start = datetime(2030, 11, 24, 19, 0, tzinfo=UTC)
    campaign = mass_messages.create(
        planned,
        {"outage.start": start, "outage.end": start + timedelta(hours=3)},
        sender,
        None,
        None,
        manager,
        type="Customer",
        city="Albany",
    )
    db.session.commit()
    assert (campaign.source, campaign.module, campaign.name) == ("mass", "accounts", "Planned outage · Nov 24, 2:00 PM")
    assert campaigns.confirmation(campaign).messages == 1
    [message] = _messages(_generate(campaign))
    assert message.account_id == north.id
    assert message.body == (
        "Planned maintenance: service for {{ account.name }} will be down from Nov 24, 2:00 PM "
        "to Nov 24, 5:00 PM. Sorry for the inconvenience."
    )
    assert message.rendered_body.startswith("Planned maintenance: service for North Fiber will be down from Nov 24")


def test_a_mass_message_needs_its_outage_times_in_order(app, manager, sender, make_account):
    planned, _, no_eta = mass_messages.ensure_saved_messages()
    make_account("North Fiber", type="Customer")
    start = utcnow()
    with pytest.raises(CampaignError, match="outage end must be after its start") as refused:
        mass_messages.create(
            planned, {"outage.start": start, "outage.end": start}, sender, None, None, manager, type="Customer"
        )
    assert refused.value.field == "outage_end"
    with pytest.raises(CampaignError, match="Enter the outage start"):
        mass_messages.create(no_eta, {}, sender, None, None, manager, type="Customer")
    assert mass_messages.create(no_eta, {"outage.start": start}, sender, None, None, manager, type="Customer").fields


def test_a_mass_message_filter_must_match_an_account(app, manager, sender):
    planned = mass_messages.ensure_saved_messages()[0]
    start = utcnow()
    with pytest.raises(CampaignError, match="No account matches"):
        mass_messages.create(
            planned,
            {"outage.start": start, "outage.end": start + timedelta(hours=1)},
            sender,
            None,
            None,
            manager,
            city="Atlantis",
        )


def test_a_contact_shows_the_campaigns_it_was_part_of(make_campaign, people):
    campaign = make_campaign()
    [person] = people(1)
    _add(campaign, [person])
    assert campaigns.for_record(person) == [(campaign, None, None)]
    campaign = _generate(campaign)
    [(_, message, _)] = campaigns.for_record(person)
    assert message.status == "queued"


def test_the_timeline_counts_messages_by_status_over_time(make_campaign, people):
    campaign = make_campaign()
    _add(campaign, people(3))
    campaign = _generate(campaign)
    points = campaign_progress.timeline(campaign, points=4)
    assert len(points) == 4
    assert points[-1][1]["queued"] == 3


def test_generation_refuses_a_sender_that_is_another_users_own_line(
    make_campaign, people, make_sender, make_user, manager
):
    campaign = make_campaign()
    _add(campaign, people(1))
    campaign.sender = make_sender("+16285550111", user=make_user("grace", "agent"))
    db.session.commit()

    for attempt in (lambda: campaigns.confirmation(campaign, manager), lambda: campaigns.generate(campaign, manager)):
        with pytest.raises(CampaignError, match="another user's own line") as refused:
            attempt()
        assert refused.value.field == "sender"
    assert campaign.status == "draft" and queue().count == 0


def test_saving_refuses_another_users_own_line_but_not_ones_own(make_campaign, make_sender, make_user, manager):
    campaign = make_campaign()
    agents = make_sender("+16285550111", user=make_user("grace", "agent"))
    with pytest.raises(CampaignError, match="another user's own line"):
        campaigns.save(campaign, campaign.name, campaign.send_at, "contacts", campaign.template, agents, None, manager)
    own = make_sender("+16285550112", user=manager)
    assert (
        campaigns.save(
            campaign, campaign.name, campaign.send_at, "contacts", campaign.template, own, None, manager
        ).sender
        == own
    )
