"""No message goes out with a blank: the business name and a way to reach it are set, and no variable is empty."""

import re
from datetime import timedelta

import pytest

from crm_sms.jobs.campaigns import generate as generate_job
from crm_sms.jobs.dispatch import dispatch
from crm_sms.models import Campaign, Message, MessageEvent, TriggerFire, db, utcnow
from crm_sms.services import (
    campaigns,
    messages,
    notices,
    provider_events,
    readiness,
    rendering,
    settings,
    templates,
    triggers,
)
from crm_sms.services.campaigns import CampaignError
from crm_sms.services.messages import MessageError
from tests.fakes.vonage import inbound

THEM = "+14155550101"
OURS = "+16285550100"
SETUP = "Set the business name and a support phone or email in SMS settings before sending"


@pytest.fixture
def sender(make_sender):
    return make_sender(OURS)


@pytest.fixture
def agent(make_user):
    return make_user("agent", "agent")


@pytest.fixture
def manager(make_user):
    return make_user("manager", "manager")


@pytest.fixture
def ada(make_contact, opt_in):
    return opt_in(make_contact("Ada", "Lovelace", numbers=(THEM,)))


def _set(**values):
    for key, value in values.items():
        settings.put(key, value)
    db.session.commit()


def _reply(text):
    provider_events.receive_inbound(inbound(text, msisdn=THEM.lstrip("+"), to=OURS.lstrip("+")))
    db.session.commit()


def _automatic():
    return db.session.scalars(db.select(Message).where(Message.kind == "automatic").order_by(Message.id)).all()


def _reads_with_a_blank(text):
    """The marks of a variable filled with nothing: "call  or", "email .", "for ." """
    return bool(re.search(r"\s\s|\s[.,:;!?]|\(\s*\)", text))


# The answer to HELP


def test_the_default_help_answer_is_ctia_complete_with_a_phone_and_an_email(ada, sender, provider):
    _set(business_name="Lovelace Analytics", support_phone="(415) 555-0100", support_email="help@lovelace.example")
    _reply("HELP")
    dispatch()
    [sms] = provider.sent
    assert sms.text == (
        "Lovelace Analytics: for help, contact (415) 555-0100 or help@lovelace.example. Msg & data rates may apply. "
        "Reply STOP to unsubscribe."
    )


@pytest.mark.parametrize(
    "phone, email, contact",
    [("(415) 555-0100", "", "(415) 555-0100"), ("", "help@lovelace.example", "help@lovelace.example")],
    ids=["phone only", "email only"],
)
def test_the_default_help_answer_reads_well_with_only_a_phone_or_only_an_email(
    ada, sender, provider, phone, email, contact
):
    _set(business_name="Lovelace Analytics", support_phone=phone, support_email=email)
    _reply("help")
    dispatch()
    [sms] = provider.sent
    assert sms.text == (
        f"Lovelace Analytics: for help, contact {contact}. Msg & data rates may apply. Reply STOP to unsubscribe."
    )
    assert not _reads_with_a_blank(sms.text)


def test_on_a_fresh_install_help_is_not_answered_with_blanks_and_the_failed_answer_says_why(ada, sender, provider):
    _reply("HELP")
    dispatch()
    assert provider.sent == []
    [answer] = _automatic()
    assert answer.status == "failed"
    assert answer.reject_reason == "Set a support phone or email in SMS settings before sending"
    asked = db.session.scalar(db.select(Message.id).where(Message.direction == "inbound"))
    event = db.session.scalar(db.select(MessageEvent).where(MessageEvent.message_id == answer.id))
    assert (event.status, event.note) == (
        "failed",
        f"automatic: notice_help after #{asked}; not sent: Set a support phone or email in SMS settings before sending",
    )


def test_without_a_support_contact_an_opt_out_is_still_confirmed(ada, sender, provider):
    _reply("STOP")
    dispatch()
    [sms] = provider.sent
    assert sms.text.startswith("Our business: you are unsubscribed")


def test_a_help_text_quoting_the_empty_support_phone_is_not_sent(ada, sender, provider):
    _set(support_email="help@lovelace.example", notice_help="{{ business_name }}: call {{ support_phone }}.")
    _reply("HELP")
    dispatch()
    assert provider.sent == []
    [answer] = _automatic()
    assert answer.reject_reason == (
        "This automatic text quotes {{ support_phone }}, which is empty: set it in SMS settings"
    )


def test_a_consent_request_without_an_employee_name_names_the_business(app):
    _set(business_name="Lovelace Analytics")
    assert notices.text("notice_request_mo", employee_name=" ").startswith(
        "[Auto Message] You are trying to reach Lovelace Analytics."
    )


# A blank business name stops every message


@pytest.fixture
def nameless(app):
    _set(business_name="  ", support_phone="(415) 555-0100")


def test_without_a_business_name_a_message_to_a_contact_is_refused_naming_what_to_set(ada, agent, sender, nameless):
    with pytest.raises(MessageError, match="Set the business name in SMS settings before sending") as error:
        messages.compose(ada, ada.phone_numbers[0], sender, "Hello", agent)
    assert error.value.field == "body"
    assert db.session.scalar(db.select(db.func.count(Message.id))) == 0


def test_without_a_business_name_a_draft_may_be_saved_but_not_sent(ada, agent, sender, app):
    draft = messages.compose(ada, ada.phone_numbers[0], sender, "Hello", agent, draft=True)
    db.session.commit()
    _set(business_name="")
    with pytest.raises(MessageError, match="Set the business name"):
        messages.send_draft(draft, agent)
    assert draft.status == "draft"


