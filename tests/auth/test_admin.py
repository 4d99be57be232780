"""Admins manage people, teams and roles; nobody else reaches the admin pages."""

from __future__ import annotations

import pytest

from coe.audit import AuditEvent
from coe.auth import services
from coe.auth.models import Person, Team
from coe.extensions import db
from tests.conftest import PASSWORD

ADMIN_PAGES = ["/admin/", "/admin/people", "/admin/people/new", "/admin/people/import", "/admin/teams",
               "/admin/teams/new", "/admin/content"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_pm_gets_403_on_every_admin_page(pm_client, path):
    response = pm_client.get(path)
    assert response.status_code == 403
    assert "Not allowed" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_anonymous_visitor_is_sent_to_login_from_admin_pages(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_reaches_every_admin_page(admin_client, path):
    response = admin_client.get(path, follow_redirects=True)
    assert response.status_code == 200


def test_pm_cannot_post_to_admin_forms(app, pm_client, make_person):
    victim = make_person("victim@example.org")
    token = pm_client.csrf_token("/account")
    response = pm_client.post(f"/admin/people/{victim}/deactivate", data={"csrf_token": token})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(Person, victim).active


def test_admin_creates_a_person_with_roles(app, admin_client, make_team):
    team = make_team("Finance Transformation")
    response = admin_client.submit("/admin/people/new", {
        "email": "New.Person@Example.org", "display_name": "New Person", "team_id": str(team),
        "role_profile": "senior-pm", "time_zone": "Europe/Paris", "is_mentor": "y",
        "led_team_ids": [str(team)]})
    assert response.status_code == 302
    with app.app_context():
        person = db.session.scalar(db.select(Person).where(Person.email == "new.person@example.org"))
        assert person.display_name == "New Person"
        assert person.team.name == "Finance Transformation"
        assert person.roles == ["learner", "mentor", "lead"]
        assert person.time_zone == "Europe/Paris"
        assert person.password_hash is None  # they set it themselves, through their invitation


def test_the_person_form_shows_role_profiles_by_title_and_offers_every_time_zone(admin_client):
    page = admin_client.get("/admin/people/new").get_data(as_text=True)
    assert '<option value="associate-pm">Associate Project Manager</option>' in page
    assert 'list="time-zones"' in page and '<option value="America/New_York">' in page


def test_duplicate_email_is_refused_and_nothing_changes(app, admin_client, make_person):
    make_person("taken@example.org", name="First Owner")
    response = admin_client.submit("/admin/people/new", {
        "email": "TAKEN@example.org", "display_name": "Second", "team_id": "0", "role_profile": "pm",
        "time_zone": "UTC"})
    assert response.status_code == 200
    assert "already uses taken@example.org" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Person.id))) == 2


def test_unknown_time_zone_is_refused(app, admin_client):
    response = admin_client.submit("/admin/people/new", {
        "email": "tz@example.org", "display_name": "TZ", "team_id": "0", "role_profile": "pm",
        "time_zone": "Mars/Olympus"})
    assert "Unknown time zone" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(Person).where(Person.email == "tz@example.org")) is None


def test_every_problem_of_the_record_is_named_on_its_field(app, admin_client):
    response = admin_client.submit("/admin/people/new", {
        "email": "not an email", "display_name": "=HYPERLINK(\"http://x\")", "team_id": "0", "role_profile": "pm",
        "time_zone": "Mars/Olympus"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "is not a valid email address" in page
    assert "which spreadsheets read as a formula" in page
    assert "Unknown time zone “Mars/Olympus”" in page
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Person.id))) == 1


def test_an_overlong_name_is_refused_with_its_length(app, admin_client):
    response = admin_client.submit("/admin/people/new", {
        "email": "long@example.org", "display_name": "N" * 121, "team_id": "0", "role_profile": "pm",
        "time_zone": "UTC"})
    assert "The name has 121 characters; the most is 120." in response.get_data(as_text=True)


def test_admin_edits_roles_and_team_leadership(app, admin_client, make_person, make_team):
    team = make_team("Operations")
    person = make_person("pm@example.org")
    response = admin_client.submit(f"/admin/people/{person}", {
        "email": "pm@example.org", "display_name": "Promoted", "team_id": str(team), "role_profile": "senior-pm",
        "time_zone": "UTC", "is_admin": "y", "led_team_ids": [str(team)]})
    assert response.status_code == 302
    with app.app_context():
        p = db.session.get(Person, person)
        assert (p.display_name, p.role_profile, p.is_admin) == ("Promoted", "senior-pm", True)
        assert [t.name for t in p.led_teams] == ["Operations"]


def test_deactivating_a_person_ends_their_session(app, admin_client, make_person):
    person = make_person("pm@example.org")
    pm = app.test_client()
    pm.login("pm@example.org")
    assert pm.get("/").status_code == 200
    response = admin_client.submit(f"/admin/people/{person}/deactivate", page="/admin/people")
    assert response.status_code == 302
    assert pm.get("/").status_code == 302
    assert "deactivated" in app.test_client().login("pm@example.org").get_data(as_text=True)
    admin_client.submit(f"/admin/people/{person}/reactivate", page="/admin/people")
    assert app.test_client().login("pm@example.org").status_code == 302


