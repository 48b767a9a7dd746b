"""US states whose law limits the hours of telephone solicitation, by area code (data, no logic but lookups).

Area codes are every geographic NANP code in service in the state, overlays included (checked against
NANPA's NPA report, 2026). State holidays (Florida, Oklahoma, ... forbid some) are out of scope: only the
hours of each day are enforced.
"""

from datetime import time

_WEEK = range(7)  # Monday is 0, as datetime.weekday() counts


def _every_day(start, end):
    return {day: (time(start), time(end)) for day in _WEEK}


#: state -> (its area codes, its time zones (IANA), the allowed window on each weekday (local time)).
STATES = {
    "FL": (
        "239 305 321 324 352 386 407 448 561 645 656 689 727 728 754 772 786 813 850 863 904 941 954",
        ("America/New_York", "America/Chicago"),
        _every_day(8, 20),
    ),
    "OK": ("405 539 572 580 918", ("America/Chicago",), _every_day(8, 20)),
    "MD": ("227 240 301 410 443 667", ("America/New_York",), _every_day(8, 20)),
    "MS": ("228 471 601 662 769", ("America/Chicago",), _every_day(8, 20)),
    "NJ": ("201 551 609 640 732 848 856 862 908 973", ("America/New_York",), _every_day(8, 20)),
    "WA": ("206 253 360 425 509 564", ("America/Los_Angeles",), _every_day(8, 20)),
    "CT": ("203 475 860 959", ("America/New_York",), _every_day(9, 20)),
    "TX": (
        "210 214 254 281 325 346 361 409 430 432 469 512 621 682 713 726 737 806 817 830 832 903 915 936 940 945 "
        "956 972 979",
        ("America/Chicago", "America/Denver"),  # El Paso and Hudspeth keep Mountain time
        {**_every_day(9, 21), 6: (time(12), time(21))},
    ),
    "RI": (
        "401",
        ("America/New_York",),
        {day: (time(9), time(18)) if day < 5 else (time(10), time(17)) for day in _WEEK},
    ),
}
#: Zones the phone library lacks for an area code: it places every 448 and 432 number in one of their two
#: zones, and does not know 621 (a Texas overlay newer than its data).
AREA_CODE_ZONES = {
    "448": ("America/Chicago", "America/New_York"),  # the 850 overlay: Florida's panhandle, west of the Apalachicola
    "432": ("America/Chicago", "America/Denver"),  # West Texas: Culberson County keeps Mountain time
    "621": ("America/Chicago",),
}
NAMES = {
    "FL": "Florida",
    "OK": "Oklahoma",
    "MD": "Maryland",
    "MS": "Mississippi",
    "NJ": "New Jersey",
    "WA": "Washington",
    "CT": "Connecticut",
    "TX": "Texas",
    "RI": "Rhode Island",
}
_BY_AREA_CODE = {code: state for state, (codes, _, _) in STATES.items() for code in codes.split()}


def state_of(e164):
    """The state (``"FL"``) whose rules cover this number, by its area code; None for any other number."""
    return _BY_AREA_CODE.get(e164[2:5]) if e164.startswith("+1") and len(e164) == 12 else None


def zones(state):
    """The IANA time zones of a state with rules."""
    return STATES[state][1]


def window(state, weekday):
    """(start, end) of the hours the state allows on ``weekday`` (0 is Monday), local time."""
    return STATES[state][2][weekday]
