"""The trend over 12 months, the home panels of leads, validators and admins, and the admins' overview."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, insert, select

from coe.auth.models import Person, utcnow
from coe.competency import current, profile
from coe.competency.models import Competency, Rating
from coe.extensions import db
from coe.library.models import Document, DocumentViewDay


def test_month_ends_are_the_last_twelve_months_up_to_today():
    from coe.dashboard.services import month_ends

    ends = month_ends(dt.date(2026, 3, 15))
    assert len(ends) == 12
    assert ends[0] == dt.date(2025, 4, 30) and ends[-2] == dt.date(2026, 2, 28) and ends[-1] == dt.date(2026, 3, 15)


@pytest.fixture
def history(app, make_person, make_team):
    """Ana rated in risk management: self 2 five months ago, validated 3 three months ago, self 5 last month."""
    team = make_team("Digital Delivery")
    ids = {"lead": make_person("lena@example.org", leads=(team,)),
           "ana": make_person("ana@example.org", name="Ana Alves", team_id=team, role_profile="pm"),
           "team": team}
    with app.app_context():
        risk = db.session.scalar(select(Competency.id).where(Competency.code == "risk-management"))
        now = utcnow()
        db.session.execute(insert(Rating), [
            {"person_id": ids["ana"], "competency_id": risk, "level": level, "source": source, "note": "",
             "evidence_url": "", "created_at": now - dt.timedelta(days=days)}
            for level, source, days in ((2, "self", 150), (3, "lead", 90), (5, "self", 30))])
        current.rebuild()
        db.session.commit()
    return ids


def test_the_trend_holds_each_rating_until_the_next_and_prefers_the_validated_one(app, history, ctx):
    from coe.dashboard import services

    lead = db.session.get(Person, history["lead"])
    trend = services.trend(services.scope_for(lead), services.Filters(area="ways-of-working"))
    values = trend.averages["ways-of-working"]
    rated = [value for value in values if value is not None]
    # Months before the first rating are empty; then 2 (self), then 3 (validated, outranks the later self 5).
    assert values[0] is None and rated[0] == 2.0 and rated[-1] == 3.0
    assert set(rated) == {2.0, 3.0} and values[-1] == 3.0
    assert trend.targets_met[-1] == 1 and trend.targets_met[0] == 0  # the pm target in risk management is 3
    area_codes = set(db.session.scalars(select(Competency.code).join(Competency.area)
                                        .where(Competency.area.has(code="ways-of-working"))))
    assert trend.targets[-1] == len(area_codes & set(profile.targets_for("pm")))


def test_the_trend_page_has_the_numbers_and_the_chart_is_an_svg_without_script(app, history):
    client = app.test_client()
    client.login("lena@example.org")
    page = client.get("/team/trend").get_data(as_text=True)
    assert "Average level per area and targets met" in page and "3.00" in page and "1 of " in page
    chart = client.get("/team/trend.svg")
    assert chart.mimetype == "image/svg+xml" and b"<script" not in chart.data


def test_the_home_page_shows_a_lead_their_teams_and_what_awaits_validation(app, history):
    with app.app_context():
        profile.self_assess(db.session.get(Person, history["ana"]), "planning", 3)
        db.session.commit()
    lead = app.test_client()
    lead.login("lena@example.org")
    page = lead.get("/").get_data(as_text=True)
    assert "Your teams" in page and "Needs attention" in page and "Ana Alves" in page
    assert "Self-assessments awaiting your validation" in page and "Planning and scheduling, self-assessed 3" in page
    pm = app.test_client()
    pm.login("ana@example.org")
    page = pm.get("/").get_data(as_text=True)
    assert "Your teams" not in page and "awaiting your validation" not in page and "Needs an admin" not in page


def test_an_admin_sees_what_needs_them_at_home_and_in_the_overview(app, make_person):
    make_person("admin@example.org", admin=True)
    make_person("newbie@example.org", name="Nina Newcomer")
    admin = app.test_client()
    admin.login("admin@example.org")
    home = admin.get("/").get_data(as_text=True)
    assert "Needs an admin" in home and "Nina Newcomer" in home and "never signed in" in home
    page = admin.get("/admin/").get_data(as_text=True)
    assert "Content needing review" in page and "Nina Newcomer" in page
    assert "Tracks with falling completion" in page and "Most frequent searches that found nothing" in page


def test_document_views_are_counted_per_document_and_day_and_unread_documents_listed(app, make_person):
    from coe.library import services

    make_person("admin@example.org", admin=True)
    client = app.test_client()
    client.login("admin@example.org")
    with app.app_context():
        old = utcnow() - dt.timedelta(days=400)
        db.session.execute(db.update(Document).values(created_at=old))
        db.session.commit()
        doc = db.session.scalar(select(Document).where(Document.slug == "risk-register"))
        kind, slug, doc_id = doc.kind, doc.slug, doc.id
        _, before = services.unopened_documents()
    for _ in range(3):
        assert client.get(f"/library/{kind}/{slug}").status_code == 200
    with app.app_context():
        rows = db.session.execute(select(DocumentViewDay.document_id, DocumentViewDay.count)).all()
        assert rows == [(doc_id, 3)]  # one row for the document and the day, whoever read it
        unopened, after = services.unopened_documents()
        assert after == before - 1 and doc_id not in {d.id for d in unopened}
    page = client.get("/admin/").get_data(as_text=True)
    assert f"nobody opened in 90 days <span class=\"badge text-bg-secondary\">{after}</span>" in page


def test_views_are_added_up_in_the_worker_and_written_together(app, make_person):
    """With a flush interval, readers cost no write: the counts arrive in one upsert, none lost."""
    from coe.library import services

    make_person("pm@example.org")
    client = app.test_client()
    client.login("pm@example.org")
    app.config["COE_VIEW_FLUSH_SECONDS"] = 3600
    with app.app_context():
        doc_id = db.session.scalar(select(Document.id).where(Document.slug == "risk-register"))
        services.view_counter().flush()
    for _ in range(5):
        assert client.get("/library/templates/risk-register").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DocumentViewDay)) == 0
        services.view_counter().flush()  # as a worker does when the interval has passed, or when it exits
        assert db.session.execute(select(DocumentViewDay.document_id, DocumentViewDay.count)).all() == [(doc_id, 5)]
    app.config["COE_VIEW_FLUSH_SECONDS"] = 0
    assert client.get("/library/templates/risk-register").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(DocumentViewDay.count)) == 6


def test_a_mentor_sees_the_self_assessments_of_their_mentees_awaiting_validation(app, make_person):
    from coe.registry import registry

    mentor = make_person("mentor@example.org", name="Max Mentor", mentor=True)
    mentee = make_person("mia@example.org", name="Mia Mentee")
    stranger = make_person("sam@example.org", name="Sam Stranger")
    registry(app).mentee_ids = lambda mentor_id: [mentee] if mentor_id == mentor else []
    with app.app_context():
        for person_id in (mentee, stranger):
            profile.self_assess(db.session.get(Person, person_id), "negotiation", 4)
        db.session.commit()
    client = app.test_client()
    client.login("mentor@example.org")
    page = client.get("/").get_data(as_text=True)
    assert "Self-assessments awaiting your validation" in page
    assert "Mia Mentee" in page and "Sam Stranger" not in page


def test_the_home_page_speaks_to_the_person_in_good_grammar(app, history):
    client = app.test_client()
    client.login("ana@example.org")
    page = client.get("/").get_data(as_text=True)
    assert "You meet " in page and "You meets" not in page
