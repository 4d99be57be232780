"""How the site writes dates and times: one format everywhere."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def format_date(value: dt.date | dt.datetime | None) -> str:
    """1 Mar 2026."""
    if value is None:
        return ""
    return f"{value.day} {value.strftime('%b %Y')}"


def format_datetime(value: dt.datetime | None, time_zone: str | None = None) -> str:
    """1 Mar 2026, 14:30 in ``time_zone`` (UTC when not given), with the zone's abbreviation."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    local = value.astimezone(ZoneInfo(time_zone or "UTC"))
    return f"{format_date(local)}, {local.strftime('%H:%M')} {local.tzname()}"
