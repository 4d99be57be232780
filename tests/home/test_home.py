"""The home page."""

from __future__ import annotations


def test_home_greets_the_person_and_offers_search(pm_client):
    page = pm_client.get("/").get_data(as_text=True)
    assert "Welcome, Person" in page
    assert 'action="/search"' in page
    assert "Recently updated in the library" in page


def test_home_names_the_role_profile_by_its_title(pm_client):
    assert "your role profile is <strong>Project Manager</strong>" in pm_client.get("/").get_data(as_text=True)


def test_home_lists_recent_library_documents(pm_client):
    page = pm_client.get("/").get_data(as_text=True)
    assert "/library/" in page


def test_layout_has_skip_link_landmarks_and_viewport(pm_client):
    page = pm_client.get("/").get_data(as_text=True)
    assert 'href="#coe-main"' in page and '<main id="coe-main"' in page
    assert '<nav class="navbar' in page and "<header>" in page and "<footer" in page
    assert 'name="viewport"' in page
    assert "/bootstrap/static/css/bootstrap.min.css" in page  # served locally, no CDN
    assert "cdn.jsdelivr" not in page
