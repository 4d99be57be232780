"""A PM picks their top mentor match and asks; the mentor accepts; the PM books a slot and downloads the .ics."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from tests.browser.conftest import second_person

pytestmark = pytest.mark.browser


def test_a_pm_requests_the_top_match_who_accepts_then_the_pm_books_and_downloads_the_ics(
        page, login, browser, live_server, person_id):
    from coe.auth.demo import PEOPLE

    mentors = {person_id(email): email for email, _name, _team, _profile, roles, _zone in PEOPLE if "mentor" in roles}
    login("pm@example.org")
    page.goto("/mentors")
    top = page.locator("ol li.card").first
    expect(top).to_contain_text("places free")
    link = top.get_by_role("link").first
    mentor_name = link.inner_text()
    mentor_id = int(link.get_attribute("href").rstrip("/").rsplit("/", 1)[1])
    link.click()
    page.get_by_label("Your goals").fill("Prepare and pass my first stage-gate review without help.")
    page.get_by_role("button", name="Ask for mentoring").click()
    expect(page.get_by_text("Your request is sent")).to_be_visible()

    mentor = second_person(browser, live_server, mentors[mentor_id])
    mentor.goto("/mentor/requests")
    card = mentor.locator("li.card", has_text="Priya Patel")
    card.get_by_label("Message to Priya Patel").fill("Gladly: bring your current gate pack.")
    card.get_by_role("button", name="Accept").click()
    expect(mentor.get_by_text("Accepted")).to_be_visible()
    mentor.context.close()

    page.goto(f"/mentors/{mentor_id}")
    expect(page.get_by_role("heading", name="Book a session")).to_be_visible()
    page.get_by_label("Topic").fill("Gate 2 pack review")
    page.get_by_role("button", name="Book", exact=True).click()
    page.wait_for_url("**/bookings")
    session = page.locator("li.card", has_text="Gate 2 pack review")
    expect(session).to_contain_text(mentor_name)
    with page.expect_download() as download:
        session.get_by_role("link", name=".ics").click()
    calendar = Calendar.from_ical(download.value.path().read_bytes())
    event = next(c for c in calendar.walk() if c.name == "VEVENT")
    assert str(event["summary"]) == "Mentoring: Gate 2 pack review"
    start = event.decoded("dtstart")
    assert start.tzinfo is not None and start.utcoffset() == dt.timedelta(0)
    assert start > dt.datetime.now(dt.timezone.utc)
