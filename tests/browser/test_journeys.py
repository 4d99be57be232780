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
        page.get_by_role("link", name="Markdown (.md)").click()
    download = download_info.value
    assert download.suggested_filename == "risk-register.md"
    source = Path(download.path()).read_text(encoding="utf-8")
    assert source.startswith("---\ntitle: Risk Register")


def test_library_and_search_pages_have_no_serious_accessibility_violations(page, login):
    login("pm@example.org")
    for path in ("/library", "/library/templates/risk-register", "/search?q=raci", "/competencies"):
        page.goto(path)
        assert _serious_violations(page) == [], path


def test_a_pm_asks_a_question_and_gets_the_charter_template_first(page, login):
    login("pm@example.org")
    page.get_by_label("Search the CoE library").fill("how do I write a project charter")
    page.get_by_label("Search the CoE library").press("Enter")
    expect(page.locator(".search-hit h3 a").first).to_have_text("Project Charter")


def test_a_pm_downloads_the_risk_register_as_a_workbook_with_its_rules(page, login, tmp_path):
    from openpyxl import load_workbook

    login("pm@example.org")
    page.goto("/library/templates/risk-register")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download for Excel (.xlsx)").click()
    assert download_info.value.suggested_filename == "risk-register.xlsx"
    download_info.value.save_as(tmp_path / "risk-register.xlsx")
    sheet = load_workbook(tmp_path / "risk-register.xlsx")["Risks"]
    assert sheet["F2"].value == "=D2*E2"  # score = probability x impact, computed by the spreadsheet
    ranges = {str(validation.sqref): validation for validation in sheet.data_validations.dataValidation}
    assert any(v.type == "whole" and v.formula1 == "1" and v.formula2 == "5" for v in ranges.values())


def test_an_admin_adds_a_person_who_follows_their_link_and_signs_in(page, login, browser, live_server):
    import re

    login("admin@example.org")
    page.goto("/admin/people/new")
    page.get_by_label("Name").fill("Nadia Newcomer")
    page.get_by_label("Email").fill("nadia.newcomer@example.org")
    page.get_by_label("Role profile").select_option(label="Associate Project Manager")
    page.get_by_label("Time zone").fill("Europe/Amsterdam")
    page.get_by_role("button", name="Save").click()
    flash = page.get_by_text("one-time link to set their password")
    expect(flash).to_be_visible()
    link = re.search(r"https?://\S+/password/set/[\w-]+", flash.inner_text()).group(0)
    newcomer = browser.new_context(base_url=live_server).new_page()
    newcomer.goto(link)
    expect(newcomer.get_by_role("heading", name="Welcome, Nadia")).to_be_visible()
    newcomer.get_by_label("New password", exact=True).fill("tulips and canals in spring")
    newcomer.get_by_label("Repeat the new password").fill("tulips and canals in spring")
    newcomer.get_by_role("button", name="Set password and sign in").click()
    expect(newcomer.get_by_role("heading", name="Welcome, Nadia")).to_be_visible()
    newcomer.context.close()


def test_an_admin_imports_a_thousand_people_and_gets_their_links(page, login, tmp_path):
    rows = ["email,name,team,role_profile,roles,time_zone"] + [
        f"imported{n:04d}@example.org,Imported Person {n:04d},Digital Delivery,pm,,Europe/Berlin" for n in range(1000)]
    csv_file = tmp_path / "people.csv"
    csv_file.write_text("\n".join(rows) + "\n")
    login("admin@example.org")
    page.goto("/admin/people/import")
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="1000 people imported")).to_be_visible()
    assert page.locator("table tbody tr").count() == 1000
