"""Conversations (seed 003): owners and subscribers, alerts, the unanswered pool, and the managers' report."""

from datetime import timedelta

import pytest

from crm_sms.models import Conversation, ConversationEvent, Message, Notification, Subscription, db, utcnow
from crm_sms.queue import queue
from crm_sms.services import (
    conversation_report,
    conversations,
    inbox,
    messages,
    provider_events,
    settings,
    unknown_numbers,
)
from crm_sms.services.conversations import ConversationError
from tests.fakes.vonage import inbound

NUMBER = "+14155550101"
OURS = "+16285550100"


@pytest.fixture
def ada(make_contact, opt_in):
    return opt_in(make_contact("Ada", "Lovelace", numbers=(NUMBER,)))


@pytest.fixture
def sender(make_sender):
    return make_sender(OURS)


@pytest.fixture
def grace(make_user):
    return make_user("grace", "agent")


@pytest.fixture
def alan(make_user):
    return make_user("alan", "agent")


def text(owner, author, sender, body="Hello from us"):
    message = messages.compose(owner, owner.phone_numbers[0], sender, body, author)
    db.session.commit()
    return message


def receive(body="Hi, a question", number=NUMBER, to=OURS):
    message = provider_events.receive_inbound(inbound(body, msisdn=number.lstrip("+"), to=to.lstrip("+")))
    db.session.commit()
    return message


def the_conversation():
    return db.session.scalar(db.select(Conversation))


def alerts(user):
    return db.session.scalars(
        db.select(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ).all()


def events(conversation):
    return [(e.kind, e.user.name if e.user else None) for e in conversations.history(conversation)]


def test_the_first_user_to_text_a_contact_owns_the_conversation(ada, sender, grace):
    text(ada, grace, sender)

    conversation = the_conversation()
    assert (conversation.phone_e164, conversation.sender_e164) == (NUMBER, OURS)
    assert conversation.owner == grace and conversation.contact == ada
    assert not conversation.unanswered and conversation.pooled_at is None
    assert events(conversation) == [("opened", None), ("owned", "grace")]


def test_another_user_who_texts_in_it_becomes_a_subscriber(ada, sender, grace, alan):
    text(ada, grace, sender)
    text(ada, alan, sender, "Adding a note")

    conversation = the_conversation()
    assert conversation.owner == grace
    assert conversations.followers(conversation) == [alan]
    assert ("subscribed", "alan") in events(conversation)


def test_one_conversation_per_contact_number_and_sender_number(ada, sender, grace, make_sender):
    other = make_sender("+16285550109", is_default=False)
    text(ada, grace, sender)
    text(ada, grace, sender)
    text(ada, grace, other)

    assert {(c.phone_e164, c.sender_e164) for c in db.session.scalars(db.select(Conversation))} == {
        (NUMBER, OURS),
        (NUMBER, other.e164),
    }


def test_an_inbound_message_alerts_the_owner_and_every_subscriber(ada, sender, grace, alan, make_user):
    make_user("nobody", "agent")
    text(ada, grace, sender)
    text(ada, alan, sender)
    assert [a.message.author for a in alerts(grace)] == [alan]  # a colleague's message alerts the others
    inbox.mark_all_read(grace)

    message = receive("Is it ready?")

    assert [a.message for a in alerts(grace)] == [message]
    assert [a.message for a in alerts(alan)] == [message]
    assert inbox.counts(grace)["alerts"] == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(Notification)) == 3  # nobody else


def test_reading_a_conversation_clears_its_alerts(ada, sender, grace):
    text(ada, grace, sender)
    receive()
    conversation = the_conversation()
    assert inbox.unread(grace) == {conversation.id: 1}

    inbox.mark_read(conversation, grace)

    assert inbox.unread(grace) == {}
    assert inbox.counts(grace)["alerts"] == 0


def test_an_inbound_message_leaves_the_conversation_unanswered_and_a_reply_answers_it(ada, sender, grace):
    text(ada, grace, sender)
    receive()
    conversation = the_conversation()
    assert conversation.unanswered and conversation.due_at is not None

    messages.reply(conversation, "Yes, it is", grace)
    db.session.commit()

    assert not conversation.unanswered and conversation.due_at is None
    (answered,) = db.session.scalars(db.select(ConversationEvent).where(ConversationEvent.kind == "answered")).all()
    assert answered.user == grace and answered.seconds >= 0


