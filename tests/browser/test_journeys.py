"""Journeys through the demo site in a real browser."""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_pm_logs_in_sees_home_and_logs_out(page, login):
    login("pm@example.org")
    expect(page.get_by_role("heading", name="Welcome, Priya")).to_be_visible()
    page.get_by_role("button", name="Priya Patel").click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    expect(page.get_by_text("You are signed out")).to_be_visible()
    page.goto("/")
    assert "/login" in page.url


@pytest.mark.parametrize("email", ["admin@example.org", "lead@example.org", "mentor@example.org"])
def test_each_demo_role_can_log_in(page, login, email):
    login(email)
    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()


def test_admin_sees_the_admin_menu_and_people(page, login):
    login("admin@example.org")
    page.get_by_role("button", name="Admin", exact=True).click()
    page.get_by_role("link", name="People", exact=True).click()
    expect(page.get_by_role("heading", name="People")).to_be_visible()
    expect(page.get_by_role("link", name="Priya Patel")).to_be_visible()


def _serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)" for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")]


def test_login_page_has_no_serious_accessibility_violations(page):
    page.goto("/login")
    assert _serious_violations(page) == []


def test_home_page_has_no_serious_accessibility_violations(page, login):
    login("pm@example.org")
    assert _serious_violations(page) == []


def test_pm_searches_for_a_template_opens_it_and_downloads_the_source(page, login):
    login("pm@example.org")
    page.get_by_label("Search the library").first.fill("risk register")
    page.get_by_label("Search the library").first.press("Enter")
    page.wait_for_url("**/search?q=risk+register")
    first = page.locator(".search-hit h3 a").first
    expect(first).to_have_text("Risk Register")
    first.click()
    expect(page.get_by_role("heading", level=1, name="Risk Register")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the template (.md)").click()
    download = download_info.value
    assert download.suggested_filename == "risk-register.md"
    source = Path(download.path()).read_text(encoding="utf-8")
    assert source.startswith("---\ntitle: Risk Register")


def test_library_and_search_pages_have_no_serious_accessibility_violations(page, login):
    login("pm@example.org")
    for path in ("/library", "/library/templates/risk-register", "/search?q=raci", "/competencies"):
        page.goto(path)
        assert _serious_violations(page) == [], path
