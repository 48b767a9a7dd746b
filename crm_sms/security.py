"""What the app needs to be served safely: proxy headers, cookies, security headers.

All of it follows settings (``CRM_SMS_HTTPS``, ``CRM_SMS_PROXIES``,
``CRM_SMS_SECURITY_HEADERS``, ``CRM_SMS_CONTENT_SECURITY_POLICY``), and none
of it overrides what the host already chose, except that a remember-me cookie
lasts 14 days at most.
"""

from datetime import timedelta

from flask import current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

HSTS = "max-age=31536000"
#: The longest a "Keep me logged in" cookie lasts (Flask-Login's default is a year).
REMEMBER_AT_MOST = timedelta(days=14)


def init_app(app):
    proxies = app.config["CRM_SMS_PROXIES"]
    if proxies:
        # The client's address and scheme as the nearest proxies saw them, never as a client claims.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies)
    _cookies(app.config)
    if app.config["CRM_SMS_SECURITY_HEADERS"]:
        app.after_request(_add_headers)


def _cookies(config):
    # The session cookie already is HttpOnly (Flask), the remember-me one too (Flask-Login).
    if config["SESSION_COOKIE_SAMESITE"] is None:  # Flask's default: the host did not choose
        config["SESSION_COOKIE_SAMESITE"] = "Lax"
    config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    duration = config.get("REMEMBER_COOKIE_DURATION", REMEMBER_AT_MOST)
    if not isinstance(duration, timedelta):
        duration = timedelta(seconds=duration)  # Flask-Login takes seconds too
    config["REMEMBER_COOKIE_DURATION"] = min(duration, REMEMBER_AT_MOST)
    if config["CRM_SMS_HTTPS"]:
        config["SESSION_COOKIE_SECURE"] = True
        config.setdefault("REMEMBER_COOKIE_SECURE", True)
        config["PREFERRED_URL_SCHEME"] = "https"


def _add_headers(response):
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    policy = current_app.config["CRM_SMS_CONTENT_SECURITY_POLICY"]
    if policy:
        headers.setdefault("Content-Security-Policy", policy)
    if request.is_secure:  # over plain HTTP a browser ignores it, and a proxy's HTTPS is known by ProxyFix
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response
