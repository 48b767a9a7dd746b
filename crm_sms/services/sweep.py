"""The periodic sweep: every feature that keeps due work registers what to re-check.

Redis carries work, never facts; the sweep finds in the database what is due
and enqueues it again, so an emptied Redis loses nothing.
"""

import importlib
import time

from ..queue import redis

#: The services that register sweepers; imported before each sweep so a fresh worker runs them all.
FEATURES = (
    "crm_sms.services.campaign_generation",
    "crm_sms.services.campaign_progress",
    "crm_sms.services.campaigns",
    "crm_sms.services.conversations",
    "crm_sms.services.dispatch",
    "crm_sms.services.holds",
    "crm_sms.services.inbound",
    "crm_sms.services.provider_events",
)

LAST_RUN_KEY = "crm_sms:sweep:last_run"

_sweepers = []


def sweeper(func):
    """Register ``func`` to run at every sweep; it returns how much it re-enqueued or settled."""
    _sweepers.append(func)
    return func


def run():
    """Run every registered sweeper; returns {name: result}. Records when it ran (for health checks)."""
    for feature in FEATURES:
        importlib.import_module(feature)
    done = {func.__module__ + "." + func.__name__: func() for func in _sweepers}
    redis().set(LAST_RUN_KEY, time.time())
    return done


def last_run():
    """Unix time of the last sweep, or None if none ran since Redis started."""
    value = redis().get(LAST_RUN_KEY)
    return float(value) if value is not None else None
