"""The Flask extension: ``CrmSms(app)`` or ``CrmSms().init_app(app)``."""

from decimal import Decimal
from importlib.util import find_spec

from flask import current_app, g, render_template, request, url_for
from flask_htmx import HTMX
from flask_wtf.csrf import CSRFProtect
from markupsafe import Markup
from werkzeug.local import LocalProxy

from . import config, logs, own_rows, providers, security
from .crm import BuiltinHost
from .host import HostError
from .models import db
from .models.base import timeout_options

csrf = CSRFProtect()
htmx = HTMX()


class _State:
    """What crm_sms keeps per app, in ``app.extensions["crm_sms"]``."""

    def __init__(self, app, database, host, builtin):
        self._app = app
        #: The Flask-SQLAlchemy instance crm_sms's models run in: the host's, or crm_sms's own.
        self.db = database
        #: The CRM crm_sms serves (``crm_sms.host.Host``); ``crm_sms.host.host`` is the current app's.
        self.host = host
        #: Whether the built-in CRM is the host: its tables are then migrated too (``flask crm-sms upgrade``).
        self.builtin = builtin
        self._redis = None
        self.provider = providers.create(app.config, self._report)

    @property
    def redis(self):
        if self._redis is None:
            from .queue import connect

            self._redis = connect(self._app)
        return self._redis

    def _report(self, delay, kind, params):
        from .services import provider_events

        provider_events.schedule_simulated(delay, kind, params)


#: The current app's crm_sms state.
state = LocalProxy(lambda: current_app.extensions["crm_sms"])


class CrmSms:
    """``CrmSms(app, db=host_db, host=MyHost())``: crm_sms in a host app, in the host's database.

    ``db`` is the host's Flask-SQLAlchemy instance (already ``init_app``-ed on ``app``): crm_sms's tables
    live in its database and crm_sms's writes join its session's transaction. Without one, crm_sms uses
    the app's Flask-SQLAlchemy if it has one, else its own. ``host`` is the host adapter (a
    ``crm_sms.Host``); None is the built-in CRM.
    """

    def __init__(self, app=None, db=None, host=None):
        if app is not None:
            self.init_app(app, db=db, host=host)

    def init_app(self, app, db=None, host=None):
        """Serve SMS in ``app`` for ``host``, in ``db``; no host: the built-in CRM.

        A host that lacks a required method or attribute fails here, naming it. With a host, its LoginManager
        logs people in (crm_sms never sets one up) and its users' roles say what they may do; the built-in
        CRM's login, user and record pages are not served.
        """
        host = host if host is not None else BuiltinHost()
        host.check()
        config.load(app)
        if app.config["CRM_SMS_LOG_FORMAT"] != "none":
            logs.install(app.config["CRM_SMS_LOG_FORMAT"])
        security.init_app(app)
        database = _database(app, db)
        if "csrf" not in app.extensions:
            csrf.init_app(app)
        if not hasattr(app, "htmx"):
            htmx.init_app(app)
        builtin = isinstance(host, BuiltinHost)
        app.extensions["crm_sms"] = _State(app, database, host, builtin)

        from . import cli
        from .blueprints import register
        from .services import holds, people, readiness
        from .services.auth import can

        app.cli.add_command(cli.group)
        app.jinja_env.globals["can"] = lambda permission: can(people.current(), permission)
        app.jinja_env.globals["current_person"] = people.current_person
        app.jinja_env.globals["sms_settings_missing"] = readiness.missing
        app.jinja_env.globals["sms_panel"] = _sms_panel
        app.jinja_env.globals["sms_assets"] = sms_assets
        app.jinja_env.globals["record_url"] = _record_url
        app.jinja_env.globals["host_name"] = host.name
        app.jinja_env.globals["host_id"] = host.id_of
        app.jinja_env.globals["host_url"] = host.url
        app.jinja_env.filters["localtime"] = _localtime
        app.jinja_env.filters["money"] = _money
        app.jinja_env.filters["held_until"] = holds.describe
        crm_pages = builtin and app.config["CRM_SMS_CRM_PAGES"]
        app.jinja_env.globals["crm_sms_crm_pages"] = crm_pages  # templates link the built-in CRM's pages only then
        if crm_pages and not hasattr(app, "login_manager"):
            from .crm.auth import login_manager

            login_manager.init_app(app)
        register(app, crm_pages=crm_pages)
        own_rows.init_app(app)


