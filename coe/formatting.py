"""How the site writes dates and times: one format everywhere."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_date(value: dt.date | dt.datetime | None) -> str:
    """1 Mar 2026, in English whatever the server's locale."""
    if value is None:
        return ""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def format_datetime(value: dt.datetime | None, time_zone: str | None = None) -> str:
    """1 Mar 2026, 14:30 in ``time_zone`` (UTC when not given), with the zone's abbreviation."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    local = value.astimezone(ZoneInfo(time_zone or "UTC"))
    return f"{format_date(local)}, {local.strftime('%H:%M')} {local.tzname()}"


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("Chromium/", "Chromium"), ("Safari/", "Safari"))
_SYSTEMS = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def format_device(user_agent: str | None) -> str:
    """"Firefox on Windows" from a User-Agent header, or "Unknown device"."""
    agent = user_agent or ""
    browser = next((name for marker, name in _BROWSERS if marker in agent), None)
    system = next((name for marker, name in _SYSTEMS if marker in agent), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown device"


def page_window(page: int, pages: int, around: int = 2) -> list[int | None]:
    """The page numbers a pager shows: the first, the last and ``around`` either side of ``page``,
    with None where numbers are left out. Its length does not grow with the number of pages."""
    shown = sorted({1, pages} | set(range(max(1, page - around), min(pages, page + around) + 1)))
    window: list[int | None] = []
    for n in shown:
        if window and n - window[-1] > 1:
            window.append(None)
        window.append(n)
    return window
