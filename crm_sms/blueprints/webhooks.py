"""Vonage's webhooks: delivery receipts and inbound messages, in GET, form POST or JSON POST shape.

Answers 204 as soon as the event is stored (Vonage re-sends for 24 hours
otherwise), 401 for a bad signature, 400 for a body that is no event.
"""

import logging

from flask import Blueprint, abort, request

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
    params = _params()
    if not provider_events.provider().verify_signature(params):
        log.warning("webhook %s refused: bad signature", kind, extra={"event": "webhook", "kind": kind})
        return {"error": "bad signature"}, 401
    try:
        receive(params)
    except WebhookError as error:
        log.warning("webhook %s refused: %s", kind, error, extra={"event": "webhook", "kind": kind})
        return {"error": str(error)}, 400
    db.session.commit()
    log.info("webhook %s stored", kind, extra={"event": "webhook", "kind": kind})
    return "", 204


@bp.route("/vonage/status", methods=["GET", "POST"])
@csrf.exempt
def status():
    return _handle("receipt", provider_events.receive_receipt)


@bp.route("/vonage/inbound", methods=["GET", "POST"])
@csrf.exempt
def inbound():
    return _handle("inbound", provider_events.receive_inbound)
