"""The site's shared formats: dates, and the pager's window of page numbers."""

from __future__ import annotations

import datetime as dt

from coe.formatting import format_date, page_window


def test_dates_are_written_day_month_year_in_english():
    assert format_date(dt.date(2026, 3, 1)) == "1 Mar 2026"
    assert format_date(dt.datetime(2025, 12, 31, 23, 59, tzinfo=dt.timezone.utc)) == "31 Dec 2025"
    assert format_date(None) == ""


def test_the_pager_shows_the_ends_and_the_pages_around_the_current_one():
    assert page_window(1, 1) == [1]
    assert page_window(3, 5) == [1, 2, 3, 4, 5]
    assert page_window(1, 200) == [1, 2, 3, None, 200]
    assert page_window(100, 200) == [1, None, 98, 99, 100, 101, 102, None, 200]
    assert page_window(200, 200) == [1, None, 198, 199, 200]
    assert page_window(5, 9) == [1, None, 3, 4, 5, 6, 7, None, 9]
    assert page_window(4, 9) == [1, 2, 3, 4, 5, 6, None, 9]


def test_the_pager_does_not_grow_with_the_number_of_pages():
    assert len(page_window(5000, 10_000)) == len(page_window(50, 100)) == 9
