"""Whatever order composes, replies, staff changes and dispatcher claims come in, no one opted out is texted.

The dispatcher runs in its own session (as a worker does, not expiring on
commit), everything else in another (as web requests do), and a claimed batch
may be only partly delivered when the next step comes. At each claim the
committed consent state is recorded; every message the provider received is
then checked against the state at its claim.
"""

from dataclasses import dataclass, field

from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from crm_sms.crm import users
from crm_sms.crm.services import accounts, contacts, phones
from crm_sms.models import Consent, Message, Person, PhoneNumber, Record, Suppression, db, utcnow
from crm_sms.services import (
    consent,
    messages,
    notices,
    people,
    provider_events,
    records,
    senders,
    settings,
)
from crm_sms.services import (
    dispatch as dispatch_service,
)
from tests.fakes.providers import RecordingProvider
from tests.fakes.vonage import inbound

OURS = "+16285550100"
NUMBERS = ("+14155550101", "+14155550102", "+14155550103")
#: (kind, name, numbers, opted in at): two contacts share NUMBERS[0] (one never asked), a contact and an
#: account share NUMBERS[2], and one contact has two numbers.
OWNERS = (
    ("contact", "Ada", (0,), 0),
    ("contact", "Byron", (0,), None),
    ("contact", "Carla", (1,), 0),
    ("contact", "Dan", (1, 2), 0),
    ("account", "Firm", (2,), 0),
)
REPLIES = ("STOP", "stop.", "ARRÊT", "START", "YES", "HELP", "Hello?")

OWNER, NUMBER, CHOICE = st.integers(0, len(OWNERS) - 1), st.integers(0, len(NUMBERS) - 1), st.integers(0, 1)
ARGUMENTS = {
    "compose": st.tuples(OWNER, CHOICE),  # to one of the owner's numbers
    "claim": st.tuples(st.integers(1, 3)),  # this many due messages
    "deliver": st.tuples(st.integers(1, 3)),  # carry the oldest claimed batch on by this many commits
    "reply": st.tuples(st.sampled_from(REPLIES), NUMBER),
    "staff_opt_out": st.tuples(OWNER),
    "staff_opt_in": st.tuples(OWNER, CHOICE),
    "raced_stop": st.tuples(NUMBER),
}
#: Mostly messages, so that most examples have some to stop.
KINDS = ("compose", "compose", "claim", "compose", "deliver", "reply", "staff_opt_out", "staff_opt_in", "raced_stop")
steps = st.sampled_from(KINDS).flatmap(lambda kind: ARGUMENTS[kind].map(lambda args: (kind, *args)))


@dataclass
class World:
    app: object
    owners: list  # ("c" or "a", id)
    agent_id: int
    claimed: dict = field(default_factory=dict)  # message id -> (suppressed numbers, {owner key: (state, e164)})
    deliveries: list = field(default_factory=list)  # deliver() generators of claimed batches, oldest first


def reset(app):
    """Empty every table and Redis, as tests/conftest.py does after a test, and start a fresh worker session."""
    db.session.remove()
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()
    app.extensions["crm_sms"].redis.flushdb()


def build(app, policy):
    reset(app)
    with app.app_context():
        mobile = phones.save_phone_type(None, "Mobile", True)
        senders.save(None, OURS, label="Main", is_default=True, mps=10_000)
        agent = people.person_for(users.create_user("agent", "secret-pass", "agent"))
        settings.put("consent_policy", policy)
        owners = []
        for kind, name, numbers, opted_at in OWNERS:
            owner = (
                contacts.save(None, first_name=name, last_name="Test")
                if kind == "contact"
                else accounts.save(None, name=name)
            )
            for n in numbers:
                phones.add(owner, NUMBERS[n], mobile)
            owner = records.link(owner)
            if opted_at is not None:
                consent.opt_in(owner, owner.phone_numbers[opted_at], "Email", "staff", "tester", notify=False)
            owners.append(("c" if kind == "contact" else "a", owner.id))
        db.session.commit()
        world = World(app, owners, agent.id)
    # The worker's session lives across batches and does not expire on commit (as jobs.dispatch has it).
    db.session().expire_on_commit = False
    return world


def load(key):
    return db.session.get(Record, key[1])


