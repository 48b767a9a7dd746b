"""HTTP: forms, pages, HTMX fragments. Views validate, call one service, commit."""

from flask import Blueprint, current_app, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import Forbidden, NotFound

from ..models import db
from ..models.base import database_busy
from ..services.access import Denied
from ..services.auth import PERMISSIONS
from . import _input

#: Seconds a client is told to wait before trying again when the database is busy.
RETRY_AFTER = "5"


def register(app):
    # Templates (a host overrides one by putting a file at the same path) and static files.
    app.register_blueprint(Blueprint(
        "crm_sms", "crm_sms", static_folder="static", static_url_path="/crm_sms/static", template_folder="templates"
    ))
    from . import campaigns, consent, conversations, health, messages, sms_settings, templates, triggers, webhooks

    pages = [campaigns, consent, conversations, health, messages, sms_settings, templates, triggers]
    for module in (*pages, webhooks):
        app.register_blueprint(module.bp)
    app.register_error_handler(Denied, _denied)
    if app.config["CRM_SMS_CRM_PAGES"]:
        from . import accounts, admin, auth, contacts, phone_numbers

        pages += [auth, accounts, contacts, phone_numbers, admin]
        for module in (auth, accounts, contacts, phone_numbers, admin):
            app.register_blueprint(module.bp)
        app.register_error_handler(403, _forbidden)
        app.register_error_handler(404, _not_found)
    # The webhooks check their own fields, and answer the provider in JSON.
    guarded = {module.bp.name for module in pages}
    app.before_request(lambda: _input.check_request() if request.blueprint in guarded else None)
    app.register_error_handler(400, lambda error: _bad_request(error) if request.blueprint in guarded else error)
    app.register_error_handler(OperationalError, _busy)


def _denied(error):
    """An object the user may not have: 404 when they may not know it exists, else 403 (the host's pages)."""
    return current_app.handle_http_exception(NotFound() if error.hidden else Forbidden(description=error.permission))


def _forbidden(error):
    permission = getattr(error, "description", None)
    return render_template(
        "crm_sms/errors/403.html", permission=permission, needed=PERMISSIONS.get(permission)
    ), 403


def _not_found(error):
    return render_template("crm_sms/errors/404.html"), 404


def _bad_request(error):
    return render_template("crm_sms/errors/400.html", reason=error.description), 400


def _busy(error):
    """A statement stopped at the database's statement or lock timeout: 503, so people and the provider retry."""
    if not database_busy(error):
        raise error
    db.session.rollback()
    return render_template("crm_sms/errors/503.html"), 503, {"Retry-After": RETRY_AFTER}
