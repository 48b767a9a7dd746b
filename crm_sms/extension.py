"""The Flask extension: ``CrmSms(app)`` or ``CrmSms().init_app(app)``."""

from decimal import Decimal
from importlib.util import find_spec

from flask import current_app, render_template
from flask_htmx import HTMX
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from markupsafe import Markup
from werkzeug.local import LocalProxy

from . import config, logs, providers, security
from .models import User, db
from .models.base import timeout_options

csrf = CSRFProtect()
login_manager = LoginManager()
htmx = HTMX()


class _State:
    """What crm_sms keeps per app, in ``app.extensions["crm_sms"]``."""

    def __init__(self, app, database, host):
        self._app = app
        #: The Flask-SQLAlchemy instance crm_sms's models run in: the host's, or crm_sms's own.
        self.db = database
        #: The host adapter; None is the built-in CRM.
        self.host = host
        #: Whether the built-in CRM is the host: its tables are then migrated too (``flask crm-sms upgrade``).
        self.builtin = host is None
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
    the app's Flask-SQLAlchemy if it has one, else its own. ``host`` is the host adapter; None is the
    built-in CRM.
    """

    def __init__(self, app=None, db=None, host=None):
        if app is not None:
            self.init_app(app, db=db, host=host)

    def init_app(self, app, db=None, host=None):
        config.load(app)
        if app.config["CRM_SMS_LOG_FORMAT"] != "none":
            logs.install(app.config["CRM_SMS_LOG_FORMAT"])
        security.init_app(app)
        database = _database(app, db)
        if "csrf" not in app.extensions:
            csrf.init_app(app)
        if not hasattr(app, "htmx"):
            htmx.init_app(app)
        app.extensions["crm_sms"] = _State(app, database, host)

        from . import cli
        from .blueprints import register
        from .services.auth import can

        app.cli.add_command(cli.group)
        app.jinja_env.globals["can"] = lambda permission: can(current_user, permission)
        app.jinja_env.globals["sms_panel"] = _sms_panel
        app.jinja_env.filters["localtime"] = _localtime
        app.jinja_env.filters["money"] = _money
        if app.config["CRM_SMS_CRM_PAGES"]:
            if not hasattr(app, "login_manager"):
                login_manager.init_app(app)
                login_manager.login_view = "auth.login"
                login_manager.login_message = "Log in to see that page."
                login_manager.login_message_category = "info"
        register(app)


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
    """The SMS subpanel for a contact or account page: ``{{ sms_panel(contact) }}`` in the host's template."""
    from .blueprints.messages import panel_context
    from .services.auth import can

    if not can(current_user, "sms.view"):
        return ""
    return Markup(render_template("crm_sms/messages/_panel.html", **panel_context(record)))


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


@login_manager.user_loader
def _load_user(session_token):
    """The active user whose current session token a session or remember-me cookie carries (never an old one)."""
    return db.session.scalar(db.select(User).where(User.session_token == session_token, User.active.is_(True)))
