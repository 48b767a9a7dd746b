"""Vonage's webhooks: delivery receipts and inbound messages, in GET, form POST or JSON POST shape.

Answers 204 as soon as the event is stored (Vonage re-sends for 24 hours
otherwise), 401 for a bad signature, 400 for a body that is no event, 503 while
the database is unavailable (Vonage sends it again later; nothing is half-stored).
"""

import logging
import time

from flask import Blueprint, abort, request
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from .. import logs
from ..extension import csrf
from ..models import db
from ..providers import WebhookError
from ..services import provider_events

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
        return request.args.to_dict()
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            abort(400, description="expected a JSON object")
        return {key: value for key, value in body.items() if isinstance(value, (str, int, float, bool))}
    return request.form.to_dict()


def _handle(kind, receive):
    """Store one event; one log record per webhook says what came of it (an error too)."""
    started = time.monotonic()
    outcome, status = "error", 500
    try:
        outcome, (body, status) = _receive(receive)
        return body, status
    except HTTPException as error:
        outcome, status = error.description, error.code
        raise
    except (OperationalError, InterfaceError):  # the database went away: the provider retries, so say "later"
        outcome, status = "database unavailable", 503
        _rollback()
        return {"error": "database unavailable"}, 503, {"Retry-After": "30"}
    finally:
        log.log(logging.INFO if status < 400 else logging.WARNING, "webhook %s: %s", kind, outcome, extra={
            "event": "webhook", "kind": kind, "outcome": outcome, "status_code": status,
            "duration_ms": logs.since(started)})


def _rollback():
    try:
        db.session.rollback()
    except (OperationalError, InterfaceError):
        pass  # the connection is gone with the database: the pool replaces it


def _receive(receive):
    params = _params()
    if not provider_events.provider().verify_signature(params):
        return "bad signature", ({"error": "bad signature"}, 401)
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
