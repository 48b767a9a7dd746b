"""Security headers on every response, secure cookies over HTTPS, and the proxies that tell."""

import pytest

PAGE = "/login"


def _set_cookies(response):
    return {cookie.split("=", 1)[0]: cookie for cookie in response.headers.getlist("Set-Cookie")}


@pytest.mark.parametrize("url", [PAGE, "/sms/health", "/no-such-page"])
def test_every_response_carries_the_security_headers(client, url):
    headers = client.get(url).headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get(PAGE).headers
    assert client.get(PAGE, base_url="https://localhost").headers["Strict-Transport-Security"] == "max-age=31536000"


def test_a_header_the_host_set_is_kept(make_app):
    app = make_app()

    @app.after_request
    def host_headers(response):
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        response.headers["Content-Security-Policy"] = "default-src 'self' https://cdn.example.com"
        return response

    headers = app.test_client().get(PAGE).headers
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert headers["Content-Security-Policy"] == "default-src 'self' https://cdn.example.com"


def test_a_host_can_turn_the_headers_or_only_the_policy_off(make_app):
    none = make_app(CRM_SMS_SECURITY_HEADERS="false").test_client().get(PAGE).headers
    assert "X-Content-Type-Options" not in none and "Content-Security-Policy" not in none
    no_policy = make_app(CRM_SMS_CONTENT_SECURITY_POLICY="").test_client().get(PAGE).headers
    assert "Content-Security-Policy" not in no_policy and no_policy["X-Frame-Options"] == "DENY"


def test_plain_http_cookies_are_not_secure_but_are_httponly_and_lax(client, make_user):
    make_user("agent")
    response = client.post(PAGE, data={"username": "agent", "password": "secret-pass", "remember": "y"})
    cookies = _set_cookies(response)
    for name in ("session", "remember_token"):
        assert "HttpOnly" in cookies[name] and "SameSite=Lax" in cookies[name]
        assert "Secure" not in cookies[name]


def test_over_https_the_session_and_remember_cookies_are_secure(make_app, make_user):
    make_user("agent")
    client = make_app(CRM_SMS_HTTPS="true").test_client()
    response = client.post(
        PAGE, data={"username": "agent", "password": "secret-pass", "remember": "y"}, base_url="https://crm.example.com"
    )
    cookies = _set_cookies(response)
    assert "Secure" in cookies["session"] and "Secure" in cookies["remember_token"]


def test_behind_a_trusted_proxy_its_https_counts(make_app):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    behind = make_app(CRM_SMS_PROXIES=1).test_client().get(PAGE, headers=forwarded)
    assert "Strict-Transport-Security" in behind.headers
    direct = make_app().test_client().get(PAGE, headers=forwarded)  # no proxy: a client's claim is ignored
    assert "Strict-Transport-Security" not in direct.headers