def web(world, step):
    """A step a web request (or webhook) takes, in its own session, committed."""
    with world.app.app_context():
        name, *args = step
        if name == "compose":
            owner = load(world.owners[args[0]])
            phone = owner.phone_numbers[args[1] % len(owner.phone_numbers)]
            agent = db.session.get(Person, world.agent_id)
            try:
                messages.compose(owner, phone, senders.for_user(agent)[0], "Hi {{ account.name }}", agent)
            except messages.MessageError:
                db.session.rollback()
                return
        elif name == "reply":
            text, number = args
            provider_events.receive_inbound(inbound(text, msisdn=NUMBERS[number].lstrip("+"), to=OURS.lstrip("+")))
        elif name == "staff_opt_out":
            consent.opt_out(load(world.owners[args[0]]), "staff", "tester")
        elif name == "raced_stop":
            # A STOP committed while a message to that number was being queued: its cancel missed the message.
            number = NUMBERS[args[0]]
            consent.suppress(number)
            for owner, _ in consent.owners_of(number):
                db.session.execute(
                    db.update(Consent)
                    .where(
                        (Consent.contact_id if owner.kind == "contacts" else Consent.account_id) == owner.id,
                    )
                    .values(state="opted_out", changed_at=utcnow())
                )
        elif name == "staff_opt_in":
            owner = load(world.owners[args[0]])
            try:
                phone = owner.phone_numbers[args[1] % len(owner.phone_numbers)]
                consent.opt_in(owner, phone, "Email", "staff", "tester")
            except consent.StopInForce:  # only the number lifts its own STOP
                db.session.rollback()
                return
        db.session.commit()


def claim(world, limit):
    """Claim in the worker's session, recording the committed consent state at that moment."""
    suppressed = set(db.session.scalars(db.select(Suppression.e164)))
    states = {}
    for contact_id, account_id, state, e164 in db.session.execute(
        db.select(Consent.contact_id, Consent.account_id, Consent.state, PhoneNumber.e164).outerjoin(
            Consent.phone_number
        )
    ):
        states[("c", contact_id) if contact_id else ("a", account_id)] = (state, e164)
    batch = dispatch_service.claim(limit)
    for message in batch:
        world.claimed[message.id] = (suppressed, states)
    db.session.commit()
    if batch:
        world.deliveries.append(dispatch_service.deliver(batch))


def deliver(world, steps):
    """Carry the oldest claimed batch on by ``steps`` commits (each one just before a provider call)."""
    for _ in range(steps):
        if not world.deliveries:
            return
        try:
            next(world.deliveries[0])
        except StopIteration:
            world.deliveries.pop(0)
        db.session.commit()


def check(world, provider, policy):
    allowed_anyway = {notices.text("notice_opt_out"), notices.text("notice_help")}
    db.session.commit()
    for sms in provider.sent:
        message = db.session.scalar(db.select(Message).where(Message.client_ref == sms.client_ref))
        suppressed, states = world.claimed[message.id]
        key = ("c", message.contact_id) if message.contact_id else ("a", message.account_id)
        state, consented_at = states.get(key, ("never_asked", None))
        if message.kind == "automatic":
            if sms.to in suppressed or state == "opted_out":
                assert message.body in allowed_anyway, (message, message.body, state)
            continue
        assert sms.to not in suppressed, message
        assert (state == "opted_in" and consented_at == sms.to) or (
            policy == "disclaimer" and state in ("never_asked", "awaiting_reply")
        ), (message, state, consented_at)
    db.session.commit()


@hypothesis_settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    policy=st.sampled_from(["require_opt_in", "request_consent", "disclaimer"]),
    actions=st.lists(steps, min_size=4, max_size=30),
)
def test_no_one_opted_out_before_a_claim_is_sent_that_message_except_their_confirmation(app, policy, actions):
    app.config["CRM_SMS_PROVIDER_RPS"] = 10_000  # pacing is tested elsewhere; here it would only slow examples
    provider = app.extensions["crm_sms"].provider = RecordingProvider()
    world = build(app, policy)
    try:
        for action in actions:
            if action[0] == "claim":
                claim(world, action[1])
            elif action[0] == "deliver":
                deliver(world, action[1])
            else:
                web(world, action)
        while True:  # then let the dispatcher finish everything due
            deliver(world, 1_000)
            claim(world, 100)
            if not world.deliveries:
                break
        check(world, provider, policy)
    finally:
        for generator in world.deliveries:
            generator.close()
        db.session.rollback()
