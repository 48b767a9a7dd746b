"""A host CRM's own users, login and layout: crm_sms serves its pages inside them.

The host here is small and its own: a ``shop_users`` table with an ``is_admin`` flag and a
role column, its own LoginManager and login page, its own base template with only a
``title`` and a ``content`` block. It hands crm_sms a ``Host`` that maps its roles.
Its records are a stand-in (the built-in CRM's contacts): what it shows is users, login and
layout. The whole of a host, records included, is ``examples/shop_crm`` (``tests/hosts``).
"""

import pytest
import sqlalchemy as sa
from flask import Flask, redirect, request, url_for
from flask_login import LoginManager, UserMixin, login_user
from jinja2 import DictLoader
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from crm_sms import CrmSms, Host, Phone
from crm_sms.crm.models import Contact
from crm_sms.models import Person, db
from crm_sms.services import people

PAGES = {  # the pages each role may open, every one of them in the host's layout
    "agent": ["/sms/inbox", "/sms/messages", "/sms/notifications"],
    "manager": [
        "/sms/templates",
        "/sms/templates/new",
        "/sms/campaigns",
        "/sms/campaigns/new",
        "/sms/consent/report",
        "/sms/conversations/report",
    ],
    "admin": [
        "/sms/settings",
        "/sms/settings/departments",
        "/sms/settings/senders",
        "/sms/settings/signatures",
        "/sms/settings/triggers",
    ],
}

BASE = """<!doctype html><html><head><title>{% block title %}{% endblock %} · Shop</title></head>
<body><nav class="shop-nav"><a href="/">Shop</a>{% from "crm_sms/_nav.html" import sms_nav %}{{ sms_nav() }}</nav>
<main class="shop-main">{% block content %}{% endblock %}</main></body></html>"""


class ShopBase(DeclarativeBase):
    metadata = sa.MetaData()


class ShopUser(UserMixin, ShopBase):
    __tablename__ = "shop_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(sa.String(40), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(80))
    is_admin: Mapped[bool] = mapped_column(default=False)
    role: Mapped[str | None] = mapped_column(sa.String(20))  # "sales", "lead", "client", or None
    contact_id: Mapped[int | None] = mapped_column()


class ShopHost(Host):
    user_model = ShopUser
    contact_model = Contact

    def name(self, record):
        return record.full_name

    def url(self, record):
        return f"/shop/contacts/{record.id}"

    def phones(self, record):
        return [Phone(p.e164, p.type.name, p.type.sms_capable, key=f"phone:{p.id}") for p in record.phone_numbers]

    def role(self, user):
        if user.is_admin:
            return "admin"
        return {"sales": "agent", "lead": "manager", "client": "customer"}.get(user.role)

    def contact_of(self, user):
        return db.session.get(Contact, user.contact_id) if user.contact_id else None

    def user_name(self, user):
        return user.full_name

    def staff(self):
        return db.session.scalars(
            sa.select(ShopUser).where(sa.or_(ShopUser.is_admin, ShopUser.role.in_(["sales", "lead"])))
        ).all()


def _shop(config):
    app = Flask(__name__)
    app.config.update(config, CRM_SMS_BASE_TEMPLATE="shop/base.html")
    app.jinja_loader = DictLoader({"shop/base.html": BASE})
    logins = LoginManager(app)
    logins.login_view = "shop_login"

    @logins.user_loader
    def load(user_id):
        return db.session.get(ShopUser, int(user_id))

    @app.route("/shop/login")
    def shop_login():
        """The host's own login (a test stand-in: ``?as=<login>``)."""
        user = db.session.scalar(sa.select(ShopUser).where(ShopUser.login == request.args.get("as", "")))
        if user is None:
            return "Shop login page", 200
        login_user(user)
        return redirect(request.args.get("next") or url_for("shop_login"))

    CrmSms(app, host=ShopHost())
    return app


@pytest.fixture
def shop(base_config, _migrated):
    app = _shop(base_config)
    with app.app_context():
        ShopBase.metadata.create_all(db.engine)
        yield app
        db.session.rollback()
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
        ShopBase.metadata.drop_all(db.engine)
        app.extensions["crm_sms"].redis.flushdb()
        app.extensions["crm_sms"].redis.connection_pool.disconnect()
        db.engine.dispose()


@pytest.fixture
def shop_user(shop):
    def make(login, role=None, is_admin=False, contact=None):
        user = ShopUser(
            login=login,
            full_name=login.title() + " Shopper",
            role=role,
            is_admin=is_admin,
            contact_id=int(contact.host_id) if contact else None,  # the stand-in contact (a Record names it)
        )
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def shop_client(shop):
    client = shop.test_client()

    def log_in(user):
        assert client.get("/shop/login", query_string={"as": user.login}).status_code == 302
        return client

    return log_in


@pytest.mark.parametrize("role, is_admin", [("sales", False), ("lead", False), (None, True)])
def test_every_sms_page_a_role_may_open_renders_inside_the_hosts_layout(shop_user, shop_client, role, is_admin):
    client = shop_client(shop_user("pat", role, is_admin))
    mapped = "admin" if is_admin else ShopHost().role(ShopUser(role=role))
    allowed = {"agent": ["agent"], "manager": ["agent", "manager"], "admin": ["agent", "manager", "admin"]}[mapped]
    for url in [url for level in allowed for url in PAGES[level]]:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.text
        assert '<main class="shop-main">' in page and "· Shop</title>" in page, url
        assert "crm_sms/static/crm_sms.css" in page and "crm_sms/static/htmx.min.js" in page, url
        assert "/login" not in page.replace("/shop/login", ""), url  # never the built-in CRM's login


