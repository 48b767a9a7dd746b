from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from crm_sms.services import quiet_hours

NEW_YORK = ZoneInfo("America/New_York")


def _utc(y, m, d, hh, mm, zone=NEW_YORK):
    return datetime(y, m, d, hh, mm, tzinfo=zone).astimezone(UTC)


@pytest.mark.parametrize(
    "local, expected_end",
    [
        ((2026, 11, 20, 22, 0), (2026, 11, 21, 8, 0)),  # evening side of 21:00-08:00
        ((2026, 11, 21, 7, 59), (2026, 11, 21, 8, 0)),  # morning side
        ((2026, 11, 21, 8, 0), None),  # the window has ended
        ((2026, 11, 21, 20, 59), None),
    ],
)
def test_overnight_window_ends_next_morning_local_time(local, expected_end):
    end = quiet_hours.ends_at(_utc(*local), NEW_YORK, time(21, 0), time(8, 0))
    assert end == (_utc(*expected_end) if expected_end else None)


def test_same_day_window():
    assert quiet_hours.ends_at(_utc(2026, 11, 21, 12, 30), NEW_YORK, time(12), time(14)) == _utc(2026, 11, 21, 14, 0)
    assert quiet_hours.ends_at(_utc(2026, 11, 21, 14, 30), NEW_YORK, time(12), time(14)) is None


def test_no_window_when_unset():
    assert quiet_hours.ends_at(_utc(2026, 11, 21, 23, 0), NEW_YORK, None, None) is None


def test_a_number_tells_its_own_time_zone_else_the_system_one():
    assert quiet_hours.zone_of("+14155550101", "UTC") == ZoneInfo("America/Los_Angeles")
    assert quiet_hours.zone_of("+18005550100", "Europe/Paris") == ZoneInfo("Europe/Paris")  # toll-free: no zone
