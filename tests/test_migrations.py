import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from crm_sms import schema
from crm_sms.models import db
from tests.conftest import builtin

VERSION_TABLES = {history.version_table for history in (schema.SMS, schema.CRM, schema.LEGACY)}


def differences_from_the_models(connection):
    """What autogenerate would change to make the database of ``connection`` match the models."""
    context = MigrationContext.configure(
        connection, opts={"include_name": lambda name, type_, parents: name not in VERSION_TABLES}
    )
    return compare_metadata(context, db.metadata)


def test_migrations_build_exactly_the_schema_the_models_describe(app):
    with db.engine.connect() as connection:
        assert differences_from_the_models(connection) == []


def _migration(stem):
    import importlib.util

    spec = importlib.util.spec_from_file_location(stem, f"{schema.LEGACY.directory}/versions/{stem}.py")
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    return migration


def _run(stem, step="upgrade"):
    """Run one legacy migration's upgrade (or downgrade) on the test database, as its legacy upgrade would.

    The tables get their legacy names for it (``0015_prefix`` down, then up again: a round trip of that
    step on real data too).
    """
    from alembic.operations import Operations

    db.session.commit()
    with db.engine.begin() as connection, Operations.context(MigrationContext.configure(connection)):
        _migration("0015_prefix").downgrade()
        getattr(_migration(stem), step)()
        _migration("0015_prefix").upgrade()
    db.session.expire_all()


def _backfill():
    """Run migration 0009 (conversations for threads from before 0007) on the test database."""
    _run("0009_backfill_conversations")


def test_threads_from_before_conversations_existed_get_theirs_with_owner_and_subscribers(
    make_contact, opt_in, make_sender, make_user
):
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
    assert (ours.owner, ours.contact, ours.last_text, ours.last_direction) == (
        grace,
        ada,
        "Thanks, on my way",
        "inbound",
    )
    assert [s.user for s in ours.subscriptions] == [alan]
    assert (ours.pooled_at, ours.awaiting_since, ours.due_at) == (None, None, None)  # history is not news
    stranger = threads["+14155550102"]
    assert stranger.owner is None and stranger.pooled_at is not None  # nobody's: in the pool, as it would be

    _backfill()  # run again (a second upgrade of a copy): nothing doubles
    assert db.session.scalar(db.select(db.func.count()).select_from(Conversation)) == 2

    receive("One more question", "+14155550101")
    assert (ours.owner, ours.pooled_at) == (grace, None)  # the owner's, not the pool's
    assert set(db.session.scalars(db.select(Notification.user_id))) == {grace.id, alan.id}


OLD_TEXTS = {
    "notice_help": "{business_name}: call {support_phone} or email {support_email}. Reply STOP to unsubscribe.",
    "notice_request_mt": "{employee_name} wants to text you. Reply YES or STOP.",
    "customer_legal_text": "I agree to texts from {business_name} {{literally}}.",
    "notice_opt_in": "{business_name.__class__.__mro__}: subscribed. Reply STOP to stop.",
    "notice_opt_out": "{business_name!r:>99999999}: unsubscribed.",
    "disclaimer_text": "This is {business_name. Reply STOP",  # format_map refused it: it never rendered
}
NEW_TEXTS = {
    "notice_help": "{{ business_name }}: call {{ support_phone }} or email {{ support_email }}. "
    "Reply STOP to unsubscribe.",
    "notice_request_mt": "{{ employee_name }} wants to text you. Reply YES or STOP.",
    "customer_legal_text": "I agree to texts from {{ business_name }} {literally}.",
    "notice_opt_in": "{business_name.__class__.__mro__}: subscribed. Reply STOP to stop.",
    "notice_opt_out": "{{ business_name }}: unsubscribed.",
    "disclaimer_text": "This is {business_name. Reply STOP",
}
OLD_SIGNATURE = "Call |DEPARTMENT_PHONE_NUMBER|. Email |DEPARTMENT_EMAIL|. Reply STOP to unsubscribe."


