"""The library's pages as a PM and an admin see them."""

from __future__ import annotations

import pytest

LIBRARY_PAGES = ["/library", "/library/templates/risk-register", "/library/templates/risk-register.md",
                 "/search?q=risk", "/competencies"]


@pytest.mark.parametrize("path", LIBRARY_PAGES)
def test_anonymous_visitor_is_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_anonymous_api_call_gets_401_json(client):
    response = client.get("/api/search?q=risk")
    assert response.status_code == 401
    assert response.json["error"] == "Not signed in"


def live_counts(app) -> dict[str, int]:
    from coe.extensions import db
    from coe.library.models import Document

    with app.app_context():
        return dict(db.session.execute(db.select(Document.kind, db.func.count())
                                       .where(Document.archived_at.is_(None)).group_by(Document.kind)).all())


def documents_section(page: str) -> str:
    return page.split('id="docs-heading"', 1)[1].split("Recently updated", 1)[0]


def test_browse_shows_counts_per_kind(app, pm_client):
    page = pm_client.get("/library").get_data(as_text=True)
    assert "Methodologys" not in page
    counts = live_counts(app)
    for kind, label in (("methodologies", "Methodologies"), ("templates", "Templates"), ("practices", "Best practices")):
        assert f'{label} <span class="badge text-bg-light">{counts[kind]}</span>' in page


def test_browse_filters_by_kind_tag_and_competency(pm_client):
    page = documents_section(pm_client.get("/library?kind=templates&tag=risk").get_data(as_text=True))
    assert "Risk Register" in page and "RAID Log" in page
    assert "Scrum" not in page
    page = documents_section(pm_client.get("/library?competency=agile-delivery").get_data(as_text=True))
    assert "Scrum" in page and "Risk Register</a>" not in page


def test_document_page_shows_metadata_toc_competencies_and_related(app, pm_client):
    from coe.extensions import db
    from coe.library.models import Document

    with app.app_context():
        doc = db.session.scalar(db.select(Document).where(Document.slug == "risk-register"))
        owner, owner_name = doc.owner, doc.owner_name
    page = pm_client.get("/library/templates/risk-register").get_data(as_text=True)
    assert '<h1 class="h2">Risk Register</h1>' in page
    assert owner in page and owner_name in page and "Next review" in page
    assert "On this page" in page and 'href="#scoring"' in page
    assert 'href="/competencies#risk-management"' in page
    assert "Related" in page and "RAID Log" in page
    assert 'href="/library/templates/risk-register.md"' in page and "print.css" in page


def test_links_between_documents_lead_to_their_pages(pm_client):
    page = pm_client.get("/library/practices/risk-workshops").get_data(as_text=True)
    assert 'href="../templates/risk-register"' in page
    assert pm_client.get("/library/templates/risk-register").status_code == 200


def test_template_source_downloads_as_markdown(pm_client):
    response = pm_client.get("/library/templates/risk-register.md")
    assert response.status_code == 200
    assert response.mimetype == "text/markdown"
    assert response.headers["Content-Disposition"] == 'attachment; filename="risk-register.md"'
    assert response.get_data(as_text=True).startswith("---\ntitle: Risk Register\n")


def test_unknown_document_and_kind_are_404(pm_client):
    assert pm_client.get("/library/templates/no-such-thing").status_code == 404
    assert pm_client.get("/library/recipes/risk-register").status_code == 404


def overdue(app, slug: str) -> None:
    """Make a document's last review older than its review period."""
    import datetime as dt

    from coe.extensions import db
    from coe.library.models import Document

    with app.app_context():
        doc = db.session.scalar(db.select(Document).where(Document.slug == slug))
        doc.reviewed = dt.date.today() - dt.timedelta(days=31 * (doc.review_every + 1))
        db.session.commit()


def test_review_due_shows_on_the_page_and_in_the_admin_list(app, admin_client):
    overdue(app, "vendor-management")
    page = admin_client.get("/library/practices/vendor-management").get_data(as_text=True)
    assert "Review due" in page
    assert "review due" in admin_client.get("/library?kind=practices").get_data(as_text=True)
    status = admin_client.get("/admin/content").get_data(as_text=True)
    counts = live_counts(app)
    assert (f"{counts['methodologies']} methodologies, {counts['templates']} templates, "
            f"{counts['practices']} best practices") in status
    assert "Managing Vendors" in status
    assert "Risk Register</a>" not in status.split("Searches that found nothing")[0]


