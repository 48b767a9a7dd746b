from crm_sms.crm import demo
from crm_sms.crm.models import Account, Contact, User
from crm_sms.models import db


def test_create_user_makes_a_user_who_can_log_in(runner, client):
    result = runner.invoke(
        args=[
            "crm-sms",
            "create-user",
            "grace",
            "--role",
            "manager",
            "--email",
            "g@example.com",
            "--password",
            "long-enough",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Created manager grace." in result.output
    assert client.post("/login", data={"username": "grace", "password": "long-enough"}).status_code == 302


def test_create_user_refuses_a_customer_without_a_contact(runner):
    result = runner.invoke(args=["crm-sms", "create-user", "casey", "--role", "customer", "--password", "long-enough"])
    assert result.exit_code != 0
    assert "A customer user must be linked to a contact." in result.output
    assert db.session.scalar(db.select(User)) is None


def test_create_user_refuses_a_short_password(runner):
    result = runner.invoke(args=["crm-sms", "create-user", "grace", "--role", "agent", "--password", "short"])
    assert "at least 8 characters" in result.output and result.exit_code != 0


def test_seed_demo_creates_every_role_once(runner, client):
    first = runner.invoke(args=["crm-sms", "seed-demo"])
    assert "Demo data created." in first.output and "demo1234" in first.output
    second = runner.invoke(args=["crm-sms", "seed-demo"])
    assert "Demo data already there." in second.output
    assert sorted(db.session.scalars(db.select(User.role))) == sorted(role for _, role in demo.USERS)
    assert db.session.scalar(db.select(db.func.count(Account.id))) == 40
    assert db.session.scalar(db.select(db.func.count(Contact.id))) == 300  # a campaign of a few hundred
    customer = db.session.scalar(db.select(User).where(User.role == "customer"))
    assert customer.contact is not None
    for username, _ in demo.USERS:
        client.post("/logout")
        assert client.post("/login", data={"username": username, "password": demo.PASSWORD}).status_code == 302


def test_upgrade_on_a_current_database_changes_nothing(runner):
    result = runner.invoke(args=["crm-sms", "upgrade"])
    assert result.exit_code == 0, result.output


def test_the_demo_has_conversations_in_the_inboxes(runner):
    from crm_sms.models import Conversation, Person
    from crm_sms.services import inbox

    runner.invoke(args=["crm-sms", "seed-demo"])

    agent = db.session.scalar(db.select(Person).where(Person.name == "agent"))  # as crm_sms knows the demo agent
    mine = db.session.scalars(inbox.conversations(agent, "mine")).all()
    assert len(mine) == 6 and sum(c.unanswered for c in mine) == 3
    assert db.session.scalars(inbox.conversations(agent, "pool")).one().record is None  # the unknown number
    assert inbox.counts(agent)["alerts"] == 4  # three replies, and agent2's message
    assert db.session.scalar(db.select(db.func.count()).select_from(Conversation)) == 7
