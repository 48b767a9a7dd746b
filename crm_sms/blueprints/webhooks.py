"""Vonage's webhooks: delivery receipts and inbound messages, in GET, form POST or JSON POST shape.

Answers 204 as soon as the event is stored (Vonage re-sends for 24 hours
otherwise), 401 for a bad or stale signature (the error says which), 400 naming the field for a body that is
no event or holds what the database cannot store (sending it again would not
help), 503 while the database is busy or unavailable (Vonage sends it again
later; nothing is half-stored).
"""

import logging
import math
import time

from flask import Blueprint, abort, request
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from .. import logs
from ..extension import csrf
from ..models import db
from ..models.base import database_busy
from ..providers import WebhookError
from ..services import provider_events
from ._input import readable, unstorable
from ._views import RETRY_AFTER

bp = Blueprint("webhooks", __name__, url_prefix="/sms/webhooks")
log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # a receipt or message part is a few hundred bytes


def _params():
    # Read one byte past the limit: a chunked body announces no length, and werkzeug stops at
    # max_content_length without refusing, so only the extra byte tells "too big" from "just fits".
    request.max_content_length = MAX_BODY + 1
    if len(request.get_data(cache=True)) > MAX_BODY:
        abort(413)
    if request.method == "GET":
        params = request.args.to_dict()
    elif request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            abort(400, description="expected a JSON object")
        params = {key: value for key, value in body.items() if isinstance(value, (str, int, float, bool))}
        _check_storable(params)
        return {key: _as_text(value) for key, value in params.items()}
    else:
        params = request.form.to_dict()
    _check_storable(params)
    return params


def _as_text(value):
    """A JSON scalar as the GET and form shapes carry it: ``true``, ``2`` (not ``2.0``), text as it is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _check_storable(params):
    """400 naming the first field the database could not store: a control character or lone surrogate in its name
    or text, or a number that is not finite (JSON's Infinity, NaN, 1e999). Every field is kept with the event."""
    for name, value in params.items():
        if unstorable(name) or isinstance(value, str) and unstorable(value):
            abort(400, description=f"{readable(name)} holds a character that cannot be stored (such as NUL)")
        if isinstance(value, float) and not math.isfinite(value):
            abort(400, description=f"{readable(name)} is not a finite number")


def _handle(kind, receive):
    """Store one event; one log record per webhook says what came of it (an error too)."""
    started = time.monotonic()
    outcome, status = "error", 500
    try:
        outcome, (body, status) = _receive(receive)
        return body, status
    except HTTPException as error:
        outcome, status = error.description, error.code
        if status == 400:
            return {"error": error.description}, 400
        raise
    except (OperationalError, InterfaceError) as error:  # busy or gone: the provider sends it again later
        outcome, status = "database busy" if database_busy(error) else "database unavailable", 503
        _rollback()
        return {"error": outcome}, 503, {"Retry-After": RETRY_AFTER}
    finally:
        log.log(
            logging.INFO if status < 400 else logging.WARNING,
            "webhook %s: %s",
            kind,
            outcome,
            extra={
                "event": "webhook",
                "kind": kind,
                "outcome": outcome,
                "status_code": status,
                "duration_ms": logs.since(started),
            },
        )


def _rollback():
    try:
        db.session.rollback()
    except (OperationalError, InterfaceError):
        pass  # the connection is gone with the database: the pool replaces it


def _receive(receive):
    params = _params()
    problem = provider_events.provider().signature_problem(params)
    if problem:
        return problem, ({"error": problem}, 401)
    try:
        receive(params)
    except WebhookError as error:
        return f"refused: {error}", ({"error": str(error)}, 400)
    db.session.commit()
    return "stored", ("", 204)


@bp.route("/vonage/status", methods=["GET", "POST"])
@csrf.exempt
def status():
    return _handle("receipt", provider_events.receive_receipt)


@bp.route("/vonage/inbound", methods=["GET", "POST"])
@csrf.exempt
def inbound():
    return _handle("inbound", provider_events.receive_inbound)
