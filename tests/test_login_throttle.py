"""Login throttling: failures counted in Redis per username and address, and per address."""

import re
import time

import pytest

GOOD = "secret-pass"


@pytest.fixture
def attempt(client):
    def attempt(username, password="wrong-password", address="198.51.100.7", app_client=None):
        return (app_client or client).post(
            "/login", data={"username": username, "password": password}, environ_overrides={"REMOTE_ADDR": address}
        )

    return attempt


def test_the_sixth_try_is_refused_even_with_the_right_password(make_crm_user, attempt):
    make_crm_user("agent")
    assert [attempt("agent").status_code for _ in range(5)] == [401] * 5
    refused = attempt("agent", GOOD)
    assert refused.status_code == 429
    assert "Too many failed logins. Try again in 15 minutes." in refused.text
    assert 890 <= int(refused.headers["Retry-After"]) <= 900


def test_another_user_from_the_same_address_is_not_locked_out(make_crm_user, attempt):
    make_crm_user("agent")
    make_crm_user("agent2")
    for _ in range(5):
        attempt("agent")
    assert attempt("agent2", GOOD).status_code == 302


def test_the_same_user_from_another_address_is_not_locked_out(make_crm_user, attempt):
    make_crm_user("agent")
    for _ in range(5):
        attempt("agent")
    assert attempt("agent", GOOD, address="192.0.2.1").status_code == 302


def test_an_address_trying_many_usernames_is_locked_out(make_app, make_crm_user, attempt):
    make_crm_user("agent")
    client = make_app(CRM_SMS_LOGIN_ATTEMPTS_PER_IP=3).test_client()
    for name in ("alice", "bob", "carol"):
        attempt(name, app_client=client)
    assert attempt("agent", GOOD, app_client=client).status_code == 429


def test_the_lock_lifts_after_the_window(make_app, make_crm_user, attempt):
    make_crm_user("agent")
    client = make_app(CRM_SMS_LOGIN_WINDOW=3).test_client()
    for _ in range(5):
        attempt("agent", app_client=client)
    refused = attempt("agent", GOOD, app_client=client)
    assert refused.status_code == 429
    assert re.search(r"Try again in [123] seconds?\.", refused.text)
    time.sleep(3.1)  # the window opened at the first failure, before this
    assert attempt("agent", GOOD, app_client=client).status_code == 302


def test_a_successful_login_does_not_count_and_clears_the_failures(client, make_crm_user, attempt):
    make_crm_user("agent")
    for _ in range(4):
        attempt("agent")
    assert attempt("agent", GOOD).status_code == 302
    client.post("/logout")
    for _ in range(4):
        attempt("agent")
    assert attempt("agent", GOOD).status_code == 302


def test_usernames_are_counted_whatever_their_case_and_spaces(make_crm_user, attempt):
    make_crm_user("agent")
    for name in ("agent", "AGENT", " Agent ", "agent", "aGent"):
        attempt(name)
    assert attempt("agent", GOOD).status_code == 429


def test_without_redis_logins_still_work_unthrottled(make_app, make_crm_user, attempt):
    make_crm_user("agent")
    client = make_app(CRM_SMS_REDIS_URL="redis://127.0.0.1:1/0").test_client()
    for _ in range(6):
        attempt("agent", app_client=client)
    assert attempt("agent", GOOD, app_client=client).status_code == 302