def test_the_public_minutes_clock_is_an_rq_job_scheduled_at_arrival(ada, sender, grace):
    settings.put("public_minutes", 5)
    text(ada, grace, sender)
    before = utcnow()
    receive()

    conversation = the_conversation()
    assert timedelta(minutes=5) <= conversation.due_at - before < timedelta(minutes=5, seconds=5)
    scheduled = queue().scheduled_job_registry.get_job_ids()
    assert f"crm_sms-release-{conversation.id}-{int(conversation.due_at.timestamp())}" in scheduled


def test_unanswered_past_the_public_minutes_goes_to_the_pool(ada, sender, grace):
    text(ada, grace, sender)
    receive()
    conversation = the_conversation()
    due = conversation.due_at

    assert conversations.release(now=due - timedelta(seconds=1)) == 0
    assert conversations.release(now=due) == 1
    db.session.commit()

    db.session.refresh(conversation)
    assert conversation.pooled_at is not None and conversation.owner == grace
    assert events(conversation)[-1] == ("pooled", "grace")  # counted against the owner who let it wait
    assert conversations.release(now=due + timedelta(hours=1)) == 0  # once


def test_answering_in_time_keeps_it_out_of_the_pool(ada, sender, grace):
    text(ada, grace, sender)
    receive()
    conversation = the_conversation()
    due = conversation.due_at
    messages.reply(conversation, "On it", grace)
    db.session.commit()

    assert conversations.release(now=due + timedelta(minutes=1)) == 0
    assert the_conversation().pooled_at is None