def _old_texts():
    from crm_sms.models import Signature
    from crm_sms.services import departments, settings

    for key, text in OLD_TEXTS.items():
        settings.put(key, text)
    settings.put("business_name", "Acme Fiber")
    settings.put("support_phone", "(415) 555-0100")
    department = departments.save(None, "Support", "+14155550100", "help@example.com")
    signature = Signature(name="Support", department=department, text=OLD_SIGNATURE)
    db.session.add(signature)
    db.session.commit()
    return signature


def test_stored_texts_in_the_old_placeholder_syntaxes_are_rewritten_in_the_new_one(app):
    from crm_sms.services import consent_log, notices, rendering, settings

    signature = _old_texts()
    _run("0011_settings_placeholders")
    assert {key: settings.get(key) for key in OLD_TEXTS} == NEW_TEXTS
    assert signature.text == "Call {{ department.phone }}. Email {{ department.email }}. Reply STOP to unsubscribe."
    assert (
        rendering.signature_text(signature) == "Call (415) 555-0100. Email help@example.com. Reply STOP to unsubscribe."
    )
    assert notices.text("notice_help").startswith("Acme Fiber: call (415) 555-0100 or email .")
    assert notices.text("notice_request_mt", "Grace") == "Grace wants to text you. Reply YES or STOP."
    assert consent_log.legal_text() == "I agree to texts from Acme Fiber {literally}."
    # The two hostile texts render harmlessly: the first as written, the second as the bare name.
    assert notices.text("notice_opt_in") == NEW_TEXTS["notice_opt_in"]
    assert notices.text("notice_opt_out") == "Acme Fiber: unsubscribed."

    _run("0011_settings_placeholders")  # a second upgrade of a copy: nothing changes again
    assert {key: settings.get(key) for key in OLD_TEXTS} == NEW_TEXTS
    assert signature.text.startswith("Call {{ department.phone }}.")


def test_the_placeholder_migration_downgrades_to_the_old_syntaxes(app):
    from crm_sms.services import settings

    signature = _old_texts()
    _run("0011_settings_placeholders")
    _run("0011_settings_placeholders", "downgrade")
    restored = {key: settings.get(key) for key in OLD_TEXTS}
    assert restored["notice_help"] == OLD_TEXTS["notice_help"]
    assert restored["customer_legal_text"] == OLD_TEXTS["customer_legal_text"]
    assert restored["notice_opt_out"] == "{business_name}: unsubscribed."  # the format spec is gone for good
    assert signature.text == OLD_SIGNATURE


def test_default_texts_need_no_migration():
    from crm_sms.services import settings

    migration = _migration("0011_settings_placeholders")
    for key in migration.TEXT_SETTINGS:
        assert migration.to_new(settings.DEFAULTS[key]) == settings.DEFAULTS[key], key


