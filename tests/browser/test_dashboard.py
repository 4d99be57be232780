"""A lead finds where the team is short, validates a rating and sees the heat map follow, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_journeys import _serious_violations
from tests.browser.test_phone_and_access import PHONE, overflow

pytestmark = pytest.mark.browser


def test_a_lead_filters_drills_down_validates_and_downloads(page, login, person_id, tmp_path):
    login("lead@example.org")
    page.goto("/team")
    expect(page.get_by_role("heading", name="Team dashboard")).to_be_visible()
    page.get_by_label("Role profile").select_option(label="Project Manager")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"/team\?.*profile=pm"))
    table = page.get_by_role("table")
    expect(table.get_by_role("link", name="Ben Carter")).to_be_visible()
    expect(table.get_by_role("link", name="Amara Okafor")).to_have_count(0)  # an associate PM
    ben = person_id("ben.carter@example.org")
    cell = page.locator(f'td[data-cell="{ben}-negotiation"]')

    table.get_by_role("link", name="Ben Carter").click()
    expect(page.get_by_role("heading", name="Ben Carter's competencies")).to_be_visible()
    page.get_by_label("Competency", exact=True).select_option(label="Negotiation")
    page.get_by_label("Level", exact=True).select_option(label="5 Expert")
    page.get_by_label("Note", exact=True).fill("Led the supplier renegotiation after the scope change.")
    page.get_by_role("button", name="Save the rating").click()
    expect(page.get_by_text("is validated")).to_be_visible()

    page.go_back()
    page.go_back()
    page.reload()
    expect(cell).to_contain_text("5✓")
    expect(cell).to_contain_text("level 5, validated")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    path = tmp_path / "team.csv"
    download.value.save_as(path)
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("person,email,team,role profile")
    assert any(line.startswith("Ben Carter,") and ",negotiation,5,validated," in line for line in lines)
    assert not any(line.startswith("Amara Okafor,") for line in lines)


@pytest.mark.parametrize("email, paths", [("lead@example.org", ["/", "/team", "/team?sort=gap", "/team/trend"]),
                                          ("admin@example.org", ["/", "/team", "/admin/"])])
def test_the_dashboard_fits_a_phone_and_passes_axe(page, login, email, paths):
    page.set_viewport_size(PHONE)
    login(email)
    for path in paths:
        page.goto(path)
        assert overflow(page) <= 0, f"{path} scrolls sideways on a phone"
        assert _serious_violations(page) == [], path
