"""Quiet hours: when a message may go, in every time zone its number may be in (pure: no database).

A message goes only at an instant allowed by every rule in every zone the number may be in: the account's
quiet hours, a narrower window for numbers whose zone nobody knows, and (an admin's option) the hours US
states allow. Each rule's allowed windows are computed per local day and intersected, so DST days and
windows that cross midnight need no special case, and the search is bounded (a week and a day).
"""

from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import timezone as phone_timezones
from phonenumbers.tzdata import TIMEZONE_DATA

from . import us_states

#: Every rule repeats weekly: if no instant is allowed in the next 8 days, none ever is.
_HORIZON_DAYS = 8


class NoCommonHour(ValueError):
    """No hour is ever allowed in all of a number's time zones under the current rules."""


@dataclass(frozen=True)
class Rules:
    """What decides when messages may go; built from the settings with ``from_settings``."""

    quiet: tuple[time, time] | None = None  # the account's quiet hours: messages wait from start to end
    zone: str = "UTC"  # the account's time zone, for numbers that tell none
    unknown: tuple[time, time] | None = None  # with quiet hours on, the hours allowed when a number tells no zone
    states: bool = False  # also keep the hours US states allow (by area code)

    @classmethod
    def from_settings(cls, config):
        quiet = _pair(config["quiet_hours_start"], config["quiet_hours_end"])
        return cls(
            quiet=quiet,
            zone=config["time_zone"],
            unknown=_pair(config["quiet_hours_unknown_start"], config["quiet_hours_unknown_end"]) if quiet else None,
            states=bool(config["quiet_hours_state_rules"]),
        )

    def without_quiet_hours(self):
        """These rules for a message that may go during quiet hours: the state rules (law) still hold."""
        return replace(self, quiet=None, unknown=None)


def parse(value):
    """'21:30' -> time(21, 30); None stays None. ValueError for anything else."""
    if value in (None, ""):
        return None
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _pair(start, end):
    start, end = parse(start), parse(end)
    return (start, end) if start is not None and end is not None and start != end else None


def zones_of(e164):
    """Every IANA time zone the number may be in, sorted; () when nothing tells.

    For a NANP number, an area code that spans several zones gives all of them (a mobile number's exchange
    says little about where it is). A number the library only places "somewhere in NANP" (a mobile-only
    area code such as American Samoa's, an area code newer than the library) gets its area code's zones,
    else its state's.
    """
    number = phonenumbers.parse(e164)
    zones = set(phone_timezones.time_zones_for_number(number)) - {"Etc/Unknown"}
    if number.country_code != 1:
        return tuple(sorted(zones))
    area_code = e164[2:5]
    whole = _area_code_zones().get(area_code, set()) | set(us_states.AREA_CODE_ZONES.get(area_code, ()))
    if not zones or zones == _nanp_wide():
        state = us_states.state_of(e164)
        zones = whole or (set(us_states.zones(state)) if state else zones)
    elif len(whole) > 1:
        zones |= whole
    return tuple(sorted(zones))


@cache
def _nanp_wide():
    return set(TIMEZONE_DATA["1"])


@cache
def _area_code_zones():
    found = {}
    for prefix, zones in TIMEZONE_DATA.items():
        if prefix.startswith("1") and len(prefix) >= 4:
            found.setdefault(prefix[1:4], set()).update(z for z in zones if z != "Etc/Unknown")
    return {code: zones for code, zones in found.items() if zones}


def next_allowed(now, e164, rules):
    """None if a message to ``e164`` may go at ``now`` (aware), else the first instant it may (aware UTC).

    Raises NoCommonHour when the rules allow no instant in all the number's zones.
    """
    now = now.astimezone(UTC)
    zones = zones_of(e164)
    allowed = [(now, now + timedelta(days=_HORIZON_DAYS + 1))]
    if rules.quiet:
        start, end = rules.quiet
        for zone in zones or (rules.zone,):
            allowed = _intersect(allowed, _windows(now, zone, lambda day: (end, start)))
    if rules.unknown and not zones:
        allowed = _intersect(allowed, _windows(now, rules.zone, lambda day: rules.unknown))
    state = us_states.state_of(e164) if rules.states else None
    if state:
        for zone in zones or us_states.zones(state):
            allowed = _intersect(allowed, _windows(now, zone, lambda day: us_states.window(state, day.weekday())))
    if not allowed:
        named = ", ".join(zones) if len(zones) < 4 else f"{len(zones)} zones, {zones[0]} to {zones[-1]}"
        raise NoCommonHour(
            f"No hour is allowed in all of {e164}'s time zones ({named or rules.zone}) under the quiet hours: "
            "widen the allowed hours to send to it."
        )
    first = allowed[0][0]
    return None if first <= now else first


def leaves_no_hour(rules):
    """Whether the rules leave a number with no known time zone no hour of the day at all."""
    if not (rules.quiet and rules.unknown):
        return False
    start, end = rules.quiet
    monday = datetime(2026, 1, 5, tzinfo=UTC)  # any day: UTC has no DST, these rules no weekdays
    return not _intersect(
        _windows(monday, "UTC", lambda day: (end, start)), _windows(monday, "UTC", lambda day: rules.unknown)
    )


def _windows(now, zone_name, window_of):
    """The allowed intervals (UTC) from the day before ``now`` on, when each local day allows
    ``window_of(date)`` = (start, end); an end at or before the start is on the next day."""
    zone = ZoneInfo(zone_name)
    today = now.astimezone(zone).date()
    found = []
    for offset in range(-1, _HORIZON_DAYS + 1):
        day = today + timedelta(days=offset)
        start, end = window_of(day)
        begins = _instant(day, start, zone, max)
        ends = _instant(day + timedelta(days=1) if end <= start else day, end, zone, min)
        if begins < ends:
            found.append((begins, ends))
    return found


def _instant(day, clock, zone, pick):
    """The UTC instant of a wall clock time. A time that a DST change skips or repeats has two readings:
    ``pick`` (max for a start, min for an end) keeps the narrower window, so no forbidden minute is allowed."""
    return pick(datetime.combine(day, clock, zone).replace(fold=fold).astimezone(UTC) for fold in (0, 1))


def _intersect(first, second):
    """The intersection of two sorted lists of disjoint [start, end) intervals."""
    found, i, j = [], 0, 0
    while i < len(first) and j < len(second):
        start, end = max(first[i][0], second[j][0]), min(first[i][1], second[j][1])
        if start < end:
            found.append((start, end))
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return found


def local_times(at, e164, default_zone):
    """``at`` on the wall clocks of the number's zones (or ``default_zone``): [(zone, local time)], by local time,
    one per distinct reading."""
    readings = {}
    for zone in zones_of(e164) or (default_zone,):
        local = at.astimezone(ZoneInfo(zone))
        readings.setdefault(local.replace(tzinfo=None), (zone, local))
    return [readings[key] for key in sorted(readings)]
