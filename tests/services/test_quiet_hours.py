"""Quiet hours, pure: when a message to a number may go, in every zone the number may be in."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from crm_sms.services import quiet_hours, us_states
from crm_sms.services.quiet_hours import Rules

NEW_YORK = ZoneInfo("America/New_York")
NIGHT = Rules(quiet=(time(21), time(8)))  # the usual: nothing from 21:00 to 08:00
STATES_ONLY = Rules(states=True)
NEW_YORK_NUMBER = "+12125550123"
AU_MOBILE = "+61412345678"
SAMOA_MOBILE = "+16842581234"
SOUTH_DAKOTA = "+16055550123"  # area code 605: Central and Mountain time
NO_ZONE = "+447700900123"  # a number no zone is known for


def _at(zone, *fields):
    """The UTC instant of a wall clock time in ``zone`` (a name or ZoneInfo)."""
    zone = ZoneInfo(zone) if isinstance(zone, str) else zone
    return datetime(*fields, tzinfo=zone).astimezone(UTC)


@pytest.mark.parametrize(
    "local, expected",
    [
        ((2026, 11, 20, 22, 0), (2026, 11, 21, 8, 0)),  # evening side of 21:00-08:00
        ((2026, 11, 21, 7, 59), (2026, 11, 21, 8, 0)),  # morning side
        ((2026, 11, 21, 8, 0), None),  # the window has ended
        ((2026, 11, 21, 20, 59), None),
    ],
)
def test_overnight_quiet_hours_end_next_morning_local_time(local, expected):
    found = quiet_hours.next_allowed(_at(NEW_YORK, *local), NEW_YORK_NUMBER, NIGHT)
    assert found == (_at(NEW_YORK, *expected) if expected else None)


def test_quiet_hours_within_one_day():
    lunch = Rules(quiet=(time(12), time(14)))
    assert quiet_hours.next_allowed(_at(NEW_YORK, 2026, 11, 21, 12, 30), NEW_YORK_NUMBER, lunch) == _at(
        NEW_YORK, 2026, 11, 21, 14, 0
    )
    assert quiet_hours.next_allowed(_at(NEW_YORK, 2026, 11, 21, 14, 30), NEW_YORK_NUMBER, lunch) is None


def test_quiet_hours_ending_at_midnight_end_at_the_next_day_start():
    evening = Rules(quiet=(time(22), time(0)))
    found = quiet_hours.next_allowed(_at(NEW_YORK, 2026, 11, 21, 23, 15), NEW_YORK_NUMBER, evening)
    assert found == _at(NEW_YORK, 2026, 11, 22, 0, 0)


def test_nothing_waits_without_quiet_hours_or_state_rules():
    assert quiet_hours.next_allowed(_at(NEW_YORK, 2026, 11, 21, 3, 0), NEW_YORK_NUMBER, Rules()) is None
    assert quiet_hours.next_allowed(_at("UTC", 2026, 11, 21, 3, 0), NO_ZONE, Rules(unknown=None)) is None


# Numbers in several zones


def test_an_australian_mobile_may_be_in_any_australian_zone():
    zones = quiet_hours.zones_of(AU_MOBILE)
    assert {"Australia/Perth", "Australia/Sydney", "Australia/Lord_Howe"} <= set(zones)


@pytest.mark.parametrize(
    "utc, expected",
    [
        # Sydney 11:00 but Perth 08:00 and Cocos 06:30: waits for 08:00 on the Cocos Islands (01:30 UTC)
        ((2026, 12, 4, 0, 0), (2026, 12, 4, 1, 30)),
        ((2026, 12, 4, 5, 0), None),  # 16:00 in Sydney and Lord Howe, 11:30 on Cocos: allowed everywhere
        ((2026, 12, 4, 10, 0), (2026, 12, 5, 1, 30)),  # 21:00 in Sydney: waits for the next morning in the west
    ],
)
def test_an_australian_mobile_waits_until_the_hour_is_allowed_in_all_its_zones(utc, expected):
    found = quiet_hours.next_allowed(datetime(*utc, tzinfo=UTC), AU_MOBILE, NIGHT)
    assert found == (datetime(*expected, tzinfo=UTC) if expected else None)


def test_an_area_code_split_between_two_zones_waits_for_the_later_morning_and_the_earlier_evening():
    assert quiet_hours.zones_of(SOUTH_DAKOTA) == ("America/Chicago", "America/Denver", "America/North_Dakota/Center")
    morning = _at("America/Chicago", 2026, 12, 3, 8, 30)  # 07:30 in Denver
    assert quiet_hours.next_allowed(morning, SOUTH_DAKOTA, NIGHT) == _at("America/Denver", 2026, 12, 3, 8, 0)
    evening = _at("America/Denver", 2026, 12, 3, 20, 15)  # 21:15 in Chicago
    assert quiet_hours.next_allowed(evening, SOUTH_DAKOTA, NIGHT) == _at("America/Denver", 2026, 12, 4, 8, 0)


def test_an_american_samoa_mobile_keeps_samoa_time_not_the_system_zone():
    assert quiet_hours.zones_of(SAMOA_MOBILE) == ("Pacific/Pago_Pago",)
    small_hours = _at("Pacific/Pago_Pago", 2026, 12, 3, 0, 19)  # when it was once texted
    assert quiet_hours.next_allowed(small_hours, SAMOA_MOBILE, NIGHT) == _at("Pacific/Pago_Pago", 2026, 12, 3, 8, 0)


def test_a_toll_free_number_in_every_nanp_zone_waits_for_an_hour_allowed_in_all():
    found = quiet_hours.next_allowed(datetime(2026, 12, 3, 12, 0, tzinfo=UTC), "+18005550100", NIGHT)
    assert found == datetime(2026, 12, 3, 22, 0, tzinfo=UTC)  # 08:00 on Guam, 12:00 in Honolulu, 18:00 in New York


def test_no_hour_allowed_in_all_zones_is_said_not_looped_on():
    with pytest.raises(quiet_hours.NoCommonHour, match="No hour is allowed in all of"):
        quiet_hours.next_allowed(
            datetime(2026, 12, 3, 12, 0, tzinfo=UTC), "+18005550100", Rules(quiet=(time(18), time(10)))
        )


def test_an_area_code_newer_than_the_phone_library_takes_its_own_zone_else_its_states():
    assert quiet_hours.zones_of("+16215550123") == ("America/Chicago",)  # Texas, which also has Mountain time
    assert quiet_hours.zones_of("+14715550123") == ("America/Chicago",)  # Mississippi


# Numbers with no known zone


def test_a_number_with_no_known_zone_gets_the_narrower_window_in_the_account_zone():
    rules = Rules(quiet=(time(21), time(8)), zone="America/Chicago", unknown=(time(10), time(18)))
    assert quiet_hours.zones_of(NO_ZONE) == ()
    at_nine = _at("America/Chicago", 2026, 12, 3, 9, 0)  # allowed by the quiet hours, not by the narrower window
    assert quiet_hours.next_allowed(at_nine, NO_ZONE, rules) == _at("America/Chicago", 2026, 12, 3, 10, 0)
    assert quiet_hours.next_allowed(_at("America/Chicago", 2026, 12, 3, 12, 0), NO_ZONE, rules) is None
    evening = _at("America/Chicago", 2026, 12, 3, 18, 30)
    assert quiet_hours.next_allowed(evening, NO_ZONE, rules) == _at("America/Chicago", 2026, 12, 4, 10, 0)
    assert quiet_hours.next_allowed(at_nine, NEW_YORK_NUMBER, rules) is None  # 10:00 in New York: its own zone


def test_the_narrower_window_comes_with_quiet_hours_and_goes_with_them():
    config = {
        "quiet_hours_start": None,
        "quiet_hours_end": None,
        "time_zone": "UTC",
        "quiet_hours_unknown_start": "10:00",
        "quiet_hours_unknown_end": "18:00",
        "quiet_hours_state_rules": False,
    }
    assert Rules.from_settings(config) == Rules()
    on = Rules.from_settings({**config, "quiet_hours_start": "21:00", "quiet_hours_end": "08:00"})
    assert on == Rules(quiet=(time(21), time(8)), unknown=(time(10), time(18)))


def test_narrower_hours_inside_the_quiet_hours_leave_no_hour():
    assert quiet_hours.leaves_no_hour(Rules(quiet=(time(9), time(20)), unknown=(time(10), time(18))))
    assert not quiet_hours.leaves_no_hour(Rules(quiet=(time(21), time(8)), unknown=(time(10), time(18))))


# US state rules


def test_every_state_area_code_belongs_to_one_state():
    codes = [code for codes, _, _ in us_states.STATES.values() for code in codes.split()]
    assert len(codes) == len(set(codes))
    assert all(len(code) == 3 and code.isdigit() for code in codes)
    for state, (listed, _, _) in us_states.STATES.items():
        for code in listed.split():
            assert us_states.state_of(f"+1{code}5550123") == state
    assert us_states.state_of("+12125550123") is None  # New York: no rule
    assert us_states.state_of("+447700900123") is None


def test_every_state_area_code_lies_in_its_states_time_zones():
    for state, (listed, zones, _) in us_states.STATES.items():
        for code in listed.split():
            assert set(quiet_hours.zones_of(f"+1{code}5550123")) <= set(zones), (state, code)


def test_florida_area_codes_include_every_overlay():
    florida = set(us_states.STATES["FL"][0].split())
    assert {"324", "448", "645", "656", "689", "728"} <= florida and len(florida) == 23


@pytest.mark.parametrize(
    "number, zone, opens, closes",
    [
        ("+13055550123", "America/New_York", 8, 20),  # Florida
        ("+14055550123", "America/Chicago", 8, 20),  # Oklahoma
        ("+14105550123", "America/New_York", 8, 20),  # Maryland
        ("+16015550123", "America/Chicago", 8, 20),  # Mississippi
        ("+12015550123", "America/New_York", 8, 20),  # New Jersey
        ("+12065550123", "America/Los_Angeles", 8, 20),  # Washington
        ("+18605550123", "America/New_York", 9, 20),  # Connecticut
        ("+12145550123", "America/Chicago", 9, 21),  # Texas, Monday to Saturday
        ("+19155550123", "America/Denver", 9, 21),  # El Paso, Mountain time
        ("+14015550123", "America/New_York", 9, 18),  # Rhode Island, weekdays
    ],
)
def test_each_state_allows_its_own_hours_on_a_weekday(number, zone, opens, closes):
    wednesday = (2026, 12, 2)
    early = _at(zone, *wednesday, opens - 1, 59)
    assert quiet_hours.next_allowed(early, number, STATES_ONLY) == _at(zone, *wednesday, opens, 0)
    assert quiet_hours.next_allowed(_at(zone, *wednesday, opens, 0), number, STATES_ONLY) is None
    assert quiet_hours.next_allowed(_at(zone, *wednesday, closes - 1, 59), number, STATES_ONLY) is None
    late = _at(zone, *wednesday, closes, 0)
    assert quiet_hours.next_allowed(late, number, STATES_ONLY) == _at(zone, 2026, 12, 3, opens, 0)


def test_texas_waits_for_noon_on_sunday():
    dallas = "+12145550123"
    saturday_morning = _at("America/Chicago", 2026, 12, 5, 10, 0)
    assert quiet_hours.next_allowed(saturday_morning, dallas, STATES_ONLY) is None
    saturday_night = _at("America/Chicago", 2026, 12, 5, 21, 0)
    assert quiet_hours.next_allowed(saturday_night, dallas, STATES_ONLY) == _at("America/Chicago", 2026, 12, 6, 12, 0)
    sunday_morning = _at("America/Chicago", 2026, 12, 6, 10, 0)
    assert quiet_hours.next_allowed(sunday_morning, dallas, STATES_ONLY) == _at("America/Chicago", 2026, 12, 6, 12, 0)
    sunday_night = _at("America/Chicago", 2026, 12, 6, 21, 0)
    assert quiet_hours.next_allowed(sunday_night, dallas, STATES_ONLY) == _at("America/Chicago", 2026, 12, 7, 9, 0)


def test_rhode_island_keeps_shorter_hours_at_weekends():
    providence = "+14015550123"
    friday_evening = _at(NEW_YORK, 2026, 12, 4, 18, 0)
    assert quiet_hours.next_allowed(friday_evening, providence, STATES_ONLY) == _at(NEW_YORK, 2026, 12, 5, 10, 0)
    saturday = _at(NEW_YORK, 2026, 12, 5, 16, 59)
    assert quiet_hours.next_allowed(saturday, providence, STATES_ONLY) is None
    sunday_evening = _at(NEW_YORK, 2026, 12, 6, 17, 0)
    assert quiet_hours.next_allowed(sunday_evening, providence, STATES_ONLY) == _at(NEW_YORK, 2026, 12, 7, 9, 0)


def test_state_rules_are_off_unless_the_admin_turns_them_on():
    assert quiet_hours.next_allowed(_at(NEW_YORK, 2026, 12, 2, 20, 30), "+13055550123", NIGHT) is None


def test_state_rules_and_quiet_hours_both_hold():
    both = Rules(quiet=(time(19), time(7)), states=True)
    miami = "+13055550123"
    seven = _at(NEW_YORK, 2026, 12, 2, 7, 0)  # the quiet hours are over, Florida's are not
    assert quiet_hours.next_allowed(seven, miami, both) == _at(NEW_YORK, 2026, 12, 2, 8, 0)
    half_seven = _at(NEW_YORK, 2026, 12, 2, 19, 30)  # Florida allows it, the quiet hours do not
    assert quiet_hours.next_allowed(half_seven, miami, both) == _at(NEW_YORK, 2026, 12, 3, 8, 0)


def test_manual_messages_that_may_go_in_quiet_hours_still_keep_the_state_hours():
    rules = Rules(quiet=(time(21), time(8)), states=True).without_quiet_hours()
    assert rules == Rules(states=True)
    assert quiet_hours.next_allowed(_at(NEW_YORK, 2026, 12, 2, 20, 30), "+13055550123", rules) is not None


# Daylight saving time


def test_the_morning_after_a_dst_change_opens_at_eight_local_time():
    spring = _at("UTC", 2026, 3, 8, 6, 0)  # New York moves to EDT at 02:00 this morning
    assert quiet_hours.next_allowed(spring, NEW_YORK_NUMBER, NIGHT) == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
    autumn = _at("UTC", 2026, 11, 1, 6, 0)  # back to EST at 02:00
    assert quiet_hours.next_allowed(autumn, NEW_YORK_NUMBER, NIGHT) == datetime(2026, 11, 1, 13, 0, tzinfo=UTC)


def test_a_boundary_in_the_skipped_hour_never_allows_a_skipped_minute_early():
    rules = Rules(quiet=(time(1), time(2, 30)))  # 02:30 does not exist on 2026-03-08 in New York
    found = quiet_hours.next_allowed(_at("UTC", 2026, 3, 8, 6, 15), NEW_YORK_NUMBER, rules)  # 01:15 EST
    assert found is not None and found >= datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # not before 03:00 EDT
    assert found - datetime(2026, 3, 8, 7, 0, tzinfo=UTC) <= timedelta(hours=1)


def test_a_boundary_in_the_repeated_hour_waits_for_its_second_reading():
    rules = Rules(quiet=(time(0), time(1, 30)))  # 01:30 happens twice on 2026-11-01 in New York
    first_pass = datetime(2026, 11, 1, 5, 45, tzinfo=UTC)  # 01:45 EDT: the clock will read 01:30 again
    assert quiet_hours.next_allowed(first_pass, NEW_YORK_NUMBER, rules) == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)


def test_the_search_is_bounded_and_quick_for_many_zones():
    start = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    rules = Rules(quiet=(time(21), time(8)), states=True)
    for minute in range(0, 24 * 60, 7):
        found = quiet_hours.next_allowed(start + timedelta(minutes=minute), "+18005550100", rules)
        assert found is None or found - start <= timedelta(days=2)


# Shown to people


def test_local_times_reads_the_instant_on_each_zone_clock():
    at = datetime(2026, 12, 4, 1, 30, tzinfo=UTC)
    readings = [(zone, f"{local:%H:%M}") for zone, local in quiet_hours.local_times(at, SOUTH_DAKOTA, "UTC")]
    assert readings == [("America/Denver", "18:30"), ("America/Chicago", "19:30")]
    assert [zone for zone, _ in quiet_hours.local_times(at, NO_ZONE, "Europe/Paris")] == ["Europe/Paris"]


@pytest.mark.parametrize(
    "number, zones",
    [
        ("+18505550123", ("America/Chicago", "America/New_York")),  # Florida's panhandle: a mobile anywhere in it
        ("+18504321234", ("America/Chicago", "America/New_York")),  # even a Pensacola exchange
        ("+14485550123", ("America/Chicago", "America/New_York")),  # its overlay, which the library puts in one
        ("+14325550123", ("America/Chicago", "America/Denver")),  # West Texas, Culberson County on Mountain time
        ("+13055550123", ("America/New_York",)),  # Miami: one zone
    ],
)
def test_an_area_code_spanning_two_zones_gives_both(number, zones):
    assert quiet_hours.zones_of(number) == zones


def test_a_panhandle_number_keeps_floridas_hours_by_the_earlier_evening_and_the_later_morning():
    pensacola = "+18505550123"
    assert quiet_hours.next_allowed(_at("America/Chicago", 2026, 12, 2, 7, 30), pensacola, STATES_ONLY) == _at(
        "America/Chicago", 2026, 12, 2, 8, 0
    )
    assert quiet_hours.next_allowed(_at("America/Chicago", 2026, 12, 2, 19, 0), pensacola, STATES_ONLY) == _at(
        "America/Chicago", 2026, 12, 3, 8, 0
    )
