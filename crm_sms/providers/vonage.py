"""Vonage's SMS API through the official SDK (the only module that imports it)."""

import hmac
import time

import requests
from vonage import Auth, HttpClientOptions, Vonage
from vonage_http_client.errors import HttpRequestError, RateLimitedError
from vonage_sms import SmsMessage

from . import vonage_format
from .base import Provider, SendResult

#: Seconds a signed webhook's ``timestamp`` may be from now, either way: an older one may be a replay.
MAX_SIGNATURE_AGE = 300


class VonageProvider(Provider):
    name = "vonage"

    def __init__(
        self,
        api_key,
        api_secret=None,
        signature_secret=None,
        signature_method="md5",
        rest_host="rest.nexmo.com",
        timeout=10,
    ):
        self._auth = Auth(
            api_key=api_key,
            api_secret=api_secret,
            signature_secret=signature_secret,
            signature_method=signature_method,
        )
        # Retries belong to the sending pipeline (with backoff), not to the HTTP adapter.
        options = HttpClientOptions(rest_host=rest_host, timeout=timeout, max_retries=0)
        self._http = Vonage(self._auth, options).http_client
        self._signed = bool(signature_secret)

    def send(self, sms):
        message = SmsMessage(
            to=sms.to.lstrip("+"),
            from_=sms.sender.lstrip("+"),
            text=sms.text,
            client_ref=sms.client_ref,
            type="unicode" if sms.unicode else "text",
        )
        params = message.model_dump(by_alias=True, exclude_none=True)
        # The SDK's sms.send() raises one error for every non-zero status; the raw
        # answer lets each status be classified as retry or fail.
        try:
            answer = self._http.post(
                self._http.rest_host, "/sms/json", params, "signature" if self._signed else "basic", "form"
            )
        except RateLimitedError:
            return SendResult("retry", code="429", reason="Throttled: HTTP 429 from the provider")
        except HttpRequestError as error:
            status = error.response.status_code
            outcome = "retry" if status >= 500 or status in (401, 403) else "failed"
            return SendResult(outcome, code=str(status), reason=f"Provider answered HTTP {status}")
        except requests.Timeout:
            return SendResult("retry", code="timeout", reason="The provider did not answer in time")
        except requests.ConnectionError:
            return SendResult("retry", code="connection", reason="Could not reach the provider")
        return vonage_format.send_result(answer)

    def parse_receipt(self, params, limits=None):
        return vonage_format.parse_receipt(params, limits)

    def parse_inbound(self, params, limits=None):
        return vonage_format.parse_inbound(params, limits)

    def signature_problem(self, params, now=None):
        if not self._signed:
            return None
        signature = str(params.get("sig") or "").lower()
        if not signature:
            return "bad signature: the webhook is not signed"
        # First the signed time: the SDK signs a fresh one in when there is none, so none would read as forged.
        stale = _stale(params.get("timestamp"), time.time() if now is None else now)
        if stale:
            return stale
        # The SDK's check compares text, which raises for a non-ASCII signature: compare bytes, which never does.
        expected = self._auth.sign_params({key: str(value) for key, value in params.items() if key != "sig"})
        if not hmac.compare_digest(signature.encode("utf-8", "replace"), expected.encode()):
            return "bad signature"
        return None


def _stale(timestamp, now):
    """Why a signed webhook's ``timestamp`` (unix seconds, signed with it) is not fresh, or None when it is."""
    if timestamp is None or not str(timestamp).strip():
        return "bad signature: the signed webhook has no timestamp"
    try:
        at = int(str(timestamp).strip())
    except ValueError:
        return "bad signature: the timestamp is not a unix time"
    if abs(at - now) > MAX_SIGNATURE_AGE:
        return f"bad signature: the timestamp is more than {MAX_SIGNATURE_AGE // 60} minutes from now"
    return None