def test_users_of_before_the_host_seam_become_people_with_their_ids_and_every_pointer_follows(
    make_crm_user, make_contact, make_sender
):
    """0013: each built-in user gets a crm_sms_users row with its own id; authors, owners, subscribers, sender
    numbers and creators point at it, and the next new person gets a fresh id (the PostgreSQL sequence moved)."""
    from crm_sms.models import Conversation, Person, SenderNumber, Subscription, Template
    from crm_sms.services import people

    casey = make_contact("Casey", "Customer", numbers=("+14155550142",))
    grace, alan = make_crm_user("grace", "agent"), make_crm_user("alan", "manager")
    customer = make_crm_user("casey", "customer", contact=casey)
    sender = make_sender("+16285550100")
    casey_id = builtin(casey).id  # 0014 down points crm_sms's rows at the built-in contact again, 0014 up back
    # The schema of before: user pointers on the built-in users table (0014 comes after 0013, so it goes first).
    _run("0014_records", "downgrade")
    _run("0013_users", "downgrade")
    tables = db.metadata.tables
    with db.engine.begin() as connection:
        connection.execute(tables["crm_sms_sender_numbers"].update().values(user_id=grace.id))
        conversation_id = connection.execute(
            tables["crm_sms_conversations"]
            .insert()
            .values(phone_e164="+14155550142", sender_e164=sender.e164, contact_id=casey_id, owner_id=grace.id)
        ).inserted_primary_key[0]
        connection.execute(
            tables["crm_sms_conversation_subscriptions"]
            .insert()
            .values(conversation_id=conversation_id, user_id=alan.id)
        )
        connection.execute(
            tables["crm_sms_templates"]
            .insert()
            .values(name="Hello", module="contacts", body="Hi", created_by_id=alan.id)
        )

    _run("0013_users")
    _run("0014_records")  # a contact's record gets the built-in contact's id

    found = {p.id: (p.host_id, p.name, p.email, p.role, p.contact_id) for p in db.session.scalars(db.select(Person))}
    assert found == {
        grace.id: (str(grace.id), "grace", "grace@example.com", "agent", None),
        alan.id: (str(alan.id), "alan", "alan@example.com", "manager", None),
        customer.id: (str(customer.id), "casey", "casey@example.com", "customer", casey_id),
    }
    conversation = db.session.get(Conversation, conversation_id)
    assert (conversation.owner.name, [s.user.name for s in conversation.subscriptions]) == ("grace", ["alan"])
    assert db.session.scalar(db.select(SenderNumber)).user.name == "grace"
    assert db.session.scalar(db.select(Template)).created_by.name == "alan"
    assert people.person_for(grace).id == grace.id  # the built-in user is found as the same person
    newcomer = people.person_for(make_crm_user("ada", "agent"))
    assert newcomer.id > max(found)  # not one of theirs, whatever the database numbered before
    inspector = sa.inspect(db.engine)
    for table, column in [
        ("crm_sms_conversations", "owner_id"),
        ("crm_sms_conversation_subscriptions", "user_id"),
        ("crm_sms_messages", "author_id"),
    ]:
        targets = {
            fk["referred_table"] for fk in inspector.get_foreign_keys(table) if fk["constrained_columns"] == [column]
        }
        assert targets == {"crm_sms_users"}, table
    db.session.execute(db.delete(Subscription))