def _database(app, host_db):
    """The Flask-SQLAlchemy instance crm_sms runs in: the host's (given, or the app's), else crm_sms's own.

    Only crm_sms's own gets crm_sms's database URL and PostgreSQL timeouts: a host configures its own.
    """
    if host_db is not None and host_db is not db:
        if app.extensions.get("sqlalchemy") is not host_db:
            raise RuntimeError(
                "CrmSms(app, db=...) got a Flask-SQLAlchemy instance that is not registered on this app: "
                "call db.init_app(app) (or SQLAlchemy(app)) before CrmSms(app, db=db)."
            )
        return host_db
    if "sqlalchemy" in app.extensions and app.extensions["sqlalchemy"] is not db:
        return app.extensions["sqlalchemy"]
    if "sqlalchemy" not in app.extensions:
        app.config.setdefault("SQLALCHEMY_DATABASE_URI", config.database_url(app))
        _require_driver(app.config["SQLALCHEMY_DATABASE_URI"])
        _database_timeouts(app)
        db.init_app(app)
    return db


def _require_driver(url):
    """Stop at start-up, saying what to install, when the database is PostgreSQL and its driver (an extra) is
    missing."""
    if str(url).startswith("postgresql+psycopg") and find_spec("psycopg") is None:
        raise RuntimeError(
            "The database is PostgreSQL but its driver is not installed: pip install 'crm-sms[postgres]'"
        )


def _database_timeouts(app):
    """PostgreSQL sessions stop a statement after STATEMENT_TIMEOUT and a wait for a lock after LOCK_TIMEOUT.

    Set as connect options, so every connection of the pool has them from the start, workers' too.
    """
    if not str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        return
    options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})
    connect_args = options.get("connect_args", {})
    timeouts = timeout_options(config.config_value("STATEMENT_TIMEOUT", app), config.config_value("LOCK_TIMEOUT", app))
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **options,
        "connect_args": {**connect_args, "options": f"{connect_args.get('options', '')} {timeouts}".strip()},
    }


def _sms_panel(record):
    """The SMS subpanel for a host contact or account page: ``{{ sms_panel(contact) }}`` in the host's template.

    The record is linked (and synced with the host) first, so the panel shows its numbers as they are now.
    """
    from .blueprints.messages import panel_context
    from .services import people, records
    from .services.auth import can

    if not can(people.current(), "sms.view"):
        return ""
    try:
        record = records.link(record)
    except HostError as error:
        # A host adapter that answers something crm_sms cannot use: the page stands, the panel says what is wrong.
        current_app.logger.error("crm_sms cannot show the SMS panel: %s", error)
        return Markup(render_template("crm_sms/messages/_panel_error.html", error=error))
    # A host's record page does not extend crm_sms/base.html: the panel brings the assets it needs.
    panel = render_template("crm_sms/messages/_panel.html", **panel_context(record))
    return sms_assets() + Markup(panel)


def sms_assets():
    """crm_sms's css, htmx and scripts (``crm_sms/_assets.html``) the first time a page asks, nothing after."""
    page = request._get_current_object()  # per request: an app context may outlive one (tests keep one open)
    if g.get("crm_sms_assets") is page:
        return Markup("")
    g.crm_sms_assets = page
    return Markup(render_template("crm_sms/_assets.html"))


def _record_url(record):
    """The link to a crm_sms ``Record``'s page on the host (through a redirect: lists ask the host nothing)."""
    return url_for("messages.open_record", record_id=record.id) if record is not None else None


def _localtime(value):
    """A stored UTC time as the system time zone's wall clock."""
    from zoneinfo import ZoneInfo

    from .services import settings

    return value.astimezone(ZoneInfo(settings.get("time_zone"))).strftime("%Y-%m-%d %H:%M") if value else ""


def _money(amount, places=None):
    """An amount in the provider account's currency: ``1.83 EUR``; to ``places`` decimals, else as given."""
    if amount is None:
        return ""
    number = Decimal(str(amount))
    return f"{number if places is None else f'{number:.{places}f}'} {config.config_value('CURRENCY')}"
