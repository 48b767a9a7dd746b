import re

import pytest

from crm_sms.crm.models import ROLES
from crm_sms.models import db
from crm_sms.services.auth import PERMISSIONS, ROLE_PERMISSIONS

from .conftest import PASSWORD


def test_password_is_stored_hashed(make_crm_user):
    user = make_crm_user("agent", "agent")
    assert PASSWORD not in user.password_hash
    assert user.check_password(PASSWORD)


def test_login_with_right_password_opens_the_contacts(client, make_crm_user):
    make_crm_user("agent", "agent")
    response = client.post("/login", data={"username": "agent", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").location == "/contacts"


def test_wrong_password_is_refused_with_a_message(client, make_crm_user):
    make_crm_user("agent", "agent")
    response = client.post("/login", data={"username": "agent", "password": "nope-nope"})
    assert response.status_code == 401
    assert "Wrong username or password." in response.text
    assert client.get("/contacts").status_code == 302  # still logged out


def test_inactive_user_cannot_log_in(client, make_crm_user):
    user = make_crm_user("agent", "agent")
    user.active = False
    db.session.commit()
    assert client.post("/login", data={"username": "agent", "password": PASSWORD}).status_code == 401


def test_anonymous_visitor_is_sent_to_log_in_and_back(client, make_crm_user):
    response = client.get("/contacts?q=ada")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")
    make_crm_user("agent", "agent")
    response = client.post(response.location, data={"username": "agent", "password": PASSWORD})
    assert response.location == "/contacts?q=ada"


#: ``next`` as it comes in the query string (percent-encoded), each one a way off the site.
HOSTILE_NEXT = [
    "//evil.example.com/",
    "///evil.example",
    "/%09/evil.example",
    "/%0a/x",
    "/%0d/x",
    "/%0d%0aSet-Cookie:x=1",
    "/%00/x",
    "/%7f/x",
    "%5C%5Cevil.example",
    "/%5Cevil.example",
    "/%5C/evil.example",
    "%2F%2Fevil.example",
    "https://evil.example",
    "http:/evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt%3Aalert(1)",
    "%09/evil.example",
    "%20//evil.example",
    "evil.example",
    "/%09%09/evil.example",
    "/%E2%80%A8/evil.example",
]


@pytest.mark.parametrize("raw", HOSTILE_NEXT)
def test_login_never_redirects_to_another_site(client, make_crm_user, raw):
    make_crm_user("agent", "agent")
    response = client.post("/login", query_string=f"next={raw}", data={"username": "agent", "password": PASSWORD})
    if "%00" in raw or "%7f" in raw:  # a character no field may hold: refused at the door, before any login
        assert response.status_code == 400
    else:
        assert response.status_code == 302
        assert response.location == "/"


@pytest.mark.parametrize(
    "raw, location", [("/contacts%3Fq%3Dada", "/contacts?q=ada"), ("/%ff/x", "/%FF/x"), ("/accounts/1", "/accounts/1")]
)
def test_login_follows_next_within_the_site(client, make_crm_user, raw, location):
    make_crm_user("agent", "agent")
    response = client.post("/login", query_string=f"next={raw}", data={"username": "agent", "password": PASSWORD})
    assert response.location == location


def test_logout_needs_a_post(client, login):
    login("agent")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/contacts").status_code == 302


def test_forbidden_page_names_the_missing_permission(client, login):
    login("agent")
    response = client.get("/admin/phone-types")
    assert response.status_code == 403
    assert "settings.manage" in response.text
    assert "change SMS settings" in response.text
    assert "agent" in response.text


def test_every_role_maps_to_known_permissions():
    for role, permissions in ROLE_PERMISSIONS.items():
        assert permissions <= PERMISSIONS.keys(), role
    assert set(ROLE_PERMISSIONS) == set(ROLES)


PAGES = ["/contacts", "/accounts", "/contacts/new", "/accounts/new", "/admin/phone-types", "/sms/settings/departments"]
ALLOWED = {
    "admin": set(PAGES),
    "manager": {"/contacts", "/accounts", "/contacts/new", "/accounts/new"},
    "agent": {"/contacts", "/accounts", "/contacts/new", "/accounts/new"},
    "customer": set(),
}


@pytest.mark.parametrize("role", ALLOWED)
def test_each_role_reaches_only_its_pages(client, login, role):
    login(role)
    for page in PAGES:
        expected = 200 if page in ALLOWED[role] else 403
        assert client.get(page).status_code == expected, (role, page)


def _csrf_token(page):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', page).group(
        1, 2
    )


def test_every_form_needs_a_csrf_token(make_app, make_crm_user, make_contact):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    make_crm_user("admin", "admin")
    contact = make_contact()
    assert client.post("/login", data={"username": "admin", "password": PASSWORD}).status_code == 400
    token = next(filter(None, _csrf_token(client.get("/login").text)))
    response = client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    for url in [
        "/contacts/new",
        f"/contacts/{contact.host_id}/edit",
        "/accounts/new",
        f"/contacts/{contact.host_id}/phones",
        f"/phones/{contact.phone_numbers[0].id}/delete",
        "/admin/phone-types",
        "/sms/settings/departments",
        "/logout",
    ]:
        assert client.post(url, data={"first_name": "X", "last_name": "Y", "name": "Z"}).status_code == 400, url
    assert len(contact.phone_numbers) == 1
