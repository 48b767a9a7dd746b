"""What every view shares: permission checks, page-or-fragment rendering, pagination."""

from functools import wraps
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, make_response, redirect, render_template, url_for
from flask_login import login_required
from sqlalchemy.exc import OperationalError

from ..config import config_value
from ..extension import htmx
from ..host import HostError
from ..models import db, kind_of
from ..models.base import database_busy
from ..services import access, records, settings
from ..services.auth import PERMISSIONS, can, person
from . import _input

#: Seconds a client is told to wait before trying again when the database is busy.
RETRY_AFTER = "5"


def pages(name, import_name, **options):
    """A blueprint of pages people use: every request is checked at the door (``_input.check_request``), and a
    bad request or a busy database answers crm_sms's page; the host's own routes keep their own handlers."""
    bp = Blueprint(name, import_name, **options)
    bp.before_request(_input.check_request)
    bp.register_error_handler(400, _bad_request)
    bp.register_error_handler(403, forbidden)
    bp.register_error_handler(OperationalError, _busy)
    return bp


def forbidden(error):
    """crm_sms's 403 page: which permission the page needs, in the configured layout."""
    permission = getattr(error, "description", None)
    home = url_for("auth.index") if "auth" in current_app.blueprints else None
    page = render_template(
        "crm_sms/errors/403.html", permission=permission, needed=PERMISSIONS.get(permission), home=home
    )
    return page, 403


def _bad_request(error):
    return render_template("crm_sms/errors/400.html", reason=error.description), 400


def _busy(error):
    """A statement stopped at the database's statement or lock timeout: 503, so people and the provider retry."""
    if not database_busy(error):
        raise error
    db.session.rollback()
    return render_template("crm_sms/errors/503.html"), 503, {"Retry-After": RETRY_AFTER}


def permission_required(permission):
    """Log in first, then 403 (naming the missing permission) unless the user holds it."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if not can(person(), permission):  # None: the host gives this user no role
                abort(403, description=permission)
            return view(*args, **kwargs)

        wrapper.permission = permission  # what the role table must grant (tests/test_access.py reads it)
        return wrapper

    return decorator


def render(template, fragment=None, status=200, **context):
    """The whole page, or only ``fragment`` when htmx asks for part of it.

    A history restore asks for the whole page even though it comes from htmx.
    """
    partial = fragment is not None and bool(htmx) and not htmx.history_restore_request
    return render_template(fragment if partial else template, **context), status, {"Vary": "HX-Request"}


def go(url):
    """Leave the page: htmx follows HX-Redirect, a plain form a 303."""
    if htmx:
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, 303)


def linked(host_record):
    """crm_sms's ``Record`` of a host record, for a part of the host's page (``sms_consent(record)``...); None,
    logged, when the host adapter answers what crm_sms cannot use: the page stands, and the SMS panel says why."""
    try:
        return records.link(host_record)
    except HostError as error:
        current_app.logger.error("crm_sms cannot read this record: %s", error)
        return None


def owner_or_404(kind, owner_id):
    """The contact or account ``Record``, if the current user may see it (``access.record``), synced with the host."""
    return access.record(person(), kind, owner_id)


def owner_url(owner):
    """The page of a contact or an account ``Record`` on the host (the SMS panel alone once the host deleted it)."""
    return records.url(owner) or url_for("messages.panel", kind=owner.kind, owner_id=owner.id)


def render_owner(record, fragment, status=200, **context):
    """``fragment`` for htmx, else a page of crm_sms's around it that names the record and links to its page."""
    kind = kind_of(record)
    context.setdefault(kind[:-1], record)
    return render("crm_sms/record.html", fragment, status=status, record=record, part=fragment, **context)


def paginate(stmt, arg="page"):
    """One page of ``stmt``'s rows, the one the query argument ``arg`` asks for (clamped, never an error)."""
    return db.paginate(stmt, page=_input.page_number(arg), per_page=config_value("PAGE_SIZE"), error_out=False)


def get_or_404(model, id):
    return db.session.get(model, id) or abort(404)


def aware(local):
    """A date typed in the system time zone, as aware UTC (None stays None)."""
    if local is None:
        return None
    return local.replace(tzinfo=ZoneInfo(settings.get("time_zone"))).astimezone(ZoneInfo("UTC"))


def local(moment):
    """An aware time as the system time zone's wall clock, for a date field (None stays None)."""
    return moment.astimezone(ZoneInfo(settings.get("time_zone"))).replace(tzinfo=None) if moment else None
