"""The demo organisation seeded by `coe serve --demo`."""

from __future__ import annotations

from coe.auth.models import Person, Team
from coe.cli import prepare_site
from coe.demo import seed_demo
from coe.extensions import db


def test_demo_seed_creates_teams_people_and_known_logins(app):
    with app.app_context():
        logins = seed_demo("a demo password for tests")
        db.session.commit()
        assert db.session.scalar(db.select(db.func.count(Team.id))) >= 3
        assert db.session.scalar(db.select(db.func.count(Person.id))) >= 30
        profiles = set(db.session.scalars(db.select(Person.role_profile)))
        assert {"associate-pm", "pm", "senior-pm", "program-manager"} <= profiles
        lead = db.session.scalar(db.select(Person).where(Person.email == "lead@example.org"))
        mentor = db.session.scalar(db.select(Person).where(Person.email == "mentor@example.org"))
        admin = db.session.scalar(db.select(Person).where(Person.email == "admin@example.org"))
        assert lead.led_teams and mentor.is_mentor and admin.is_admin
    emails = [email for email, _ in logins]
    for email in ("admin@example.org", "lead@example.org", "mentor@example.org", "pm@example.org"):
        assert email in emails
    for email in emails:
        assert app.test_client().login(email, "a demo password for tests").status_code == 302


def test_demo_seed_leaves_a_populated_database_alone(app, make_person):
    make_person("someone@example.org")
    with app.app_context():
        assert seed_demo("a demo password for tests") == []
        assert db.session.scalar(db.select(db.func.count(Person.id))) == 1


def test_prepare_site_migrates_syncs_and_seeds_with_the_given_password(app, monkeypatch):
    monkeypatch.setenv("COE_DEMO_PASSWORD", "chosen demo password")
    logins, password = prepare_site(app, demo=True)
    assert password == "chosen demo password"
    assert ("pm@example.org", "project manager (learner)") in logins
    client = app.test_client()
    assert client.login("pm@example.org", "chosen demo password").status_code == 302
    assert "Risk Register" in client.get("/library?kind=templates").get_data(as_text=True)


def test_prepare_site_without_demo_seeds_nothing(app):
    logins, _ = prepare_site(app, demo=False)
    assert logins == []
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Person.id))) == 0


def test_generated_demo_password_is_long_enough(app, monkeypatch):
    monkeypatch.delenv("COE_DEMO_PASSWORD", raising=False)
    _, password = prepare_site(app, demo=True)
    assert len(password) >= 12
    assert app.test_client().login("admin@example.org", password).status_code == 302