def test_without_a_business_name_an_automatic_message_is_kept_failed_with_the_reason(ada, sender, provider, nameless):
    _reply("STOP")
    dispatch()
    assert provider.sent == []
    [confirmation] = _automatic()
    assert (confirmation.status, confirmation.reject_reason) == (
        "failed",
        "Set the business name in SMS settings before sending",
    )


def test_a_message_queued_before_the_business_name_was_blanked_fails_at_dispatch_saying_why(
    ada, agent, sender, provider
):
    message = messages.compose(ada, ada.phone_numbers[0], sender, "Hello", agent)
    db.session.commit()
    _set(business_name="", support_phone="", support_email="")
    dispatch()
    db.session.refresh(message)
    assert provider.sent == []
    assert (message.status, message.reject_reason) == ("failed", "Set the business name in SMS settings before sending")


def test_without_a_business_name_a_campaign_is_refused_at_confirmation(manager, sender, ada, nameless):
    template = templates.save(None, "Sale", "contacts", "Our sale starts Monday.", manager)
    campaign = campaigns.save(None, "Sale", utcnow() + timedelta(hours=1), "contacts", template, sender, None, manager)
    campaigns.add_records(campaign, [ada.id])
    with pytest.raises(CampaignError, match="Set the business name in SMS settings before sending"):
        campaigns.confirmation(campaign)
    with pytest.raises(CampaignError, match="Set the business name"):
        campaigns.generate(campaign)
    assert campaign.status == "draft"


def test_without_a_business_name_a_trigger_makes_no_message_and_keeps_the_reason(manager, sender, ada, nameless):
    template = templates.save(None, "Paid", "contacts", "We got your payment.", manager)
    triggers.save(None, "payment.received", "contacts", template)
    fired = triggers.fire("payment.received", contact=ada, key="p1")
    assert fired.message is None
    assert fired.reason == "Set the business name in SMS settings before sending"
    assert db.session.scalar(db.select(TriggerFire.reason)) == fired.reason


# Empty variables


def test_a_variable_empty_for_the_contact_is_refused_naming_it(make_contact, opt_in, agent, sender):
    nobody = opt_in(make_contact("Ada", "", numbers=(THEM,)))
    with pytest.raises(MessageError) as error:
        messages.compose(nobody, nobody.phone_numbers[0], sender, "Dear {{ contact.last_name }}, hello.", agent)
    assert error.value.field == "body"
    assert str(error.value) == (
        "{{ contact.last_name }} is empty for this contact: fill it in, or take it out of the message."
    )


def test_a_campaign_skips_recipients_whose_text_would_have_an_empty_variable_and_counts_them(
    make_contact, make_account, opt_in, manager, sender
):
    with_account = opt_in(make_contact("Ada", "L", numbers=(THEM,), account=make_account("Acme")))
    without = opt_in(make_contact("Bob", "M", numbers=("+14155550102",)))
    template = templates.save(None, "Sale", "contacts", "20% off for {{ account.name }}.", manager)
    campaign = campaigns.save(None, "Sale", utcnow() + timedelta(hours=1), "contacts", template, sender, None, manager)
    campaigns.add_records(campaign, [with_account.id, without.id])
    db.session.commit()

    confirmation = campaigns.confirmation(campaign)
    campaigns.generate(campaign)
    db.session.commit()
    generate_job(campaign.id)
    db.session.expire_all()

    assert (confirmation.messages, confirmation.skipped) == (1, {"empty_variable": 1})
    assert db.session.get(Campaign, campaign.id).skipped == {"empty_variable": 1}
    [sent] = db.session.scalars(db.select(Message).where(Message.campaign_id == campaign.id)).all()
    assert (sent.phone_e164, sent.rendered_body.splitlines()[0]) == (THEM, "20% off for Acme.")


def test_a_field_emptied_after_queueing_fails_the_message_at_dispatch_naming_it(
    make_contact, opt_in, agent, sender, provider
):
    from crm_sms.crm.models import Contact

    ada = opt_in(make_contact("Ada", "Lovelace", numbers=(THEM,)))
    message = messages.compose(ada, ada.phone_numbers[0], sender, "Dear {{ contact.last_name }}.", agent)
    db.session.commit()
    db.session.execute(db.update(Contact).values(last_name=""))
    db.session.commit()
    dispatch()
    db.session.refresh(message)
    assert provider.sent == []
    assert message.status == "failed"
    assert message.reject_reason.startswith("{{ contact.last_name }} is empty for this contact")


def test_fill_in_refuses_an_empty_value_when_asked_naming_the_variable():
    values = {"business_name": "Acme", "contact": {"first_name": "  "}}
    assert rendering.fill_in("Hi {{ contact.first_name }}", values) == "Hi   "
    with pytest.raises(rendering.EmptyValue, match=r"\{\{ contact.first_name \}\} is empty"):
        rendering.fill_in("{{ business_name }}: hi {{ contact.first_name }}", values, blank=False)


# What the settings say


def test_missing_lists_the_business_name_and_the_support_contact(app):
    _set(business_name="", support_phone="", support_email=" ")
    assert readiness.missing() == [readiness.BUSINESS_NAME, readiness.SUPPORT_CONTACT]
    assert readiness.problem(contact=True) == SETUP
    _set(business_name="Acme", support_email="help@acme.example")
    assert readiness.missing() == []
