"""The Flask extension: ``CrmSms(app)`` or ``CrmSms().init_app(app)``."""

import os
from decimal import Decimal

from flask import current_app, render_template, url_for
from flask_htmx import HTMX
from flask_login import LoginManager, current_user
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect
from markupsafe import Markup
from werkzeug.local import LocalProxy

from . import config, logs, providers, security
from .crm import BuiltinHost
from .models import User, db
from .models.base import timeout_options

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")

csrf = CSRFProtect()
login_manager = LoginManager()
migrate = Migrate()
htmx = HTMX()


class _State:
    """What crm_sms keeps per app, in ``app.extensions["crm_sms"]``."""

    def __init__(self, app, host):
        self._app = app
        #: The CRM crm_sms serves (``crm_sms.host.Host``).
        self.host = host
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
    def __init__(self, app=None, host=None):
        if app is not None:
            self.init_app(app, host=host)

    def init_app(self, app, host=None):
        """Serve ``host`` (a ``crm_sms.Host``; the built-in CRM when None); a host that lacks a required method
        or attribute fails here, naming it."""
        host = host if host is not None else BuiltinHost()
        host.check()
        config.load(app)
        app.config.setdefault("SQLALCHEMY_DATABASE_URI", config.database_url(app))
        if app.config["CRM_SMS_LOG_FORMAT"] != "none":
            logs.install(app.config["CRM_SMS_LOG_FORMAT"])
        security.init_app(app)
        if "sqlalchemy" not in app.extensions:
            _database_timeouts(app)
            db.init_app(app)
        if "csrf" not in app.extensions:
            csrf.init_app(app)
        if "migrate" not in app.extensions:
            migrate.init_app(app, db, directory=MIGRATIONS)
        if not hasattr(app, "htmx"):
            htmx.init_app(app)
        app.extensions["crm_sms"] = _State(app, host)

        from . import cli
        from .blueprints import register
        from .services.auth import can

        app.cli.add_command(cli.group)
        app.jinja_env.globals["can"] = lambda permission: can(current_user, permission)
        app.jinja_env.globals["sms_panel"] = _sms_panel
        app.jinja_env.globals["record_url"] = _record_url
        app.jinja_env.globals["host_name"] = host.name
        app.jinja_env.globals["host_id"] = host.id_of
        app.jinja_env.globals["host_url"] = host.url
        app.jinja_env.filters["localtime"] = _localtime
        app.jinja_env.filters["money"] = _money
        if app.config["CRM_SMS_CRM_PAGES"]:
            if not hasattr(app, "login_manager"):
                login_manager.init_app(app)
                login_manager.login_view = "auth.login"
                login_manager.login_message = "Log in to see that page."
                login_manager.login_message_category = "info"
        register(app)


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
    from .services import records
    from .services.auth import can

    if not can(current_user, "sms.view"):
        return ""
    return Markup(render_template("crm_sms/messages/_panel.html", **panel_context(records.link(record))))


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


@login_manager.user_loader
def _load_user(session_token):
    """The active user whose current session token a session or remember-me cookie carries (never an old one)."""
    return db.session.scalar(db.select(User).where(User.session_token == session_token, User.active.is_(True)))
