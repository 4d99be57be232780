"""Free booking slots of a mentor: weekly windows in their zone, exceptions, minus bookings.

Windows and exceptions are wall-clock times in the mentor's time zone; slots come out in UTC.
Each day's windows are placed on that day's own UTC offset, so a Tuesday 14:00 window stays at
14:00 local on both sides of a daylight-saving change. A wall time that does not exist that day
(the hour skipped when clocks go forward) yields no slot.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc


@dataclass(frozen=True)
class Window:
    weekday: int  # 0 = Monday
    start: dt.time
    end: dt.time


@dataclass(frozen=True)
class Exception_:
    """A date's change to the weekly pattern: the whole day blocked (no times), or an extra window."""

    day: dt.date
    blocked: bool
    start: dt.time | None = None
    end: dt.time | None = None


@dataclass(frozen=True)
class Rules:
    time_zone: str = "UTC"
    session_minutes: int = 60
    buffer_minutes: int = 15
    notice_hours: int = 24
    horizon_days: int = 56


@dataclass(frozen=True)
class Slot:
    start: dt.datetime  # UTC
    end: dt.datetime  # UTC


def _utc(day: dt.date, wall: dt.time, zone: ZoneInfo) -> dt.datetime | None:
    """The UTC instant of a wall time on a day, or None when that wall time does not exist (spring forward)."""
    local = dt.datetime.combine(day, wall, tzinfo=zone)
    instant = local.astimezone(UTC)
    back = instant.astimezone(zone)
    if back.replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return instant


def free_slots(windows: Iterable[Window], exceptions: Iterable[Exception_], rules: Rules,
               busy: Sequence[tuple[dt.datetime, dt.datetime]], now: dt.datetime) -> list[Slot]:
    """Every free slot from ``now`` plus the notice to ``now`` plus the horizon, in time order.

    ``busy`` holds the UTC (start, end) of the mentor's active bookings: a slot must keep the
    buffer clear on both sides of each.
    """
    zone = ZoneInfo(rules.time_zone)
    length = dt.timedelta(minutes=rules.session_minutes)
    step_minutes = rules.session_minutes + rules.buffer_minutes
    buffer = dt.timedelta(minutes=rules.buffer_minutes)
    earliest = now + dt.timedelta(hours=rules.notice_hours)
    latest = now + dt.timedelta(days=rules.horizon_days)
    by_weekday: dict[int, list[Window]] = {}
    for window in windows:
        by_weekday.setdefault(window.weekday, []).append(window)
    blocked = set()
    extra: dict[dt.date, list[Window]] = {}
    for exception in exceptions:
        if exception.blocked:
            blocked.add(exception.day)
        elif exception.start and exception.end:
            extra.setdefault(exception.day, []).append(Window(exception.day.weekday(), exception.start, exception.end))
    busy = sorted(busy)
    busy_starts = [start for start, _ in busy]
    longest = max((end - start for start, end in busy), default=dt.timedelta(0))
    slots: list[Slot] = []
    day = earliest.astimezone(zone).date()
    last_day = latest.astimezone(zone).date()
    while day <= last_day:
        day_windows = [] if day in blocked else list(by_weekday.get(day.weekday(), ()))
        day_windows += extra.get(day, [])
        for window in sorted(day_windows, key=lambda w: w.start):
            wall = dt.datetime.combine(day, window.start)
            window_end = dt.datetime.combine(day, window.end)
            while wall + length <= window_end:
                start = _utc(day, wall.time(), zone)
                if start is not None and earliest <= start <= latest:
                    end = start + length
                    if not _clashes(start - buffer, end + buffer, busy, busy_starts, longest):
                        slots.append(Slot(start, end))
                wall += dt.timedelta(minutes=step_minutes)
        day += dt.timedelta(days=1)
    slots.sort(key=lambda s: s.start)
    return _distinct(slots)


def _clashes(start: dt.datetime, end: dt.datetime, busy, busy_starts, longest: dt.timedelta) -> bool:
    """Whether [start, end) overlaps a busy interval (sorted by start; none lasts longer than ``longest``)."""
    low = bisect.bisect_left(busy_starts, start - longest)
    high = bisect.bisect_left(busy_starts, end)
    return any(busy_start < end and start < busy_end for busy_start, busy_end in busy[low:high])


def _distinct(slots: list[Slot]) -> list[Slot]:
    """Drop a slot that overlaps the one before (two windows of a day that overlap)."""
    kept: list[Slot] = []
    for slot in slots:
        if kept and slot.start < kept[-1].end:
            continue
        kept.append(slot)
    return kept


def is_offered(slot_start: dt.datetime, windows, exceptions, rules: Rules, busy, now: dt.datetime) -> Slot | None:
    """The free slot starting at ``slot_start``, or None if the mentor does not offer it now."""
    for slot in free_slots(windows, exceptions, rules, busy, now):
        if slot.start == slot_start:
            return slot
        if slot.start > slot_start:
            break
    return None
