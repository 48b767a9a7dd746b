"""Quiet hours: a daily window (in the recipient's time zone) when messages wait."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import timezone as phone_timezones


def parse(value):
    """'21:30' -> time(21, 30); None stays None. ValueError for anything else."""
    if value in (None, ""):
        return None
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def zone_of(e164, default):
    """The number's own time zone when it has exactly one, else ``default``."""
    zones = [z for z in phone_timezones.time_zones_for_number(phonenumbers.parse(e164)) if z != "Etc/Unknown"]
    return ZoneInfo(zones[0] if len(zones) == 1 else default)


def ends_at(now, zone, start, end):
    """When the quiet window that ``now`` falls in ends (aware UTC), or None outside it / when unset."""
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(zone)
    today_start = datetime.combine(local.date(), start, zone)
    today_end = datetime.combine(local.date(), end, zone)
    if start < end:  # e.g. 12:00-14:00
        inside, until = today_start <= local < today_end, today_end
    elif local >= today_start:  # e.g. 21:00-08:00, evening side
        inside, until = True, datetime.combine(local.date() + timedelta(days=1), end, zone)
    else:  # morning side
        inside, until = local < today_end, today_end
    return until.astimezone(now.tzinfo) if inside else None