def test_the_sweep_releases_what_the_scheduled_job_missed(ada, sender, grace, app):
    settings.put("public_minutes", 0.01)
    text(ada, grace, sender)
    receive()
    app.extensions["crm_sms"].redis.flushdb()  # the scheduled job is lost
    conversation = the_conversation()
    db.session.execute(db.update(Conversation).values(due_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()

    from crm_sms.jobs.sweep import sweep

    assert sweep()["crm_sms.services.conversations.release_due"] == 1
    db.session.refresh(conversation)
    assert conversation.pooled_at is not None


def test_the_first_agent_who_answers_a_pooled_conversation_owns_it_and_the_owner_stays_subscribed(
    ada, sender, grace, alan
):
    text(ada, grace, sender)
    receive()
    conversation = the_conversation()
    conversations.release(now=conversation.due_at)
    db.session.commit()

    messages.reply(conversation, "I can help", alan)
    db.session.commit()

    assert conversation.owner == alan and conversation.pooled_at is None and not conversation.unanswered
    assert conversations.followers(conversation) == [grace]
    assert events(conversation)[-2:] == [("taken", "alan"), ("answered", "alan")]


def test_taking_a_pooled_conversation_starts_a_new_public_minutes_clock(ada, sender, grace, alan):
    text(ada, grace, sender)
    receive()
    conversation = the_conversation()
    conversations.release(now=conversation.due_at)
    db.session.commit()
    db.session.refresh(conversation)

    conversations.take(conversation, alan)
    db.session.commit()

    assert conversation.owner == alan and conversation.pooled_at is None and conversation.unanswered
    assert conversation.due_at > utcnow() + timedelta(minutes=19)
    with pytest.raises(ConversationError, match="not in the pool any more"):
        conversations.take(conversation, grace)


def test_a_message_from_an_unknown_number_opens_a_conversation_in_the_pool(sender):
    receive("Who is this?", number="+14155550177")

    conversation = the_conversation()
    assert conversation.record is None and conversation.owner is None
    assert conversation.pooled_at is not None and conversation.unanswered
    assert conversation.title == "+14155550177"


def test_a_contact_made_from_an_unknown_number_gets_its_messages(sender, phone_types, grace):
    message = receive("Who is this?", number="+14155550177")
    conversation = the_conversation()

    contact = unknown_numbers.create_contact(conversation, "Mary", "Shelley", phone_types["Mobile"].id)
    db.session.commit()

    assert conversation.contact == contact and conversation.title == "Mary Shelley"
    assert db.session.get(Message, message.id).contact == contact
    assert [p.e164 for p in contact.phone_numbers] == ["+14155550177"]


def test_replying_to_an_unknown_number_asks_for_a_contact_first(sender, grace):
    receive(number="+14155550177")

    with pytest.raises(messages.MessageError, match="create one to reply"):
        messages.reply(the_conversation(), "Hello", grace)
    assert db.session.scalar(db.select(db.func.count()).select_from(Message)) == 1


def test_a_reply_goes_from_the_conversations_number_even_if_it_is_a_colleagues_line(ada, make_sender, grace, alan):
    line = make_sender("+16285550101", user=grace)
    text(ada, grace, line)
    receive(to=line.e164)
    conversations.join(the_conversation(), alan)

    message = messages.reply(the_conversation(), "Covering for Grace", alan)

    assert message.sender_e164 == line.e164


def test_a_colleague_who_may_not_read_the_conversation_cannot_reply_from_its_owners_line(ada, make_sender, grace, alan):
    line = make_sender("+16285550101", user=grace)
    text(ada, grace, line)
    receive(to=line.e164)

    with pytest.raises(messages.MessageError, match="Choose a number you may send from"):
        messages.reply(the_conversation(), "Covering for Grace", alan)


def test_a_reply_is_refused_as_on_the_contacts_page(ada, sender, grace):
    text(ada, grace, sender)

    with pytest.raises(messages.MessageError, match="Unknown variable"):
        messages.reply(the_conversation(), "Hi {{ contact.nickname }}", grace)


def test_stop_shows_in_the_conversation_but_waits_for_no_answer(ada, sender, grace):
    text(ada, grace, sender)
    inbox.mark_all_read(grace)

    receive("STOP")

    conversation = the_conversation()
    assert not conversation.unanswered and conversation.due_at is None
    assert alerts(grace) == []
    assert [m.text for m in messages.thread(conversation)][1] == "STOP"


def test_join_and_leave(ada, sender, grace, alan):
    text(ada, grace, sender)
    conversation = the_conversation()

    conversations.join(conversation, alan)
    assert conversations.followers(conversation) == [alan]
    conversations.leave(conversation, alan)
    assert conversations.followers(conversation) == []
    with pytest.raises(ConversationError):
        conversations.leave(conversation, alan)
    with pytest.raises(ConversationError):
        conversations.join(conversation, grace)


def test_an_owner_who_leaves_releases_the_conversation_to_the_pool(ada, sender, grace):
    text(ada, grace, sender)
    conversation = the_conversation()

    conversations.leave(conversation, grace)

    assert conversation.owner_id is None and conversation.pooled_at is not None


def test_who_can_read_a_conversation(ada, sender, grace, alan, make_user):
    manager = make_user("maggie", "manager")
    text(ada, grace, sender)
    conversation = the_conversation()

    assert conversations.can_read(grace, conversation)
    assert not conversations.can_read(alan, conversation)
    assert conversations.can_read(manager, conversation)
    db.session.add(Subscription(conversation=conversation, user=alan))
    assert conversations.can_read(alan, conversation)


def test_the_inbox_tabs(ada, make_contact, opt_in, sender, grace, alan):
    bob = opt_in(make_contact("Bob", "Babbage", numbers=("+14155550102",)))
    text(ada, grace, sender)
    text(bob, alan, sender)
    text(bob, grace, sender)
    receive("Anyone?", number="+14155550177")

    def titles(user, tab, query=None):
        return [c.title for c in db.session.scalars(inbox.conversations(user, tab, query))]

    assert titles(grace, "mine") == ["Ada Lovelace"]
    assert titles(grace, "subscribed") == ["Bob Babbage"]
    assert titles(grace, "pool") == ["+14155550177"]
    assert titles(alan, "mine") == ["Bob Babbage"]
    assert titles(grace, "pool", "0177") == ["+14155550177"]
    with pytest.raises(PermissionError):
        titles(grace, "all")


def test_the_inbox_search_finds_names_and_numbers(ada, make_contact, opt_in, sender, grace, make_user):
    manager = make_user("maggie", "manager")
    bob = opt_in(make_contact("Bob", "Babbage", numbers=("+14155550102",)))
    text(ada, grace, sender)
    text(bob, grace, sender)

    def titles(query):
        return [c.title for c in db.session.scalars(inbox.conversations(manager, "all", query))]

    assert titles("lovelace") == ["Ada Lovelace"]
    assert titles("Babbage Bob") == ["Bob Babbage"]
    assert titles("(415) 555-0102") == ["Bob Babbage"]
    assert titles("nobody") == []


def test_the_report_counts_answers_and_misses_per_agent_with_the_median_response(
    ada, make_contact, opt_in, sender, grace, alan
):
    start = utcnow() - timedelta(hours=1)
    text(ada, grace, sender)
    conversation = the_conversation()
    for minutes in (2, 4, 9):
        receive()
        db.session.execute(db.update(Conversation).values(awaiting_since=utcnow() - timedelta(minutes=minutes)))
        db.session.expire_all()
        messages.reply(conversation, "Answer", grace)
        db.session.commit()
    receive()
    conversations.release(now=the_conversation().due_at)
    db.session.commit()

    report = conversation_report.report(start, utcnow() + timedelta(hours=1))

    (line,) = report["lines"]
    assert (line["name"], line["answered"], line["unanswered"]) == ("grace", 3, 1)
    assert 4 * 60 <= line["median_seconds"] < 4 * 60 + 5
    assert (report["total"]["answered"], report["total"]["unanswered"], report["waiting"]) == (3, 1, 1)
    assert conversation_report.report(start - timedelta(days=2), start)["total"]["answered"] == 0


def test_a_release_job_run_early_schedules_itself_again(ada, sender, grace):
    text(ada, grace, sender)
    receive()
    conversation = the_conversation()
    due = conversation.due_at
    queue().scheduled_job_registry.remove(f"crm_sms-release-{conversation.id}-{int(due.timestamp())}", delete_job=True)

    assert conversations.release_when_due(conversation.id, now=due - timedelta(seconds=0.5)) == 0
    db.session.commit()

    again = f"crm_sms-release-{conversation.id}-{int(due.timestamp())}-again"
    assert again in queue().scheduled_job_registry.get_job_ids()
    assert conversations.release_when_due(conversation.id, now=due) == 1


def test_a_scheduled_reply_answers_nothing_until_it_goes(ada, sender, grace):
    text(ada, grace, sender)
    receive()
    conversation = the_conversation()

    messages.compose(ada, ada.phone_numbers[0], sender, "Tomorrow", grace, send_at=utcnow() + timedelta(days=1))
    db.session.commit()

    assert conversation.unanswered and conversation.due_at is not None


def test_stop_ends_the_wait_for_an_answer(ada, sender, grace):
    text(ada, grace, sender)
    receive("Hello?")
    receive("STOP")

    conversation = the_conversation()
    assert not conversation.unanswered and conversation.due_at is None


def test_drafts_are_not_in_the_thread(ada, sender, grace):
    text(ada, grace, sender, "Sent")
    messages.compose(ada, ada.phone_numbers[0], sender, "Unfinished thought", grace, draft=True)
    db.session.commit()

    assert [m.text for m in messages.thread(the_conversation())] == ["Sent"]


def test_an_owner_leaving_or_an_unknown_number_is_not_an_unanswered_miss_in_the_report(ada, sender, grace):
    start = utcnow() - timedelta(minutes=1)
    text(ada, grace, sender)
    conversations.leave(the_conversation(), grace)
    receive("Who is this?", number="+14155550177")

    report = conversation_report.report(start, utcnow() + timedelta(minutes=1))

    assert report["total"]["unanswered"] == 0


def test_a_release_after_a_reply_committed_elsewhere_does_not_pool_it(ada, sender, grace, make_app):
    text(ada, grace, sender)
    receive()
    conversation = the_conversation()
    due = conversation.due_at
    other = make_app()
    with other.app_context():  # another process answers
        messages.reply(db.session.get(Conversation, conversation.id), "Answered elsewhere", db.session.merge(grace))
        db.session.commit()

    assert conversations.release(conversation.id, now=due) == 0