def test_records_migration_moves_contacts_accounts_and_numbers_to_crm_sms_rows(app):
    """0014: built-in records and numbers become crm_sms's rows (contact ids kept, account ids shifted past the
    highest contact id), every pointer follows, and the built-in numbers lose what moved."""
    import sqlalchemy as sa

    _run("0014_records", "downgrade")

    def sql(text, **values):
        return db.session.execute(sa.text(text), values)

    sql("INSERT INTO phone_types (name, sms_capable) VALUES ('Mobile', true), ('Home', false)")
    mobile, home = (sql("SELECT id FROM phone_types WHERE name = :n", n=n).scalar() for n in ("Mobile", "Home"))
    now = "2026-01-01 00:00:00"
    sql("INSERT INTO accounts (name, type, created_at, updated_at) VALUES ('Acme', 'Customer', :t, :t)", t=now)
    acme = sql("SELECT id FROM accounts WHERE name = 'Acme'").scalar()
    for first in ("Ada", "Bob"):
        sql(
            "INSERT INTO contacts (account_id, first_name, last_name, ready, created_at, updated_at) "
            "VALUES (:a, :f, 'Byron', true, :t, :t)",
            a=acme if first == "Ada" else None,
            f=first,
            t=now,
        )
    ada, bob = (sql("SELECT id FROM contacts WHERE first_name = :f", f=f).scalar() for f in ("Ada", "Bob"))
    for owner, account, kind, e164, preferred in [
        (ada, None, mobile, "+14155550101", True),
        (ada, None, home, "+14155550102", False),
        (None, acme, mobile, "+12125550101", False),
    ]:
        sql(
            "INSERT INTO phone_numbers (contact_id, account_id, type_id, e164, region, time_zone, is_primary, "
            "preferred_sms, created_at) VALUES (:c, :a, :k, :e, 'US', 'America/Los_Angeles', :p, :p, :t)",
            c=owner,
            a=account,
            k=kind,
            e=e164,
            p=preferred,
            t=now,
        )
    ada_mobile = sql("SELECT id FROM phone_numbers WHERE e164 = '+14155550101'").scalar()
    sql(
        "INSERT INTO crm_sms_consents (contact_id, state, phone_number_id, changed_at) VALUES (:c, 'opted_in', :p, :t)",
        c=ada,
        p=ada_mobile,
        t=now,
    )
    sql("INSERT INTO crm_sms_consents (account_id, state, changed_at) VALUES (:a, 'opted_out', :t)", a=acme, t=now)
    for owner, account, ref in [(ada, None, "m1"), (None, acme, "m2")]:
        sql(
            "INSERT INTO crm_sms_messages (direction, kind, status, body, phone_e164, sender_e164, contact_id, "
            "account_id, send_at, created_at, status_changed_at, attempts, segments, encoding, client_ref) "
            "VALUES ('outbound', 'manual', 'sent', 'hi', '+14155550101', '+16285550100', :c, :a, :t, :t, :t, 0, 1, "
            "'GSM-7', :r)",
            c=owner,
            a=account,
            t=now,
            r=ref,
        )
    db.session.commit()

    _run("0014_records")

    offset = max(ada, bob)
    assert sql("SELECT id, kind, host_id, name, account_id FROM crm_sms_records ORDER BY id").all() == [
        *sorted(
            [(ada, "contacts", str(ada), "Ada Byron", acme + offset), (bob, "contacts", str(bob), "Bob Byron", None)]
        ),
        (acme + offset, "accounts", str(acme), "Acme", None),
    ]
    numbers = sql(
        "SELECT id, record_id, key, label, e164, sms_capable, preferred_sms, time_zone, current "
        "FROM crm_sms_phone_numbers ORDER BY e164"
    ).all()
    assert [tuple(n[1:]) for n in numbers] == [
        (acme + offset, f"phone:{numbers[0][0]}", "Mobile", "+12125550101", True, False, "America/Los_Angeles", True),
        (ada, f"phone:{ada_mobile}", "Mobile", "+14155550101", True, True, "America/Los_Angeles", True),
        (ada, f"phone:{numbers[2][0]}", "Home", "+14155550102", False, False, "America/Los_Angeles", True),
    ]
    assert sql("SELECT contact_id, account_id, phone_number_id FROM crm_sms_consents ORDER BY id").all() == [
        (ada, None, ada_mobile),
        (None, acme + offset, None),
    ]
    assert sql("SELECT contact_id, account_id FROM crm_sms_messages ORDER BY client_ref").all() == [
        (ada, None),
        (None, acme + offset),
    ]
    columns = {c["name"] for c in sa.inspect(db.engine).get_columns("phone_numbers")}
    assert "preferred_sms" not in columns and "time_zone" not in columns
    with db.engine.connect() as connection:
        assert differences_from_the_models(connection) == []
    # New rows after the upgrade get ids past the copied ones (PostgreSQL's sequences were moved on).
    from crm_sms.models import Record

    db.session.add(Record(kind="contacts", host_id="999", name="New"))
    db.session.commit()


def test_keyword_lists_saved_with_the_old_defaults_lose_yes_and_the_digits(app):
    import importlib.util

    from crm_sms.services import settings

    path = f"{schema.SMS.directory}/versions/crm_sms_0002_possible_opt_out.py"
    spec = importlib.util.spec_from_file_location("crm_sms_0002_possible_opt_out", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    settings.put("keywords_opt_in", ["START", "yes", "UNSTOP", "1"])
    settings.put("keywords_opt_out", ["2"])
    settings.put("keywords_help", ["HELP", "1"])  # not an old default: an admin's own choice, left for them
    db.session.commit()
    with db.engine.begin() as connection:
        migration.drop_consent_answers(connection)
    db.session.expire_all()
    assert settings.get("keywords_opt_in") == ["START", "UNSTOP"]
    assert settings.get("keywords_opt_out") == settings.DEFAULTS["keywords_opt_out"]  # left empty: the default
    assert settings.get("keywords_help") == ["HELP", "1"]
