"""Every main page fits a phone, and the admin's pages pass axe as the others do."""

from __future__ import annotations

import pytest

from tests.browser.test_journeys import _serious_violations

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PAGES_BY_ROLE = {
    "pm@example.org": ["/", "/library", "/library?tag=risk", "/library/templates/risk-register",
                       "/library/templates/raci-matrix", "/library/methodologies/earned-value-management",
                       "/library/governance", "/search?q=how+do+I+write+a+project+charter", "/competencies",
                       "/account", "/mentors", "/bookings", "/notifications", "/tracks", "/tracks/new-pm-onboarding",
                       "/tracks/new-pm-onboarding/steps/draft-first-charter", "/tracks/reviews",
                       "/library/templates/raid-log", "/me/competencies"],
    "mentor@example.org": ["/", "/mentor/requests", "/mentor/mentees", "/mentor/availability", "/mentor/profile",
                           "/bookings"],
    "admin@example.org": ["/admin/people", "/admin/people/new", "/admin/people/1", "/admin/teams",
                          "/admin/people/import", "/admin/content", "/mentoring/cohort"],
}


def overflow(page) -> int:
    """How far the page reaches past the viewport's right edge, in CSS pixels."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("email", list(PAGES_BY_ROLE))
def test_no_page_scrolls_sideways_on_a_phone(page, login, email):
    page.set_viewport_size(PHONE)
    login(email)
    wide = {}
    for path in PAGES_BY_ROLE[email]:
        page.goto(path)
        if overflow(page) > 0:
            wide[path] = page.evaluate("document.documentElement.scrollWidth")
    assert wide == {}, f"pages wider than {PHONE['width']} px: {wide}"


def test_admin_pages_have_no_serious_accessibility_violations(page, login):
    login("admin@example.org")
    for path in PAGES_BY_ROLE["admin@example.org"]:
        page.goto(path)
        assert _serious_violations(page) == [], path


def test_the_focus_ring_contrasts_with_the_navigation_bar(page, login):
    login("pm@example.org")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the brand link in the navy bar
    shadow = page.evaluate("getComputedStyle(document.activeElement).boxShadow")
    assert "rgb(255, 255, 255)" in shadow  # a white ring against navy #1f3a5f: 11:1


@pytest.mark.parametrize("email", list(PAGES_BY_ROLE))
def test_no_page_breaks_the_content_security_policy(page, login, email):
    """The CSP forbids inline script and style: a page that relied on either would lose it in a real browser."""
    refused = []
    page.on("console", lambda message: refused.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text else None)
    login(email)
    for path in PAGES_BY_ROLE[email]:
        page.goto(path)
        page.wait_for_load_state("load")
    # The menus still open: Bootstrap's script ran under the policy.
    page.get_by_role("button", name=NAMES[email]).click()
    assert page.get_by_role("button", name="Sign out", exact=True).is_visible()
    assert refused == []


NAMES = {"pm@example.org": "Priya Patel", "admin@example.org": "Alex Admin", "mentor@example.org": "Marco Mentor"}


@pytest.mark.parametrize("email", ["pm@example.org", "mentor@example.org"])
def test_mentoring_pages_have_no_serious_accessibility_violations(page, login, email):
    login(email)
    for path in [p for p in PAGES_BY_ROLE[email] if "mentor" in p or "booking" in p or "notification" in p]:
        page.goto(path)
        assert _serious_violations(page) == [], path


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, PHONE], ids=["desktop", "phone"])
def test_a_mentors_page_fits_the_screen_and_its_focus_list_can_be_picked_from(page, login, viewport, tmp_path):
    """A mentor's page, whose focus options the template writes itself, at desktop width and on a phone."""
    page.set_viewport_size(viewport)
    login("pm@example.org")
    page.goto("/mentors")
    page.locator("li.card h2 a").first.click()
    page.wait_for_url("**/mentors/*")
    assert overflow(page) <= 0
    focus = page.get_by_label("Focus competencies")
    assert focus.evaluate("select => select.multiple") and focus.locator("option").count() >= 20
    focus.select_option(["risk-management", "stakeholder-engagement"])
    assert focus.evaluate("select => [...select.selectedOptions].map(o => o.value)") == [
        "risk-management", "stakeholder-engagement"]
    box = focus.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    assert _serious_violations(page) == []
    page.screenshot(path=str(tmp_path / f"mentor-{viewport['width']}.png"), full_page=True)


@pytest.mark.parametrize("email", ["pm@example.org", "admin@example.org"])
@pytest.mark.parametrize("width", [1000, 1280])
def test_the_navigation_fits_a_laptop_screen_with_a_usable_search_box(page, login, email, width):
    """Between the phone menu and a wide screen the navigation takes a second row rather than running off
    the right edge (at 1,280 px it ran 20 px past it, and squeezed the search box to a sliver)."""
    page.set_viewport_size({"width": width, "height": 900})
    login(email)
    page.goto("/")
    assert overflow(page) <= 0
    assert page.get_by_label("Search the library").bounding_box()["width"] >= 200
    account = page.get_by_role("button", name=NAMES[email])
    box = account.bounding_box()
    assert box["x"] + box["width"] <= width
    account.click()
    assert page.get_by_role("button", name="Sign out", exact=True).is_visible()