def test_the_sms_navigation_in_the_hosts_layout_lists_what_the_person_may_use(shop_user, shop_client):
    nav = shop_client(shop_user("sam", "sales")).get("/sms/messages").text.split("</nav>")[0]
    assert "/sms/inbox" in nav and "/sms/messages" in nav
    assert "/sms/campaigns" not in nav and "/sms/settings" not in nav


def test_an_anonymous_visitor_is_sent_to_the_hosts_login_page(shop):
    response = shop.test_client().get("/sms/messages")
    assert response.status_code == 302
    assert response.location.startswith("/shop/login?next=")


def test_a_host_user_without_an_sms_role_gets_the_403_page_in_the_hosts_layout(shop_user, shop_client):
    client = shop_client(shop_user("wes", role="warehouse"))
    for url in ["/sms/messages", "/sms/inbox", "/sms/settings"]:
        response = client.get(url)
        assert response.status_code == 403, url
        assert '<main class="shop-main">' in response.text and "open this page" in response.text
    assert db.session.scalar(sa.select(Person.role).where(Person.name == "Wes Shopper")) is None


def test_a_customer_opens_their_own_preferences_and_no_one_elses(shop_user, shop_client, make_contact):
    own, other = make_contact("Casey", "Client", numbers=("+14155550142",)), make_contact("Olga", "Other")
    client = shop_client(shop_user("casey", "client", contact=own))

    page = client.get(f"/sms/consent/contacts/{own.id}/preferred")
    assert page.status_code == 200 and '<main class="shop-main">' in page.text
    assert f"/sms/consent/contacts/{own.id}/preferred" in page.text.split("</nav>")[0]  # "My SMS preferences"
    assert client.get(f"/sms/consent/contacts/{other.id}/preferred").status_code == 404
    assert client.get("/sms/messages").status_code == 403


def test_the_host_users_person_follows_the_hosts_name_and_role(shop_user, shop_client):
    user = shop_user("lee", "sales")
    client = shop_client(user)
    client.get("/sms/inbox")
    person = db.session.scalar(sa.select(Person).where(Person.host_id == str(user.id)))
    assert (person.name, person.role) == ("Lee Shopper", "agent")

    user.role, user.full_name = "lead", "Lee Manager"
    db.session.commit()
    assert client.get("/sms/campaigns").status_code == 200  # promoted on the host: crm_sms follows at once
    assert (people.person_for(user).id, people.person_for(user).role) == (person.id, "manager")


def test_staff_lists_offer_the_hosts_staff_as_people(shop_user, shop_client):
    shop_user("sam", "sales")
    shop_user("casey", "client")
    client = shop_client(shop_user("ann", is_admin=True))
    page = client.get("/sms/settings/senders").text
    assert "Sam Shopper (agent)" in page and "Ann Shopper (admin)" in page
    assert "Casey Shopper" not in page


def test_a_host_role_crm_sms_does_not_know_is_a_clear_error(shop, shop_user):
    class Confused(ShopHost):
        def role(self, user):
            return "superuser"

    shop.extensions["crm_sms"].host = Confused()
    with pytest.raises(people.HostRoleError, match="Confused.role\\(\\) answered 'superuser'"):
        people.person_for(shop_user("zed", "sales"))


def test_the_built_in_crm_without_its_pages_serves_sms_pages_with_the_apps_own_login(make_app, make_crm_user):
    """CRM_SMS_CRM_PAGES=False and the app's own LoginManager: no built-in login, no auth.* URL anywhere."""
    from crm_sms.crm.models import User

    app = Flask(__name__)
    app.config.update(make_app().config, CRM_SMS_CRM_PAGES=False)  # make_app: the test database, emptied after
    logins = LoginManager(app)
    logins.login_view = "app_login"
    logins.user_loader(lambda token: db.session.scalar(sa.select(User).where(User.session_token == token)))
    app.add_url_rule("/app/login", "app_login", lambda: "App login")
    CrmSms(app)
    user = make_crm_user("ann", "admin")
    client = app.test_client()  # each request in its own app context, as in production
    assert client.get("/sms/messages").location.startswith("/app/login?next=")
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = user.session_token, True
    for url in PAGES["agent"] + PAGES["manager"] + PAGES["admin"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "<nav" in response.text and "/sms/inbox" in response.text, url  # the built-in layout, SMS entries
    assert "auth" not in app.blueprints and client.get("/login").status_code == 404
    with app.app_context():  # this app's own engine and Redis connections, closed (make_app empties the data)
        db.engine.dispose()
        if app.extensions["crm_sms"]._redis is not None:
            app.extensions["crm_sms"]._redis.connection_pool.disconnect()


def test_the_user_commands_belong_to_the_built_in_crm(shop):
    runner = shop.test_cli_runner()
    for command in (["create-user", "pat", "--role", "agent"], ["set-password", "pat"]):
        result = runner.invoke(args=["crm-sms", *command], input="long-enough\nlong-enough\n")
        assert result.exit_code != 0
        assert "Users and passwords are the host's (ShopHost): manage them there." in result.output
