from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from crm_sms.models import db


def test_migrations_build_exactly_the_schema_the_models_describe(app):
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []


def _backfill():
    """Run migration 0009 (conversations for threads from before 0007) on the test database."""
    import importlib.util

    from alembic.operations import Operations

    from crm_sms.extension import MIGRATIONS

    spec = importlib.util.spec_from_file_location(
        "backfill", f"{MIGRATIONS}/versions/0009_backfill_conversations.py")
    backfill = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(backfill)
    db.session.commit()
    with db.engine.begin() as connection, Operations.context(MigrationContext.configure(connection)):
        backfill.upgrade()
    db.session.expire_all()


def test_threads_from_before_conversations_existed_get_theirs_with_owner_and_subscribers(
        make_contact, opt_in, make_sender, make_user):
    from crm_sms.models import Conversation, ConversationEvent, Notification, Subscription
    from crm_sms.services import messages, provider_events
    from tests.fakes.vonage import inbound

    ada = opt_in(make_contact("Ada", "Lovelace", numbers=("+14155550101",)))
    carl = opt_in(make_contact("Carl", "Gauss", numbers=("+14155550103",)))
    sender = make_sender("+16285550100")
    grace, alan = make_user("grace", "agent"), make_user("alan", "agent")

    def receive(body, number):
        provider_events.receive_inbound(inbound(body, msisdn=number.lstrip("+"), to="16285550100"))
        db.session.commit()

    messages.compose(ada, ada.phone_numbers[0], sender, "Your order is ready", grace)
    messages.compose(ada, ada.phone_numbers[0], sender, "It is at the front desk", alan)
    messages.compose(carl, carl.phone_numbers[0], sender, "A draft, never sent", grace, draft=True)
    db.session.commit()
    receive("Thanks, on my way", "+14155550101")
    receive("Who is this?", "+14155550102")  # a number no record has, nobody wrote to
    for model in (Notification, ConversationEvent, Subscription, Conversation):  # as before migration 0007
        db.session.execute(db.delete(model))

    _backfill()
    threads = {c.phone_e164: c for c in db.session.scalars(db.select(Conversation))}
    assert sorted(threads) == ["+14155550101", "+14155550102"]  # a draft opens none
    ours = threads["+14155550101"]
    assert (ours.owner, ours.contact, ours.last_text, ours.last_direction) == (grace, ada, "Thanks, on my way", "inbound")
    assert [s.user for s in ours.subscriptions] == [alan]
    assert (ours.pooled_at, ours.awaiting_since, ours.due_at) == (None, None, None)  # history is not news
    stranger = threads["+14155550102"]
    assert stranger.owner is None and stranger.pooled_at is not None  # nobody's: in the pool, as it would be

    _backfill()  # run again (a second upgrade of a copy): nothing doubles
    assert db.session.scalar(db.select(db.func.count()).select_from(Conversation)) == 2

    receive("One more question", "+14155550101")
    assert (ours.owner, ours.pooled_at) == (grace, None)  # the owner's, not the pool's
    assert set(db.session.scalars(db.select(Notification.user_id))) == {grace.id, alan.id}
