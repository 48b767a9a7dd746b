"""Login throttling: failed logins counted in Redis, per username and address, and per address.

A window opens at the first failure and closes ``CRM_SMS_LOGIN_WINDOW``
seconds later, whatever happens in between, so a refused person is told
exactly when to try again. Counts live in Redis so every web process shares
them; if Redis is away, logins are not throttled rather than refused.
"""

import hashlib
import logging
from dataclasses import dataclass

from redis.exceptions import RedisError

from ..config import config_value
from ..queue import redis

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Locked:
    """Logins refused for ``retry_after`` more seconds."""

    retry_after: int

    @property
    def message(self):
        minutes = -(-self.retry_after // 60)  # rounded up: never too early
        wait = _count(self.retry_after, "second") if self.retry_after < 60 else _count(minutes, "minute")
        return f"Too many failed logins. Try again in {wait}."


def _count(number, word):
    return f"{number} {word}{'s' if number != 1 else ''}"


def _keys(username, address):
    # Hashed: a username is anything typed in the form, and may be long.
    user = hashlib.sha256((username or "").strip().lower().encode()).hexdigest()[:32]
    return f"crm_sms:login:fail:{user}:{address}", f"crm_sms:login:fail:{address}"


def locked(username, address):
    """Whether logins for ``username`` from ``address`` are refused now: a Locked, or None."""
    limits = (config_value("LOGIN_ATTEMPTS"), config_value("LOGIN_ATTEMPTS_PER_IP"))
    try:
        pipe = redis().pipeline(transaction=False)
        for key in _keys(username, address):
            pipe.get(key)
            pipe.ttl(key)
        user_count, user_ttl, address_count, address_ttl = pipe.execute()
    except RedisError:
        log.warning("login throttling skipped: Redis is unavailable", exc_info=True)
        return None
    waits = [
        ttl
        for count, ttl, limit in ((user_count, user_ttl, limits[0]), (address_count, address_ttl, limits[1]))
        if count is not None and int(count) >= limit
    ]
    return Locked(max(1, max(waits))) if waits else None


def failed(username, address):
    """Count one failed login for ``username`` from ``address``."""
    window = config_value("LOGIN_WINDOW")
    try:
        pipe = redis().pipeline()
        for key in _keys(username, address):
            pipe.set(key, 0, ex=window, nx=True)  # the window opens at the first failure
            pipe.incr(key)
        pipe.execute()
    except RedisError:
        log.warning("login throttling skipped: Redis is unavailable", exc_info=True)


def succeeded(username, address):
    """A successful login clears the failures of that username from that address (not the address's)."""
    try:
        redis().delete(_keys(username, address)[0])
    except RedisError:
        log.warning("login throttling skipped: Redis is unavailable", exc_info=True)
