"""A PM rates themselves, a lead validates, and both see the profile change, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import second_person
from tests.browser.test_journeys import _serious_violations

pytestmark = pytest.mark.browser


def test_a_pm_self_assesses_and_a_lead_validates(page, login, browser, live_server, person_id):
    login("pm@example.org")
    page.goto("/me/competencies")
    expect(page.get_by_role("img", name="Radar chart of Power Skills")).to_be_visible()
    page.get_by_label("Competency", exact=True).select_option(label="Negotiation")
    page.get_by_label("Level", exact=True).select_option(label="5 Expert")
    page.get_by_label("Note", exact=True).fill("Negotiated the carrier contract for the warehouse opening.")
    page.get_by_role("button", name="Save the rating").click()
    negotiation = page.locator("tr", has=page.get_by_role("link", name="Negotiation", exact=True))
    expect(negotiation).to_contain_text("5 Expert")
    expect(negotiation).to_contain_text("self-assessed")

    lead = second_person(browser, live_server, "lead@example.org")
    lead.goto(f"/people/{person_id('pm@example.org')}/competencies")
    expect(lead.get_by_role("heading", name="Priya Patel's competencies")).to_be_visible()
    lead.get_by_label("Competency", exact=True).select_option(label="Negotiation")
    lead.get_by_label("Level", exact=True).select_option(label="3 Practitioner")
    lead.get_by_role("button", name="Save the rating").click()
    expect(lead.get_by_text("is validated")).to_be_visible()
    lead.context.close()

    page.reload()
    expect(negotiation).to_contain_text("3 Practitioner")
    expect(negotiation).to_contain_text("validated")
    expect(page.get_by_role("note")).to_contain_text("Negotiation (5 against 3)")


def test_the_competency_profile_has_no_serious_accessibility_violations(page, login):
    login("pm@example.org")
    page.goto("/me/competencies")
    assert _serious_violations(page) == []
