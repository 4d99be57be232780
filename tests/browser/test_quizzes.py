"""A PM takes the GIFT quiz on a phone: every question type on one page, submitted, then reviewed."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_journeys import _serious_violations
from tests.browser.test_phone_and_access import PHONE, overflow

pytestmark = pytest.mark.browser


def test_a_pm_takes_a_quiz_on_a_phone_and_reads_the_review(page, login):
    page.set_viewport_size(PHONE)
    login("pm@example.org")
    page.goto("/quizzes")
    assert overflow(page) <= 0
    page.get_by_role("link", name="Change control and governance", exact=False).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Change control and governance")
    assert overflow(page) <= 0
    page.get_by_role("button", name="Start an attempt").click()
    expect(page.get_by_role("button", name="Submit for grading")).to_be_visible()
    assert overflow(page) <= 0, "the attempt page scrolls sideways on a phone"
    assert _serious_violations(page) == []
    # One of each kind of field: a radio, a checkbox, a typed answer, a matching select, the essay.
    form = page.locator("form[action*='/attempts/']")
    form.locator("input[type=radio]").first.check()
    form.locator("input[type=checkbox]").first.check()
    form.locator("input.form-control").first.fill("decision log")
    form.locator("select.form-select").first.select_option(index=1)
    form.locator("textarea").fill("The cutover moved a week without a change request; nobody priced it.")
    page.get_by_role("button", name="Save my answers").click()
    expect(page.get_by_text("Your answers are saved")).to_be_visible()
    expect(page.locator("textarea")).to_have_value("The cutover moved a week without a change request; nobody priced it.")
    page.get_by_role("button", name="Submit for grading").click()
    expect(page.get_by_text("Review of attempt")).to_be_visible()
    expect(page.get_by_text("nobody priced it")).to_be_visible()
    assert overflow(page) <= 0, "the review scrolls sideways on a phone"
    assert _serious_violations(page) == []
