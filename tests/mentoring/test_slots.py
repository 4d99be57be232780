"""Free slots from weekly windows, exceptions and bookings, across daylight-saving changes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from coe.mentoring.slots import Exception_, Rules, Window, free_slots

UTC = dt.timezone.utc
TUESDAY_AFTERNOON = [Window(1, dt.time(14), dt.time(17))]


def local(slots, zone):
    return [s.start.astimezone(ZoneInfo(zone)).strftime("%a %d %H:%M") for s in slots]


def test_a_weekly_window_stays_at_the_same_local_time_across_the_spring_change_in_paris():
    rules = Rules("Europe/Paris", session_minutes=60, buffer_minutes=30, notice_hours=0, horizon_days=14)
    now = dt.datetime(2026, 3, 20, 12, tzinfo=UTC)  # clocks go forward on Sunday 29 March
    slots = free_slots(TUESDAY_AFTERNOON, [], rules, [], now)
    assert local(slots, "Europe/Paris") == ["Tue 24 14:00", "Tue 24 15:30", "Tue 31 14:00", "Tue 31 15:30"]
    assert slots[0].start == dt.datetime(2026, 3, 24, 13, tzinfo=UTC)  # UTC+1
    assert slots[2].start == dt.datetime(2026, 3, 31, 12, tzinfo=UTC)  # UTC+2
    assert all(s.end - s.start == dt.timedelta(hours=1) for s in slots)


def test_autumn_change_in_new_york_and_a_skipped_hour_gives_no_slot():
    rules = Rules("America/New_York", session_minutes=45, buffer_minutes=0, notice_hours=0, horizon_days=10)
    now = dt.datetime(2026, 10, 25, 12, tzinfo=UTC)  # clocks go back on Sunday 1 November
    slots = free_slots([Window(0, dt.time(9), dt.time(10))], [], rules, [], now)
    assert [s.start for s in slots] == [dt.datetime(2026, 10, 26, 13, tzinfo=UTC), dt.datetime(2026, 11, 2, 14, tzinfo=UTC)]
    spring = Rules("America/New_York", session_minutes=30, buffer_minutes=0, notice_hours=0, horizon_days=3)
    night = [Window(6, dt.time(1, 30), dt.time(3, 30))]  # 2:00-3:00 does not exist on 8 March 2026
    starts = local(free_slots(night, [], spring, [], dt.datetime(2026, 3, 7, tzinfo=UTC)), "America/New_York")
    assert starts == ["Sun 08 01:30", "Sun 08 03:00"]


def test_bookings_and_buffers_remove_slots():
    rules = Rules("Europe/London", session_minutes=60, buffer_minutes=15, notice_hours=0, horizon_days=7)
    now = dt.datetime(2026, 6, 1, 6, tzinfo=UTC)  # Monday
    slots = free_slots(TUESDAY_AFTERNOON, [], rules, [], now)
    assert local(slots, "Europe/London") == ["Tue 02 14:00", "Tue 02 15:15"]
    booked = (dt.datetime(2026, 6, 2, 13, tzinfo=UTC), dt.datetime(2026, 6, 2, 14, tzinfo=UTC))  # 14:00-15:00 BST
    assert local(free_slots(TUESDAY_AFTERNOON, [], rules, [booked], now), "Europe/London") == ["Tue 02 15:15"]
    # A booking elsewhere ending at 14:05 local leaves no 15 minutes of buffer before 14:00... and clashes with 14:00.
    near = (dt.datetime(2026, 6, 2, 12, 50, tzinfo=UTC), dt.datetime(2026, 6, 2, 13, 5, tzinfo=UTC))
    assert local(free_slots(TUESDAY_AFTERNOON, [], rules, [near], now), "Europe/London") == ["Tue 02 15:15"]
    # Ending 13:50 local: 10 minutes before 14:00 is inside the buffer.
    close = (dt.datetime(2026, 6, 2, 12, 0, tzinfo=UTC), dt.datetime(2026, 6, 2, 12, 50, tzinfo=UTC))
    assert local(free_slots(TUESDAY_AFTERNOON, [], rules, [close], now), "Europe/London") == ["Tue 02 15:15"]
    fine = (dt.datetime(2026, 6, 2, 11, 0, tzinfo=UTC), dt.datetime(2026, 6, 2, 12, 45, tzinfo=UTC))
    assert len(free_slots(TUESDAY_AFTERNOON, [], rules, [fine], now)) == 2


def test_notice_and_horizon_bound_the_slots():
    rules = Rules("UTC", session_minutes=60, buffer_minutes=0, notice_hours=48, horizon_days=14)
    now = dt.datetime(2026, 6, 1, 15, tzinfo=UTC)  # Monday 15:00
    slots = free_slots(TUESDAY_AFTERNOON, [], rules, [], now)
    # Tuesday 2 is within 48 h; Tuesday 16 at 14:00 is beyond 14 days (Monday 15 at 15:00).
    assert local(slots, "UTC") == ["Tue 09 14:00", "Tue 09 15:00", "Tue 09 16:00"]
    tight = Rules("UTC", session_minutes=60, buffer_minutes=0, notice_hours=23, horizon_days=1)
    assert local(free_slots(TUESDAY_AFTERNOON, [], tight, [], now), "UTC") == ["Tue 02 14:00", "Tue 02 15:00"]


def test_exceptions_block_a_day_or_add_a_window():
    rules = Rules("Europe/Berlin", session_minutes=60, buffer_minutes=0, notice_hours=0, horizon_days=14)
    now = dt.datetime(2026, 6, 1, 0, tzinfo=UTC)
    exceptions = [Exception_(dt.date(2026, 6, 2), True),
                  Exception_(dt.date(2026, 6, 4), False, dt.time(8), dt.time(10))]
    slots = local(free_slots(TUESDAY_AFTERNOON, exceptions, rules, [], now), "Europe/Berlin")
    assert slots == ["Thu 04 08:00", "Thu 04 09:00", "Tue 09 14:00", "Tue 09 15:00", "Tue 09 16:00"]


def test_slots_are_shown_in_the_viewers_zone():
    rules = Rules("Europe/Paris", session_minutes=60, buffer_minutes=0, notice_hours=0, horizon_days=7)
    now = dt.datetime(2026, 1, 5, tzinfo=UTC)
    slots = free_slots([Window(1, dt.time(14), dt.time(15))], [], rules, [], now)
    assert local(slots, "America/New_York") == ["Tue 06 08:00"]
    assert local(slots, "Asia/Tokyo") == ["Tue 06 22:00"]
