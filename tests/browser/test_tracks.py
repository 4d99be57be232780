"""A new PM enrols in onboarding, reads the first document and marks it read; a certificate checks out publicly."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_journeys import _serious_violations

pytestmark = pytest.mark.browser


def test_a_pm_enrols_reads_the_first_document_and_marks_it_read(page, login):
    login("zoe.fischer@example.org")
    page.get_by_role("link", name="Tracks", exact=True).click()
    page.locator("#track-list").get_by_role("link", name=re.compile("^New PM onboarding")).click()
    assert _serious_violations(page) == []
    page.get_by_role("button", name="Enrol", exact=True).click()
    expect(page.get_by_text("You are enrolled in")).to_be_visible()
    page.get_by_role("link", name=re.compile("^Continue where you left off")).click()
    page.wait_for_url("**/library/practices/pm-onboarding-checklist")
    page.get_by_role("button", name=re.compile("^Mark as read for New PM onboarding")).click()
    expect(page.get_by_text("is marked as read")).to_be_visible()
    page.goto("/tracks/new-pm-onboarding")
    expect(page.get_by_text("1 of 12 steps done")).to_be_visible()
    page.goto("/")
    expect(page.get_by_role("heading", name="Your next step")).to_be_visible()
    expect(page.get_by_text("Next:")).to_be_visible()


def test_a_certificate_prints_and_anyone_with_its_code_can_check_it(page, login, browser, live_server):
    login("emil.novak@example.org")
    page.goto("/tracks/new-pm-onboarding/certificate")
    expect(page.get_by_role("heading", name="Certificate of completion")).to_be_visible()
    code = page.locator(".certificate strong.font-monospace").inner_text()
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    anonymous = browser.new_context(base_url=live_server).new_page()
    anonymous.goto(f"/certificates/{code}")
    expect(anonymous.get_by_text("This certificate is genuine.")).to_be_visible()
    expect(anonymous.get_by_text("Emil Novak")).to_be_visible()
    anonymous.context.close()
