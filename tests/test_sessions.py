"""Sessions end: logout and a new password log a user out everywhere, remember-me cookies included."""

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest

from crm_sms.crm import users
from crm_sms.crm.models import User
from crm_sms.models import db

from .conftest import PASSWORD


def _log_in(client, username="agent", remember=False):
    data = {"username": username, "password": PASSWORD} | ({"remember": "y"} if remember else {})
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.text
    return response


def _status(app, client, url="/contacts"):
    """The status of a page as a new request sees it (the tests' app context would keep the last user loaded)."""
    with app.app_context():
        return client.get(url).status_code


def _client_with(app, name, value):
    """A fresh browser holding only a copy of one cookie."""
    other = app.test_client()
    other.set_cookie(name, value)
    return other


def test_a_session_cookie_copied_before_logout_no_longer_opens_a_page(app, client, make_crm_user):
    make_crm_user("agent")
    _log_in(client)
    copied = client.get_cookie("session").value
    assert _status(app, _client_with(app, "session", copied)) == 200
    client.post("/logout")
    assert _status(app, _client_with(app, "session", copied)) == 302


def test_a_remember_me_cookie_copied_before_logout_no_longer_logs_in(app, client, make_crm_user):
    make_crm_user("agent")
    _log_in(client, remember=True)
    copied = client.get_cookie("remember_token").value
    assert _status(app, _client_with(app, "remember_token", copied)) == 200
    client.post("/logout")
    assert _status(app, _client_with(app, "remember_token", copied)) == 302


def test_each_login_after_a_logout_gets_a_new_remember_me_cookie(app, client, make_crm_user):
    make_crm_user("agent")
    _log_in(client, remember=True)
    first = client.get_cookie("remember_token").value
    client.post("/logout")
    _log_in(client, remember=True)
    assert client.get_cookie("remember_token").value != first
    assert _status(app, client) == 200


def test_a_new_password_ends_every_other_session(app, client, make_crm_user, runner):
    make_crm_user("agent")
    _log_in(client)
    phone = app.test_client()
    _log_in(phone, remember=True)
    remembered = phone.get_cookie("remember_token").value
    result = runner.invoke(args=["crm-sms", "set-password", "agent", "--password", "a-new-secret"])
    assert result.exit_code == 0, result.output
    for other in (client, phone, _client_with(app, "remember_token", remembered)):
        assert _status(app, other) == 302
    assert client.post("/login", data={"username": "agent", "password": "a-new-secret"}).status_code == 302
    assert _status(app, client) == 200


def test_changing_a_password_in_code_ends_sessions_too(app, client, make_crm_user):
    user = make_crm_user("agent")
    _log_in(client)
    assert _status(app, client) == 200
    users.change_password(user, "a-new-secret")
    db.session.commit()
    assert _status(app, client) == 302


def test_set_password_refuses_a_short_password_and_keeps_sessions(app, client, make_crm_user, runner):
    make_crm_user("agent")
    _log_in(client)
    result = runner.invoke(args=["crm-sms", "set-password", "agent", "--password", "short"])
    assert result.exit_code != 0 and "at least 8 characters" in result.output
    assert runner.invoke(args=["crm-sms", "set-password", "nobody", "--password", "long-enough"]).exit_code != 0
    assert _status(app, client) == 200


def test_a_deactivated_user_is_logged_out_at_the_next_request(app, client, make_crm_user):
    user = make_crm_user("agent")
    _log_in(client)
    assert _status(app, client) == 200
    user.active = False
    db.session.commit()
    assert _status(app, client) == 302


def test_remember_me_lasts_fourteen_days_at_most(client, make_crm_user):
    make_crm_user("agent")
    response = _log_in(client, remember=True)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    assert expires <= datetime.now(UTC) + timedelta(days=14, minutes=1)


@pytest.mark.parametrize("chosen", [timedelta(days=365), 365 * 86400])
def test_a_host_cannot_make_remember_me_last_longer(make_app, chosen):
    assert make_app(REMEMBER_COOKIE_DURATION=chosen).config["REMEMBER_COOKIE_DURATION"] == timedelta(days=14)


def test_a_host_may_make_remember_me_shorter(make_app):
    assert make_app(REMEMBER_COOKIE_DURATION=3600).config["REMEMBER_COOKIE_DURATION"] == timedelta(hours=1)


# Login takes as long for any failure: one password hash checked, whatever is wrong.


@pytest.fixture
def hash_checks(monkeypatch):
    calls = []
    real = users.check_password_hash

    def counted(pwhash, password):
        calls.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(users, "check_password_hash", counted)
    return calls


@pytest.mark.parametrize(
    "username, password, active, logs_in",
    [
        ("nobody", PASSWORD, True, False),
        ("agent", PASSWORD, False, False),
        ("agent", "wrong-password", True, False),
        ("agent", PASSWORD, True, True),
        ("", "", True, False),
    ],
)
def test_every_login_checks_exactly_one_password_hash(make_crm_user, hash_checks, username, password, active, logs_in):
    user = make_crm_user("agent")
    user.active = active
    db.session.commit()
    assert (users.authenticate(username, password) is user) is logs_in
    assert len(hash_checks) == 1


def test_an_unknown_user_is_checked_against_a_hash_as_costly_as_a_real_one(make_crm_user, hash_checks):
    user = make_crm_user("agent")
    users.authenticate("nobody", PASSWORD)
    [stand_in] = hash_checks
    assert stand_in.split("$")[0] == user.password_hash.split("$")[0]  # same method and cost


def test_every_user_has_a_session_token_of_their_own(make_crm_user):
    tokens = {make_crm_user(name).session_token for name in ("ada", "grace", "alan")}
    assert len(tokens) == 3 and all(len(token) >= 32 for token in tokens)
    assert db.session.scalar(db.select(db.func.count()).where(User.session_token.is_(None))) == 0
