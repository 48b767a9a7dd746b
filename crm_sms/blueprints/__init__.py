"""HTTP: forms, pages, HTMX fragments. Views validate, call one service, commit."""

from flask import Blueprint, current_app, render_template
from werkzeug.exceptions import Forbidden, NotFound

from ..services.access import Denied
from ._views import forbidden


def register(app, crm_pages):
    """crm_sms's pages; the built-in CRM's too (login, records, admin) when ``crm_pages``."""
    # Templates (a host overrides one by putting a file at the same path) and static files.
    app.register_blueprint(
        Blueprint(
            "crm_sms", "crm_sms", static_folder="static", static_url_path="/crm_sms/static", template_folder="templates"
        )
    )
    from . import (
        campaigns,
        consent,
        conversations,
        departments,
        health,
        messages,
        sms_settings,
        templates,
        triggers,
        webhooks,
    )

    for module in (
        campaigns,
        consent,
        conversations,
        departments,
        health,
        messages,
        sms_settings,
        templates,
        triggers,
        webhooks,
    ):
        app.register_blueprint(module.bp)
    app.register_error_handler(Denied, _denied)
    if crm_pages:
        from ..crm import auth
        from ..crm.blueprints import accounts, admin, contacts, phone_numbers

        for module in (auth, accounts, contacts, phone_numbers, admin):
            app.register_blueprint(module.bp)
        app.register_error_handler(403, forbidden)
        app.register_error_handler(404, _not_found)


def _denied(error):
    """An object the user may not have: 404 when they may not know it exists, else 403 (the host's pages)."""
    return current_app.handle_http_exception(NotFound() if error.hidden else Forbidden(description=error.permission))


def _not_found(error):
    return render_template("crm_sms/errors/404.html"), 404