def test_pm_does_not_see_review_badges_in_browse(app, pm_client):
    overdue(app, "vendor-management")
    assert "review due" not in pm_client.get("/library?kind=practices").get_data(as_text=True)


def test_search_page_shows_highlighted_results_and_facets(pm_client):
    page = pm_client.get("/search?q=risk+register").get_data(as_text=True)
    assert '<a href="/library/templates/risk-register">Risk Register</a>' in page
    assert "<mark" in page and "Kind" in page and "Tags" in page


def test_search_page_offers_a_correction_and_browse_when_nothing_matches(pm_client):
    page = pm_client.get("/search?q=stakholder").get_data(as_text=True)
    assert "Did you mean" in page and "stakeholder" in page
    assert "Nothing in the library matches" in page and 'href="/library"' in page


def test_search_pages_through_results(pm_client):
    page = pm_client.get("/search?q=project&page=2").get_data(as_text=True)
    assert "page 2 of" in page and 'aria-current="page">2<' in page


def test_api_search_returns_the_same_results_as_json(pm_client):
    data = pm_client.get("/api/search?q=raci").get_json()
    assert data["results"][0]["title"] == "RACI Matrix"
    assert data["results"][0]["url"] == "/library/templates/raci-matrix"
    assert data["total"] >= 1 and "kind" in data["facets"]
    page = pm_client.get("/search?q=raci").get_data(as_text=True)
    assert page.index("RACI Matrix") < page.index(data["results"][1]["title"])
    assert pm_client.get("/api/search?q=stakholder").get_json()["suggestion"] == "stakeholder"


def test_admin_sees_frequent_zero_result_queries(admin_client, app):
    for _ in range(2):
        admin_client.get("/search?q=quantum+blockchain")
    admin_client.get("/api/search?q=hovercraft")
    page = admin_client.get("/admin/content").get_data(as_text=True)
    assert "quantum blockchain" in page and "hovercraft" in page
    assert page.index("quantum blockchain") < page.index("hovercraft")


def test_competency_framework_page_shows_levels_targets_and_documents(pm_client):
    page = pm_client.get("/competencies").get_data(as_text=True)
    assert "Ways of Working" in page and "Power Skills" in page and "Business Acumen" in page
    assert 'id="risk-management"' in page and "5 Expert" in page
    assert "target of Senior Project Manager" in page
    assert 'library documents</a>' in page and 'href="/library?competency=risk-management"' in page


def test_search_box_is_in_the_header_of_every_page(pm_client):
    for path in ("/", "/library", "/competencies", "/account"):
        assert 'id="header-search"' in pm_client.get(path).get_data(as_text=True), path


@pytest.mark.parametrize("query", ["summary:risk", "summary:*", "(", '"', "x" * 500, "rísk", "<script>alert(1)</script>"])
def test_odd_queries_get_a_page_not_an_error(pm_client, query):
    assert pm_client.get("/search", query_string={"q": query}).status_code == 200
    assert pm_client.get("/api/search", query_string={"q": query}).status_code == 200


def test_bad_page_numbers_are_clamped(pm_client):
    for page in ("0", "-3", "abc", "99999"):
        assert pm_client.get("/search", query_string={"q": "risk", "page": page}).status_code == 200


def test_browse_pages_are_read_again_once_a_sync_changes_the_library(app, pm_client, content_copy):
    """The browse pages are kept per content generation: a sync that renames a document or changes its
    summary shows on the next view, on the list and under "Recently updated"."""
    from coe.content.pipeline import run_sync

    before = pm_client.get("/library?kind=templates").get_data(as_text=True)
    assert "Decision Log</a>" in before and "Wombat" not in before
    log = content_copy / "library" / "templates" / "decision-log.md"
    log.write_text(log.read_text().replace("\ntitle: Decision Log", "\ntitle: Decision Register", 1))
    charter = content_copy / "library" / "templates" / "project-charter.md"
    charter.write_text(charter.read_text().replace("\nsummary: ", "\nsummary: Wombat edition. ", 1))
    with app.app_context():
        run_sync(str(content_copy))
    after = pm_client.get("/library?kind=templates").get_data(as_text=True)
    assert "Decision Log</a>" not in after and "Decision Register</a>" in documents_section(after)
    assert "Wombat edition." in documents_section(after)
