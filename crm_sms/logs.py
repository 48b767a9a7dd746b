"""crm_sms's logs: records of the ``crm_sms`` logger, as text or one JSON object a line.

Every send attempt and every webhook is one record whose ``extra`` fields
(``event``, ``message_id``, ``duration_ms``…) become keys of the JSON object.
The extension never touches the root logger: ``install`` gives the ``crm_sms``
logger a handler of its own, and only when asked (``CRM_SMS_LOG_FORMAT``, the
worker and demo commands).
"""

import json
import logging
import sys
import time
from datetime import UTC, datetime

LOGGER = "crm_sms"

#: Attributes every LogRecord has; whatever else a record carries came in ``extra``.
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, then the record's extra fields."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update((key, value) for key, value in vars(record).items() if key not in _STANDARD)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


FORMATTERS = {
    "json": JsonFormatter,
    "text": lambda: logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"),
}


def install(log_format, stream=None):
    """Write the ``crm_sms`` logger's records (INFO and up) to ``stream`` (stderr) in ``log_format``.

    Replaces a handler installed before, so building several apps never doubles the lines; the records
    stop propagating to the root logger, where the host's own handlers would write them a second time.
    Returns the handler.
    """
    logger = logging.getLogger(LOGGER)
    uninstall()
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(FORMATTERS[log_format]())
    handler.crm_sms = True
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return handler


def uninstall():
    """Remove what ``install`` added: the ``crm_sms`` logger goes back to the host's configuration."""
    logger = logging.getLogger(LOGGER)
    for handler in [h for h in logger.handlers if getattr(h, "crm_sms", False)]:
        logger.removeHandler(handler)
        handler.close()
        logger.setLevel(logging.NOTSET)
        logger.propagate = True


def mask(number):
    """A phone number fit for a log: only its last four digits (``***0101``)."""
    return "***" + number[-4:] if number else None


def since(started):
    """Milliseconds since ``started`` (a ``time.monotonic()``), rounded for a log."""
    return round((time.monotonic() - started) * 1000, 1)