def test_admin_cannot_deactivate_themselves(app, admin_client):
    with app.app_context():
        me = db.session.scalar(db.select(Person.id).where(Person.email == "admin@example.org"))
    assert f"/admin/people/{me}/deactivate" not in admin_client.get("/admin/people").get_data(as_text=True)
    assert f"/admin/people/{me}/deactivate" not in admin_client.get(f"/admin/people/{me}").get_data(as_text=True)
    response = admin_client.submit(f"/admin/people/{me}/deactivate", page="/admin/people", follow_redirects=True)
    assert "cannot deactivate your own account" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Person, me).active


def test_last_admin_cannot_lose_the_admin_role(app, admin_client):
    with app.app_context():
        me = db.session.scalar(db.select(Person.id).where(Person.email == "admin@example.org"))
    response = admin_client.submit(f"/admin/people/{me}", {
        "email": "admin@example.org", "display_name": "Admin", "team_id": "0", "role_profile": "pm",
        "time_zone": "UTC"})
    assert "last admin who can sign in" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Person, me).is_admin


def test_an_admin_who_never_set_a_password_does_not_count_as_another_admin(app, admin_client, make_person):
    invited = make_person("new.admin@example.org", admin=True, password=None)
    with app.app_context():
        me = db.session.scalar(db.select(Person.id).where(Person.email == "admin@example.org"))
    form = {"email": "admin@example.org", "display_name": "Admin", "team_id": "0", "role_profile": "pm",
            "time_zone": "UTC"}
    response = admin_client.submit(f"/admin/people/{me}", form)
    assert "last admin who can sign in" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Person, me).is_admin
        # Once the other admin has a password, the role can go.
        services.set_password(db.session.get(Person, invited), "a passphrase the new admin chose")
        db.session.commit()
    assert admin_client.submit(f"/admin/people/{me}", form).status_code == 302
    with app.app_context():
        assert not db.session.get(Person, me).is_admin
        events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "role.admin")).all()
        assert [(e.actor_id, e.subject_id, e.detail) for e in events] == [(me, me, {"before": True, "after": False})]


def test_admin_creates_and_renames_a_team_with_leads(app, admin_client, make_person):
    lead = make_person("lead@example.org")
    assert admin_client.submit("/admin/teams/new", {"name": "Regulatory Change", "description": "Reg work",
                                                     "lead_ids": [str(lead)]}).status_code == 302
    with app.app_context():
        team = db.session.scalar(db.select(Team).where(Team.name == "Regulatory Change"))
        assert [p.email for p in team.leads] == ["lead@example.org"]
        team_id = team.id
    response = admin_client.submit(f"/admin/teams/{team_id}", {"name": "Regulatory Reporting", "lead_ids": []})
    assert response.status_code == 302
    with app.app_context():
        team = db.session.get(Team, team_id)
        assert team.name == "Regulatory Reporting" and team.leads == []


def test_duplicate_team_name_is_refused(app, admin_client, make_team):
    make_team("Digital Delivery")
    response = admin_client.submit("/admin/teams/new", {"name": "digital delivery"})
    assert "already exists" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Team.id))) == 1


def test_people_list_filters_by_name_and_team(admin_client, make_person, make_team):
    team = make_team("Ops")
    make_person("ana@example.org", name="Ana Ops", team_id=team)
    make_person("bo@example.org", name="Bo Elsewhere")
    page = admin_client.get(f"/admin/people?team={team}").get_data(as_text=True)
    assert "Ana Ops" in page and "Bo Elsewhere" not in page
    page = admin_client.get("/admin/people?q=elsewhere").get_data(as_text=True)
    assert "Bo Elsewhere" in page and "Ana Ops" not in page


def test_navigation_shows_admin_menu_only_to_admins(admin_client, app, make_person):
    assert "/admin/people" in admin_client.get("/").get_data(as_text=True)
    make_person("pm@example.org")
    pm = app.test_client()
    pm.login("pm@example.org", PASSWORD)
    assert "/admin/people" not in pm.get("/").get_data(as_text=True)


def test_email_taken_by_a_concurrent_request_is_a_conflict_not_a_500(app, admin_client, make_person, monkeypatch):
    from coe.auth import services

    make_person("taken@example.org")
    # The other request committed between this one's check and its insert.
    monkeypatch.setattr(services, "find_person_by_email", lambda email: None)
    response = admin_client.submit("/admin/people/new", {
        "email": "taken@example.org", "display_name": "Late", "team_id": "0", "role_profile": "pm",
        "time_zone": "UTC"})
    assert response.status_code == 200
    assert "already uses taken@example.org" in response.get_data(as_text=True)
